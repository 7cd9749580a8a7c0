"""Utility connectors: operations Junction runs in-process for a cycle's steps (storage,
counters...), declared as Builtin connectors so that templates use them like any other."""
