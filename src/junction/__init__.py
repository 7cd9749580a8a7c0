"""Junction: a self-hosted embedded integration platform."""

__version__ = "0.1.0"
