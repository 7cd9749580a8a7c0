"""The console's signed-in users, for the changes the log records."""

from tests.console.conftest import _logging_kept, admin

__all__ = ["_logging_kept", "admin"]
