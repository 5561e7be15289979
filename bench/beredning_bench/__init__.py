"""Benchmarks and generated test data for beredning: development tools, never part of the service.

Installed by `make install` (not by `make install-run`, nor in the wheel or the image). The
commands reach `beredning` through entry points (`bench/pyproject.toml`), read by
`intake.cli._plugins`: `beredning bench ...`, `beredning mail bench` and
`beredning redact --evaluate`. This package imports only the public modules of the service's
packages, which never import it (`make lint` checks both).

- `benchmark`: the served app timed as its users meet it (similar items, pages, embedders, mail).
- `privacy`: texts with planted personal data and look-alikes, and the masking scored on them.
- `cli`: the commands; each imports what it measures only when it runs.
"""
