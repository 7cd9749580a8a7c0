"""The ASGI application: factory, routing, middleware and error handling."""
