"""Refuse text that no database column can hold, once for every field of the JSON API.

PostgreSQL rejects the NUL character in text, and neither database can store a lone UTF-16
surrogate (JSON's "\\ud800" decodes to one): either would fail at the database as an
internal error. Checked here for every path parameter, query parameter and string (or
object key) of a JSON or form body, on both databases alike, so that the answer is 400
naming the field before anything is written.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.routing import APIRoute

from junction.bounds import check_text, check_texts


async def refuse_unstorable_text(request: Request) -> None:
    """A route dependency: path, query and body checked before the route runs."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(f"path parameter {name}", value)
    for name, value in request.query_params.multi_items():
        check_text(f"query parameter {name}", value)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        # Read as bytes, which Starlette caches for the route (the token route parses its
        # form itself).
        form = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        for name, value in form:
            check_text(name, value)
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        # The route reads its body itself, within its own size limit (a connector import).
        return
    # FastAPI has read and parsed the body before the dependencies run: these return what
    # it cached.
    if content_type == "multipart/form-data":
        for name, item in (await request.form()).multi_items():
            if isinstance(item, str):
                check_text(name, item)
    elif await request.body():
        try:
            body = await request.json()
        except ValueError:
            return  # not JSON: the route's validation refuses it
        check_texts(body)
