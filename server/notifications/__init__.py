"""The notification outbox (written in the same transaction as the change) and its Apprise worker."""
