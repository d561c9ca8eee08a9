"""The append-only, hash-chained audit log: recording state changes and verifying the chain."""
