"""The ``junction`` command."""
