"""Inbound webhooks: the payload is stored with its transactions before the answer."""
