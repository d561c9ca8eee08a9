"""Authentication: Argon2id passwords, short-lived JWT access tokens, rotating refresh-token families."""
