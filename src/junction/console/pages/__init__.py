"""The console's pages, one module per area; each module's ``router`` is mounted by
``junction.console.mount`` (page modules never import one another)."""
