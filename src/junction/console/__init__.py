"""The partner's console: its users, their sessions, and the pages under ``/console``."""
