"""Checklists: the YAML file format and its JSON schema (`format`), the validator that reports
every problem with its line (`validator`), the `show_if` language (`expressions`), the canonical
form and content hash (`canonical`), the pure scoring engine (`scoring`), the CLI helper (`cli`)
and the shipped templates (`templates/`); publishing versions to the database is `services`
(with `tables`, `schemas`, `controllers`). See README.md in this folder.

May import: the kernel (``server.core``) only; the domain packages import checklists.
"""
