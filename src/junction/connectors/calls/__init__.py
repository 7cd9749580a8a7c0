"""Calling account connectors: connections, OAuth 2.0 sign-in and tokens, Data on
Demand, look-ups."""
