"""procrastinate's tables and functions, installed and upgraded by Junction's migrations.

procrastinate ships its whole schema (``schema.sql``) and one SQL file per change since
(``migrations/*.sql``, named by version so that they sort in order). A new database gets the
schema and every migration file is recorded as applied (migration 0009); a database set up
by an older procrastinate gets the files it has not applied yet, at the end of every
migration run (``catch_up``), so the schema always matches the installed library.

PostgreSQL only: the job queue does not exist on SQLite (embedded mode has no jobs).
"""

from __future__ import annotations

from importlib import resources

from sqlalchemy import text
from sqlalchemy.engine import Connection

# The record of applied procrastinate migrations (procrastinate keeps none of its own).
APPLIED_TABLE = "junction_job_queue_migrations"


def _package_sql() -> resources.abc.Traversable:
    return resources.files("procrastinate").joinpath("sql")


def _migration_names() -> list[str]:
    folder = _package_sql().joinpath("migrations")
    return sorted(item.name for item in folder.iterdir() if item.name.endswith(".sql"))


def _run_script(connection: Connection, script: str) -> None:
    # Straight to the driver without parameters: the scripts hold many statements and
    # literal % signs that a parameterised execute would take for placeholders.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(script)
    finally:
        cursor.close()


def _installed(connection: Connection) -> bool:
    found = connection.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    return found is not None


def upgrade(connection: Connection) -> list[str]:
    """Install or bring procrastinate's schema up to the installed package; returns the
    migration files applied (all of them, recorded without running, on a new database)."""
    connection.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {APPLIED_TABLE} "
        "(name varchar(200) PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    names = _migration_names()
    record = text(
        f"INSERT INTO {APPLIED_TABLE} (name) VALUES (:name) ON CONFLICT DO NOTHING"  # noqa: S608 - a constant name
    )
    if not _installed(connection):
        _run_script(connection, _package_sql().joinpath("schema.sql").read_text("utf-8"))
        for name in names:
            connection.execute(record, {"name": name})
        return names
    listed = text(f"SELECT name FROM {APPLIED_TABLE}")  # noqa: S608 - a constant name
    applied = set(connection.execute(listed).scalars())
    missing = [name for name in names if name not in applied]
    folder = _package_sql().joinpath("migrations")
    for name in missing:
        _run_script(connection, folder.joinpath(name).read_text("utf-8"))
        connection.execute(record, {"name": name})
    return missing


def catch_up(connection: Connection) -> list[str]:
    """After every migration run: where the schema is installed, apply the migration files
    of a procrastinate installed since (a patch release, say); elsewhere nothing."""
    if connection.dialect.name != "postgresql" or not _installed(connection):
        return []
    return upgrade(connection)


def drop(connection: Connection) -> None:
    """Remove every procrastinate object (a downgrade past the migration that added them)."""
    _run_script(
        connection,
        r"""
        DO $$
        DECLARE item record;
        BEGIN
            FOR item IN SELECT tablename FROM pg_tables
                WHERE schemaname = current_schema() AND tablename LIKE 'procrastinate\_%'
            LOOP
                EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', item.tablename);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\_%'
            LOOP
                EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', item.signature);
            END LOOP;
            FOR item IN SELECT t.typname FROM pg_type t
                JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate\_%'
                    AND t.typtype IN ('e', 'c')
            LOOP
                EXECUTE format('DROP TYPE IF EXISTS %I CASCADE', item.typname);
            END LOOP;
        END $$;
        """,
    )
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {APPLIED_TABLE}")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Alembic's filter: procrastinate's tables belong to its own schema files, not to
    Junction's models, so comparing the models with a database leaves them out."""
    if type_ != "table" or name is None:
        return True
    return not (name == APPLIED_TABLE or name.startswith("procrastinate_"))
