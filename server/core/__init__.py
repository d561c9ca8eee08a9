"""The kernel: what every package may use and that uses none of them.

Database engines and transactions (``db``), domain errors and their problem+json mapping
(``errors``), the principal and its scopes (``scopes``) and the role guards routes declare
(``guards``), settings, content-addressed storage,
time and geometry helpers, pagination and HTTP header helpers, the OpenAPI problem documentation,
canonical JSON and its versioned hashes (``canonical``), and the audit chain (``audit``). Modules here import only the standard library, third-party
packages and each other; the import-linter contract in ``make lint`` keeps it so.
"""
