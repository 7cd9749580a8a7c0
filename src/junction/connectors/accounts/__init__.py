"""Account connectors: connectors installed in accounts, their credentials,
properties and custom fields."""
