"""Redacted copies of requests and responses, for step data and logs (``Exchange``).

Secrets reach an exchange in known places (auth headers, the API-key query value, fields
marked Sensitive), which are replaced by name, and in unknown ones: an API that echoes the
request, a token endpoint's answer, an error message quoting the key. So every credential
value, Sensitive parameter value and ``ConnectionContext.sensitive_values`` entry is also
replaced wherever its text appears, in the forms it takes in URLs and JSON. Values shorter
than four characters are replaced only where they are a whole JSON string, since replacing
them inside other text would mangle it without protecting anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, quote_plus, unquote_plus

from multidict import CIMultiDictProxy, MultiMapping
from yarl import URL

from junction.connectors.runtime.types import Exchange

REDACTED = "[redacted]"
ALWAYS_REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie"}
)
DEFAULT_BODY_LIMIT = 64 * 1024  # characters of each body kept in an exchange
_MIN_SUBSTRING = 4


def _variants(secret: str) -> set[str]:
    escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
    if len(secret) < _MIN_SUBSTRING:
        return {f'"{escaped}"'}
    return {
        secret,
        escaped,
        json.dumps(secret)[1:-1],  # JSON with \uXXXX escapes
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        URL.build(query={"x": secret}).raw_query_string[2:],  # as yarl writes query values
    }


class Redactor:
    def __init__(
        self,
        *,
        secrets: Iterable[str] = (),
        sensitive_headers: Iterable[str] = (),
        sensitive_query: Iterable[str] = (),
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        variants: set[str] = set()
        for secret in secrets:
            if secret:
                variants |= _variants(secret)
        ordered = sorted(variants, key=len, reverse=True)  # longer first: no half-replaced
        self._short = {v for v in ordered if v.startswith('"')}
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._margin = max((len(v) for v in ordered), default=0)
        self._headers = ALWAYS_REDACTED_HEADERS | {h.lower() for h in sensitive_headers}
        self._query = frozenset(sensitive_query)
        self.body_limit = body_limit

    def _replace(self, match: re.Match[str]) -> str:
        return f'"{REDACTED}"' if match.group(0) in self._short else REDACTED

    def text(self, value: str) -> str:
        """Secrets replaced wherever they appear."""
        if self._pattern is None:
            return value
        return self._pattern.sub(self._replace, value)

    def url(self, url: URL | str) -> str:
        text = str(url)
        base, mark, rest = text.partition("?")
        if mark and self._query:
            query, hash_mark, fragment = rest.partition("#")
            parts = []
            for part in query.split("&"):
                name, equals, _ = part.partition("=")
                if equals and unquote_plus(name) in self._query:
                    part = f"{name}={REDACTED}"
                parts.append(part)
            text = f"{base}?{'&'.join(parts)}{hash_mark}{fragment}"
        return self.text(text)

    def headers(self, headers: Mapping[str, str] | MultiMapping[str]) -> dict[str, str]:
        result: dict[str, str] = {}
        items = list(headers.items())
        # One search over every value finds most header sets clean: no per-value work then.
        scrub = self._pattern is not None and (
            self._pattern.search("\n".join(value for _, value in items)) is not None
        )
        for name, value in items:
            if name.lower() in self._headers:
                shown = REDACTED
            else:
                shown = self.text(value) if scrub else value
            result[name] = f"{result[name]}, {shown}" if name in result else shown
        return result

    def body(self, text: str | None, total_size: int | None = None) -> str | None:
        """A body for an exchange: redacted, then cut to the limit with a marker.

        ``total_size`` is given when ``text`` is already only the start of the body.
        """
        if text is None:
            return None
        if total_size is None and len(text) <= self.body_limit:
            return self.text(text)
        # Redact a little more than is kept, so no secret is cut in half before it is found.
        kept = self.text(text[: self.body_limit + self._margin])[: self.body_limit]
        return f"{kept}... [truncated; {total_size or len(text):,} in all]"

    def body_bytes(self, data: bytes, charset: str | None = None) -> str | None:
        if not data:
            return None
        # Decode only what can be kept (4 bytes per character at most in UTF-8).
        part = data[: (self.body_limit + self._margin) * 4]
        try:
            text = part.decode(charset or "utf-8", errors="replace")
        except LookupError:  # an unknown charset name from the API
            text = part.decode("utf-8", errors="replace")
        return self.body(text, total_size=len(data) if len(part) < len(data) else None)

    def exchange(
        self,
        *,
        method: str,
        url: URL | str,
        request_headers: Mapping[str, str],
        request_body: str | None,
        status: int | None = None,
        response_headers: CIMultiDictProxy[str] | Mapping[str, str] | None = None,
        response_body: bytes | None = None,
        response_charset: str | None = None,
        duration_ms: float,
        attempt: int,
        error: str | None = None,
    ) -> Exchange:
        return Exchange(
            method=method,
            url=self.url(url),
            request_headers=self.headers(request_headers),
            request_body=self.body(request_body),
            status=status,
            response_headers=self.headers(response_headers) if response_headers else {},
            response_body=(
                self.body_bytes(response_body, response_charset) if response_body else None
            ),
            duration_ms=round(duration_ms, 3),
            attempt=attempt,
            error=self.text(error) if error else None,
        )
