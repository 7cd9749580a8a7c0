"""Cycles: templates installed into accounts, with their steps and the account's choices."""
