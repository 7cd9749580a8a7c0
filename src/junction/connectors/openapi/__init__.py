"""Importing OpenAPI documents (Swagger 2.0, OpenAPI 3.0 and 3.1) as connector definitions.

``import_openapi`` turns a document into a Draft definition for the partner to edit, with a
list of warnings about what could not be carried over. See docs/connector-format.md,
"Importing an OpenAPI document".
"""

from junction.connectors.openapi.choice import (
    UNTAGGED,
    OperationChoice,
    OperationSummary,
    list_operations,
)
from junction.connectors.openapi.document import OpenApiInvalid
from junction.connectors.openapi.importer import ImportResult, import_openapi

__all__ = [
    "UNTAGGED",
    "ImportResult",
    "OpenApiInvalid",
    "OperationChoice",
    "OperationSummary",
    "import_openapi",
    "list_operations",
]
