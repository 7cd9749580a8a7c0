"""Dispatchers: what wakes workers up to run due transactions."""
