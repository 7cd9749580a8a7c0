"""JavaScript for connectors and mappings, run in a QuickJS sandbox (``sandbox``)."""
