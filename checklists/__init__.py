"""Checklists: the YAML file format and its JSON schema (`format`), the validator that reports
every problem with its line (`validator`), the canonical form and content hash (`canonical`), the
`show_if` expression language (`expressions`), the pure scoring engine (`scoring`), the CLI helper
(`cli`) and the shipped templates (`templates/`). Publishing versions to the database is done by
`services`."""
