"""Inbound paging: one request per page, driven by the CYCLR_PAGE_* variables.

A method pages when ``Paging.InboundPaging`` is true (the method's setting, else the
connector's). Its parameters say how: ``CYCLR_PAGE_NUMBER`` (from 1), ``CYCLR_PAGE_OFFSET``
(from 0, stepping by the page size), ``CYCLR_PAGE_SIZE``, a ResponseField or ResponseHeader
parameter with ``CYCLR_PAGE_NEXT_URL`` (where the next page's URL is in the answer; the
``Link`` header's is its rel="next" target), or ResponseField/ResponseHeader parameters with
``CYCLR_PAGE_TOKEN[_SUFFIX]`` (where each token is; a path through a list reads the page's
last item, as for Stripe's ``starting_after``) beside query or header parameters with the
same Value (where it is sent back). A ResponseField/ResponseHeader parameter with
``CYCLR_PAGE_HAS_MORE`` says where the answer tells whether more pages follow.

Pages are yielded one at a time and nothing of an earlier page is kept but what the next
request needs, so memory does not grow with the number of records. To notice an API that
sends a cursor (token or next URL) it sent before, which would page forever, a hash of each
cursor is remembered: one integer per page, at most ``MaxPages`` of them, and none for page
numbers or offsets, which cannot repeat.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from yarl import URL

from junction.connectors.runtime.mapping import MappingPlan, flatten
from junction.connectors.runtime.plancache import IdentityCache
from junction.connectors.runtime.request import compile_request
from junction.connectors.runtime.types import Exchange, Page
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec, Target
from junction.connectors.spec.paths import FieldPath, parse_path
from junction.errors import ConnectorCallError, PagingLoop

PAGE_NUMBER = "CYCLR_PAGE_NUMBER"
PAGE_OFFSET = "CYCLR_PAGE_OFFSET"
PAGE_SIZE = "CYCLR_PAGE_SIZE"
PAGE_NEXT_URL = "CYCLR_PAGE_NEXT_URL"
PAGE_TOKEN = "CYCLR_PAGE_TOKEN"  # noqa: S105 - a variable name, not a secret
PAGE_HAS_MORE = "CYCLR_PAGE_HAS_MORE"
DEFAULT_PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 1000


@dataclass(frozen=True)
class AnswerValue:
    """Where an answer holds a paging value: a body field or a response header."""

    path: FieldPath | None = None
    header: str | None = None  # lower-case
    link_rel: str | None = None  # the header is an RFC 8288 Link list: the target of this rel

    def raw(self, body: Any, headers: Mapping[str, str]) -> Any:
        if self.header is not None:
            value = headers.get(self.header)
            if value is not None and self.link_rel is not None:
                return link_target(value, self.link_rel)
            return value
        assert self.path is not None
        value = self.path.get(body)
        if self.path.list_depth:
            # A cursor taken from the page's last item (Stripe's starting_after=<last id>).
            items = flatten(value, self.path.list_depth)
            return items[-1] if items else None
        return value

    def text(self, body: Any, headers: Mapping[str, str]) -> str | None:
        return _text(self.raw(body, headers))


@dataclass(frozen=True)
class PagingPlan:
    active: bool
    page_size: int
    max_pages: int
    stop_on_short: bool
    uses_number: bool
    uses_offset: bool
    next_url: AnswerValue | None
    tokens: tuple[tuple[str, AnswerValue], ...]  # (variable, where the answer holds it)
    items_path: FieldPath | None
    has_more: AnswerValue | None = None  # where the answer says whether more pages follow

    @property
    def reads_headers(self) -> bool:
        sources = (self.next_url, self.has_more, *(source for _, source in self.tokens))
        return any(source is not None and source.header is not None for source in sources)

    def first_variables(self) -> dict[str, str]:
        """The variables of the first page (also used by a single, unpaged call)."""
        return {PAGE_NUMBER: "1", PAGE_OFFSET: "0", PAGE_SIZE: str(self.page_size)}

    def count_items(self, body: Any, mapping: MappingPlan) -> int | None:
        """How many items a page holds, or None when nothing says where they are."""
        if self.items_path is not None:
            value = self.items_path.get(body)
            depth = max(1, self.items_path.list_depth)
            return len(flatten(value, depth)) if isinstance(value, list) else 0
        items = mapping.items(body)
        return None if items is None else len(items)


def _compile(definition: ConnectorDefinition, method: MethodSpec) -> PagingPlan:
    own, shared = method.Paging, definition.Paging

    def setting(name: str) -> Any:
        value = getattr(own, name) if own is not None else None
        return value if value is not None else getattr(shared, name)

    request = compile_request(definition, method)
    # A page variable may travel in the query, a header, or the path through a mergefield
    # (/items/page/{{Page}} with Page's Value CYCLR_PAGE_NUMBER).
    in_path = [
        p
        for p in request.mergefield_params.values()
        if p.Value and p.Value.startswith("CYCLR_PAGE_")
    ]
    sent = {p.Value for p in (*request.query_params, *request.header_params, *in_path) if p.Value}
    next_url: AnswerValue | None = None
    has_more: AnswerValue | None = None
    tokens: list[tuple[str, AnswerValue]] = []
    for param in request.response_params:
        if param.TargetType is Target.RESPONSE_HEADER:
            header = param.TargetName.lower()
            link = "next" if header == "link" and param.Value == PAGE_NEXT_URL else None
            source = AnswerValue(header=header, link_rel=link)
        else:
            source = AnswerValue(path=parse_path(param.TargetName))
        # A later parameter wins: the method's come after the connector's.
        if param.Value == PAGE_NEXT_URL:
            next_url = source
        elif param.Value == PAGE_HAS_MORE:
            has_more = source
        elif param.Value and param.Value.startswith(PAGE_TOKEN) and param.Value in sent:
            tokens = [(v, s) for v, s in tokens if v != param.Value]
            tokens.append((param.Value, source))
    uses_number = PAGE_NUMBER in sent
    uses_offset = PAGE_OFFSET in sent
    stop_on_short = setting("StopOnShortPage")
    if stop_on_short is None:
        # Counting pages stops on a short one; cursors may legitimately give short pages.
        stop_on_short = (uses_number or uses_offset) and next_url is None and not tokens
    items_path = setting("ItemsPath")
    return PagingPlan(
        active=bool(setting("InboundPaging")),
        page_size=setting("InboundPageSize") or DEFAULT_PAGE_SIZE,
        max_pages=setting("MaxPages") or DEFAULT_MAX_PAGES,
        stop_on_short=bool(stop_on_short),
        uses_number=uses_number,
        uses_offset=uses_offset,
        next_url=next_url,
        tokens=tuple(tokens),
        items_path=parse_path(items_path) if items_path else None,
        has_more=has_more,
    )


_plans: IdentityCache[PagingPlan] = IdentityCache(_compile)


def compile_paging(definition: ConnectorDefinition, method: MethodSpec) -> PagingPlan:
    return _plans.get(definition, method)


@dataclass
class FetchedPage:
    body: Any
    exchange: Exchange
    url: URL  # where the answer came from, for relative next-page URLs
    request_url: URL
    headers: Mapping[str, str] = field(default_factory=dict)  # the API's, for ResponseHeader
    # The answer as after_action handlers left it, when they ran: records are read from it,
    # while paging still reads the API's own answer.
    scripted: bool = False
    shown: Any = None


FetchPage = Callable[[Mapping[str, str], URL | None], Awaitable[FetchedPage]]


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


async def iterate_pages(
    plan: PagingPlan, mapping: MappingPlan, fetch: FetchPage
) -> AsyncIterator[Page]:
    number, offset = 1, 0
    tokens: dict[str, str] = {}
    next_url: URL | None = None
    origin: URL | None = None
    # Only cursors can repeat: a page number or offset moves on by itself.
    cursors = plan.next_url is not None or bool(plan.tokens)
    seen: set[int] = set()
    while True:
        variables = {
            PAGE_NUMBER: str(number),
            PAGE_OFFSET: str(offset),
            PAGE_SIZE: str(plan.page_size),
            **tokens,
        }
        fetched = await fetch(variables, next_url)
        if origin is None:
            origin = fetched.request_url.origin()
            if cursors:
                seen.add(_state(plan, fetched.request_url if plan.next_url else None, {}, 1, 0))
        body = fetched.body
        count = plan.count_items(body, mapping)
        if count is None and not body:
            count = 0  # nothing says where the items are, but an empty answer has none
        # Read what the next request needs before handing the page over (the consumer may
        # change the body); after this nothing of the page is kept here.
        tokens = {}
        more = True
        if plan.active:
            headers = _lower(fetched.headers) if plan.reads_headers else {}
            next_url = _next_url(plan, body, headers, fetched.url)
            for variable, source in plan.tokens:
                value = source.text(body, headers)
                if value is not None:
                    tokens[variable] = value
            if plan.has_more is not None:
                more = _says_more(plan.has_more.raw(body, headers))
            del headers
        shown = fetched.shown if fetched.scripted else body
        page = Page(
            number=number, body=shown, records=mapping.records(shown), exchange=fetched.exchange
        )
        del body, fetched, shown
        yield page
        del page

        if not plan.active or number >= plan.max_pages or count == 0:
            return
        if count is not None and plan.stop_on_short and count < plan.page_size:
            return
        if not more:
            return  # the answer says this was the last page
        if plan.next_url is not None:
            if next_url is None:
                return
            if next_url.origin() != origin:
                raise ConnectorCallError(
                    f"The next-page URL points to {next_url.host}, not to {origin.host}; "
                    "Junction does not send the connector's credentials elsewhere"
                )
        if plan.tokens and len(tokens) < len(plan.tokens):
            return  # a cursor is missing or empty: that was the last page
        if plan.next_url is None and not plan.tokens and not (plan.uses_number or plan.uses_offset):
            return  # nothing tells the API which page comes next
        number += 1
        offset += plan.page_size
        if not cursors:
            continue
        state = _state(plan, next_url, tokens, number, offset)
        if state in seen:
            raise PagingLoop(
                f"Paging stopped after page {number - 1}: the API sent the same "
                f"{'next-page URL' if plan.next_url is not None else 'page token'} again"
            )
        seen.add(state)


def _next_url(plan: PagingPlan, body: Any, headers: Mapping[str, str], current: URL) -> URL | None:
    if plan.next_url is None:
        return None
    found = plan.next_url.text(body, headers)
    if found is None:
        return None
    try:
        # Relative links are resolved against the page they came with.
        return current.join(URL(found))
    except ValueError:
        raise ConnectorCallError(f"The next-page URL '{found[:200]}' is not valid") from None


def _state(
    plan: PagingPlan, url: URL | None, tokens: Mapping[str, str], number: int, offset: int
) -> int:
    """A hash of what decides which page a request gets (a repeat means a loop)."""
    return hash(
        (
            str(url) if url is not None else None,
            tuple(sorted(tokens.items())),
            number if plan.uses_number else None,
            offset if plan.uses_offset else None,
        )
    )


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers by lower-case name; repeats joined with commas, as HTTP allows."""
    result: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        result[key] = f"{result[key]}, {value}" if key in result else value
    return result


def _says_more(value: Any) -> bool:
    """Whether a has-more value says more pages follow; a missing one says not, so that an
    answer without it cannot keep paging going."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("true", "1")


# RFC 8288: Link: <uri>; rel="next"; title="...", <uri>; rel="prev last"
_LINK_PARAM = re.compile(r'\s*;\s*([^\s=;,]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,]*))?')
_QUOTED_PAIR = re.compile(r"\\(.)")


def link_target(header: str, rel: str) -> str | None:
    """The target of the first link of a Link header with relation type ``rel``, or None.

    Relation types are compared ignoring case, and ``rel`` may list several ("next last").
    URLs may hold commas and semicolons, so the header is read link by link rather than
    split."""
    wanted = rel.lower()
    position = 0
    while True:
        start = header.find("<", position)
        if start < 0:
            return None
        end = header.find(">", start + 1)
        if end < 0:
            return None
        position = end + 1
        params: dict[str, str] = {}
        while (match := _LINK_PARAM.match(header, position)) is not None:
            name, value = match.group(1).lower(), (match.group(2) or "").strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = _QUOTED_PAIR.sub(r"\1", value[1:-1])
            params.setdefault(name, value)  # RFC 8288: a repeated rel is ignored
            position = match.end()
        if wanted in params.get("rel", "").lower().split():
            return header[start + 1 : end].strip()
