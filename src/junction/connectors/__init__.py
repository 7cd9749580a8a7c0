"""Connectors: definitions of third-party APIs, their releases, and account connectors."""
