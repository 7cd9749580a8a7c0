"""Database access: engine and sessions, the declarative base, portable types, migrations."""
