"""The connector runtime: turns a method definition and values into HTTP calls and records.

It knows nothing of the database, the engine or FastAPI: callers pass in what it needs
(``types.py``) and get results or ``ConnectorCallError``s back.
"""
