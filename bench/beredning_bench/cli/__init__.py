"""The commands the development tools add to `beredning`, declared in `bench/pyproject.toml`.

Loading one imports click and the service's CLI context only; what a command measures is
imported when it runs, so listing the commands (`beredning --help`) stays fast.
"""
