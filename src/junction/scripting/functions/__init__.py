"""The functions every script can call without reaching outside the sandbox.

``install(context)`` gives a new QuickJS context ``btoa``/``atob``, ``cyclr_sign``,
``cyclr_csv_parse``, ``cyclr_xml_serialize``/``cyclr_xml_deserialize``, the ``cyclr_date_*``
helpers and ``cyclr_now``, and the ``AuthRefreshException``/``AuthSessionException``
classes. Each function is a Python callable (``encoding``, ``signing``, ``csv_parse``,
``xml_convert``, ``datetimes``) behind a JavaScript wrapper (``prelude``); ``bridge`` says
how values and errors cross between them. Functions that need the engine (``http_request``,
storage) are the host's (``scripting.host``).
"""

from __future__ import annotations

import quickjs

from junction.scripting.calls import allow_python_calls
from junction.scripting.functions.bridge import Function
from junction.scripting.functions.csv_parse import cyclr_csv_parse
from junction.scripting.functions.datetimes import (
    cyclr_date_add,
    cyclr_date_format,
    cyclr_date_parse,
)
from junction.scripting.functions.encoding import atob, btoa
from junction.scripting.functions.exceptions import (
    AUTH_EXCEPTIONS,
    thrown_auth_exception,
    thrown_name,
)
from junction.scripting.functions.prelude import PRELUDE, PRIVATE_PREFIX
from junction.scripting.functions.signing import cyclr_sign
from junction.scripting.functions.xml_convert import cyclr_xml_deserialize, cyclr_xml_serialize

__all__ = ["AUTH_EXCEPTIONS", "install", "thrown_auth_exception", "thrown_name"]

# Public name -> the callable behind it.
_FUNCTIONS: dict[str, Function] = {
    "btoa": btoa,
    "atob": atob,
    "cyclr_sign": cyclr_sign,
    "cyclr_csv_parse": cyclr_csv_parse,
    "cyclr_xml_serialize": cyclr_xml_serialize,
    "cyclr_xml_deserialize": cyclr_xml_deserialize,
    "cyclr_date_format": cyclr_date_format,
    "cyclr_date_parse": cyclr_date_parse,
    "cyclr_date_add": cyclr_date_add,
}
_CALLABLES = tuple((PRIVATE_PREFIX + name, function) for name, function in _FUNCTIONS.items())


def install(context: quickjs.Context) -> None:
    """Define the library's globals in ``context``: a fresh one, whose limits are set already
    (this runs for every execution)."""
    for name, function in _CALLABLES:
        context.add_callable(name, function)
    context.eval(PRELUDE)
    allow_python_calls(context)
