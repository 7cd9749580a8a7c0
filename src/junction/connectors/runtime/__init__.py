"""The connector runtime: turns a method definition and values into HTTP calls and records.

It knows nothing of the database, the engine or FastAPI: callers pass in what it needs
(``types.py``) and get results or ``ConnectorCallError``s back.

This module is the runtime's face: code outside ``connectors/runtime/`` imports from here
only (an import contract checks it), so the modules behind it can be split or renamed
without touching their callers.
"""

from junction.connectors.runtime.call import Runtime
from junction.connectors.runtime.dates import as_utc, compile_format, iso_utc, parse_iso
from junction.connectors.runtime.http import HttpClient, HttpResponse
from junction.connectors.runtime.mapping import flatten, map_records, mapping_plan
from junction.connectors.runtime.redact import Redactor
from junction.connectors.runtime.request import BuiltRequest, run_date_text
from junction.connectors.runtime.response import content_type
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
    "BuiltRequest",
    "CallInput",
    "CallResult",
    "ConnectionContext",
    "Credentials",
    "Exchange",
    "HttpClient",
    "HttpResponse",
    "Page",
    "Redactor",
    "RetryPolicy",
    "Runtime",
    "RuntimeSettings",
    "as_utc",
    "compile_format",
    "content_type",
    "flatten",
    "iso_utc",
    "map_records",
    "mapping_plan",
    "parse_iso",
    "run_date_text",
]
