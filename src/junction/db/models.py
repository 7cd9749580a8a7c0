"""Imports every domain's models so that ``Base.metadata`` is complete (for migrations)."""

from junction.accounts import models as accounts_models
from junction.audit import models as audit_models
from junction.auth import models as auth_models
from junction.connectors.accounts import models as account_connectors_models
from junction.connectors.calls import models as connector_calls_models
from junction.connectors.catalog import models as connectors_models
from junction.console import models as console_models
from junction.cycles import models as cycles_models
from junction.db.base import Base
from junction.embed import models as embed_models
from junction.engine import models as engine_models
from junction.installation import models as installation_models
from junction.templates import models as templates_models
from junction.utilities import models as utilities_models

__all__ = [
    "Base",
    "account_connectors_models",
    "accounts_models",
    "audit_models",
    "auth_models",
    "connector_calls_models",
    "connectors_models",
    "console_models",
    "cycles_models",
    "embed_models",
    "engine_models",
    "installation_models",
    "templates_models",
    "utilities_models",
]
