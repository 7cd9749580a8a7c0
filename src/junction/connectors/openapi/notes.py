"""What an import found wrong (problems, which stop it) or left out (warnings)."""

from __future__ import annotations

from junction.connectors.spec.validate import Problem


class Notes:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # A dict keeps the first occurrence's order and drops repeats: a schema shared by
        # many operations would otherwise repeat the same warning for each.
        self._warnings: dict[str, None] = {}

    def problem(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def warn(self, where: str, message: str) -> None:
        self._warnings[f"{where}: {message}"] = None

    @property
    def warnings(self) -> list[str]:
        return list(self._warnings)


def at(where: str, key: object) -> str:
    """The location of ``key`` inside ``where``, as in ``paths./pets.get.parameters[0]``."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)
