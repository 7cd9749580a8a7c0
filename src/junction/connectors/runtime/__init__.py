"""The connector runtime: turns a method definition and values into HTTP calls and records.

It knows nothing of the database, the engine or FastAPI: callers pass in what it needs
(``types.py``) and get results or ``ConnectorCallError``s back.
"""

from junction.connectors.runtime.call import Runtime
from junction.connectors.runtime.http import HttpClient
from junction.connectors.runtime.retry import RetryPolicy
from junction.connectors.runtime.settings import RuntimeSettings
from junction.connectors.runtime.types import (
    AccessTokenSource,
    CallInput,
    CallResult,
    ConnectionContext,
    Credentials,
    Exchange,
    Page,
)

__all__ = [
    "AccessTokenSource",
    "CallInput",
    "CallResult",
    "ConnectionContext",
    "Credentials",
    "Exchange",
    "HttpClient",
    "Page",
    "RetryPolicy",
    "Runtime",
    "RuntimeSettings",
]
