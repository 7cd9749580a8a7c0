"""Request bodies and responses: which media type is read, and the fields it gives.

JSON (``application/json`` or any ``+json`` type) is preferred; a form body
(``application/x-www-form-urlencoded``) becomes ``BodyFormat: Form`` with one field per
plain property; ``text/plain`` becomes ``BodyFormat: PlainText`` with one field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from junction.connectors.openapi.fields import FieldBuilder
from junction.connectors.openapi.notes import Notes, at
from junction.connectors.openapi.refs import Resolver
from junction.connectors.spec.models import Body

FORM = "application/x-www-form-urlencoded"
SUCCESS_FIRST = ("200", "201")


@dataclass
class RequestBody:
    format: Body = Body.JSON
    fields: list[dict[str, Any]] = field(default_factory=list)


def is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _base(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


class Bodies:
    def __init__(self, resolver: Resolver, builder: FieldBuilder, notes: Notes) -> None:
        self.resolver = resolver
        self.builder = builder
        self.notes = notes

    # -- requests -------------------------------------------------------------------------

    def request_v3(self, raw: Any, where: str) -> RequestBody:
        body, where, _ = self.resolver.resolve(raw, where)
        if not isinstance(body, dict):
            return RequestBody()
        content = body.get("content")
        if not isinstance(content, dict) or not content:
            return RequestBody()
        required = body.get("required") is True
        types = {_base(str(name)): (str(name), value) for name, value in content.items()}
        json_type = next((name for name in types if is_json(name)), None)
        if json_type is not None:
            name, media = types[json_type]
            return RequestBody(
                Body.JSON, self._json(media, at(at(where, "content"), name), required)
            )
        if FORM in types:
            name, media = types[FORM]
            return RequestBody(
                Body.FORM, self._form(media, at(at(where, "content"), name), required)
            )
        if "text/plain" in types:
            return RequestBody(Body.PLAIN_TEXT, [_plain_text_field(required, body)])
        self.notes.warn(
            where,
            f"request bodies of type {', '.join(sorted(types))} are not supported "
            "(only JSON, form and plain text); the method has no request fields",
        )
        return RequestBody()

    def _json(self, media: Any, where: str, required: bool) -> list[dict[str, Any]]:
        if not isinstance(media, dict) or "schema" not in media:
            return []
        return self.builder.fields(
            media["schema"], at(where, "schema"), request=True, required=required
        )

    def _form(self, media: Any, where: str, required: bool) -> list[dict[str, Any]]:
        if not isinstance(media, dict) or "schema" not in media:
            return []
        fields = self.builder.fields(
            media["schema"], at(where, "schema"), request=True, required=required
        )
        return self.flat(fields, where)

    def flat(self, fields: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        """Only top-level plain values: a form body cannot carry objects or lists."""
        kept = [f for f in fields if not any(c in f["ConnectorField"] for c in ".[")]
        if len(kept) < len(fields):
            self.notes.warn(where, "form fields holding objects or lists are skipped")
        return kept

    def request_v2(
        self, body: dict[str, Any] | None, form: list[dict[str, Any]], where: str
    ) -> RequestBody:
        """A 2.0 operation's ``in: body`` parameter, or its ``formData`` parameters' fields."""
        if body is not None:
            fields = self.builder.fields(
                body.get("schema"),
                at(where, "schema"),
                request=True,
                required=body.get("required") is True,
            )
            return RequestBody(Body.JSON, fields)
        if form:
            return RequestBody(Body.FORM, form)
        return RequestBody()

    # -- responses ------------------------------------------------------------------------

    def response_schema(self, responses: Any, where: str, v2: bool) -> tuple[Any, str] | None:
        """The JSON schema of the success answer: 200, 201, other 2xx; ``default`` only
        when the operation declares no 2xx answer at all (it usually describes errors)."""
        if not isinstance(responses, dict):
            return None
        codes = {str(code).upper(): value for code, value in responses.items()}
        success = [c for c in SUCCESS_FIRST if c in codes]
        success += sorted(c for c in codes if c.startswith("2") and c not in SUCCESS_FIRST)
        order = success or (["DEFAULT"] if "DEFAULT" in codes else [])
        for code in order:
            label = "default" if code == "DEFAULT" else code
            response, location, _ = self.resolver.resolve(codes[code], at(where, label))
            if not isinstance(response, dict):
                continue
            if v2:
                if "schema" in response:
                    return response["schema"], at(location, "schema")
                continue
            content = response.get("content")
            if isinstance(content, dict):
                for name, media in content.items():
                    if is_json(str(name)) and isinstance(media, dict) and "schema" in media:
                        return media["schema"], at(at(at(location, "content"), name), "schema")
        return None

    def response_fields(self, responses: Any, where: str, v2: bool) -> list[dict[str, Any]]:
        found = self.response_schema(responses, where, v2)
        if found is None:
            return []
        return self.builder.fields(found[0], found[1], request=False)


def _plain_text_field(required: bool, body: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {"ConnectorField": "body", "DisplayName": "Body"}
    description = body.get("description")
    if isinstance(description, str) and description.strip():
        spec["Description"] = description.strip()
    if required:
        spec["Optional"] = False
    return spec
