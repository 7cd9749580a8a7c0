"""Alembic migrations: the environment (``env.py``) and the revisions (``versions/``)."""
