"""Compiled plans kept per definition object, so each call does no parsing it did before.

Connector definitions are immutable once released and are cached by their loaders, so the
identity of a method object is a good key. Pydantic models are not hashable, hence ids; the
objects are kept in the entry so an id is never reused for another object while cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Plan = TypeVar("Plan")


class IdentityCache(Generic[Plan]):
    def __init__(self, build: Callable[..., Plan], maxsize: int = 4096) -> None:
        self._build = build
        self._maxsize = maxsize
        self._entries: OrderedDict[tuple[int, ...], tuple[tuple[object, ...], Plan]] = OrderedDict()

    def get(self, *objects: object) -> Plan:
        key = tuple(map(id, objects))
        entry = self._entries.get(key)
        # Tuple equality checks identity first, so this is cheap for the same objects; an
        # equal but distinct definition (an id reused after one was freed) gets an equal plan.
        if entry is not None and entry[0] == objects:
            return entry[1]
        plan = self._build(*objects)
        self._entries[key] = (objects, plan)
        if len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)  # the oldest: definitions change rarely
        return plan
