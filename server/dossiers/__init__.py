"""Dossier ledgers (issue 14): the canonical record of one administrative-procedure dossier as the
one-stop system's ledger gives it, and the pure logic over it.

- ``model``: the canonical record (``DossierRecord``) and its ``Moment`` (a date, with the time
  when the source gave one), channels and statuses;
- ``mapping`` and ``mappings/*.yaml``: column layouts (form 06's "Sổ theo dõi hồ sơ", a generic
  one-stop export) that map a file's headers, matched tolerantly, to canonical fields;
- ``parsing``: the cell parsers (Vietnamese dates, Excel serials, "Có/Không", VND amounts, …);
- ``reading``: streaming CSV and XLSX readers that validate every row, collect every error with
  its line and column, and hash the file's bytes for idempotency;
- ``writing``: the inverse, a record back into a layout's columns (the demo and the tests);
- ``workdays`` and ``calendars/*.yaml``: the working-day calendar kept as data;
- ``rules`` and ``rules.yaml``: the checks over every dossier with their legal bases, and
  ``indicators``: a period's shares (online, online payment, on time, flagged) and backlog;
- ``generator``: a seeded realistic ledger with planted cases, for the demo and the tests.

Everything here is pure (no database, no HTTP); files are read only where a caller hands one in.
May import: the kernel. Enforced by the contracts in ``.importlinter``.
"""
