"""Imports every domain's models so that ``Base.metadata`` is complete (for migrations)."""

from junction.accounts import models as accounts_models
from junction.auth import models as auth_models
from junction.connectors import models as connectors_models
from junction.cycles import models as cycles_models
from junction.db.base import Base
from junction.engine import models as engine_models
from junction.templates import models as templates_models
from junction.utilities import models as utilities_models

__all__ = [
    "Base",
    "accounts_models",
    "auth_models",
    "connectors_models",
    "cycles_models",
    "engine_models",
    "templates_models",
    "utilities_models",
]
