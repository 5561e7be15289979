"""Domain rules and data that do not depend on the web, the CLI or the database engine."""
