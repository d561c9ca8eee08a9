"""The Spotcheck server: app factory, settings, database, units, users, auth, audit log and CLI."""
