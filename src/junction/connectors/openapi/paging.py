"""Paging guessed from the names of a list operation's parameters and answer fields.

Names are compared lower-cased without ``_``, ``-`` and ``.``: ``page_token``, ``pageToken``
and ``page-token`` are one name. Styles, most telling first:

- cursor: a query parameter such as ``cursor``, ``page_token`` or ``starting_after`` and an
  answer field (not inside a list) such as ``next_cursor`` or ``response_metadata.next_cursor``;
- last-item cursor: ``starting_after`` with an ``id`` in the answer's list (Stripe: the next
  page starts after the last item), ending when ``has_more`` is false;
- next URL: an answer field such as ``next``, ``links.next`` or ``next_page_url``;
- Link header: a 2xx answer declares a ``Link`` header (RFC 8288; GitHub, Shopify);
- offset: ``offset`` (or ``skip``) with a page-size parameter such as ``limit``;
- page number: ``page`` (with ``per_page`` or ``page_size`` when there is one).

Offset and page styles need a list in the answer, whose length tells a short or empty page
(the last one). Every method that pages, or has a parameter that looks like paging but
cannot be paged, gets a note saying what was chosen and how sure the guess is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from junction.connectors.openapi.notes import Notes

DEFAULT_PAGE_SIZE = 100
_TOKEN_PARAMETERS = frozenset(
    {
        "cursor",
        "pagetoken",
        "nextpagetoken",
        "pagecursor",
        "nextcursor",
        "continuationtoken",
        "continuation",
        "nexttoken",
        "after",
        "startingafter",
        "startcursor",
        "marker",
    }
)
_TOKEN_FIELDS = frozenset(
    {
        "nextcursor",
        "nextpagetoken",
        "nexttoken",
        "nextpagecursor",
        "endcursor",
        "continuationtoken",
        "nextmarker",
        "cursor",
        "after",
    }
)
_MORE_FIELDS = frozenset({"hasmore", "hasnextpage", "more", "moreresults"})
# The next page starts after the item named (Stripe); ending_before goes the other way, from
# the first item, which no paging variable reads.
_AFTER_ITEM_PARAMETERS = frozenset({"startingafter"})
_BEFORE_ITEM_PARAMETERS = frozenset({"endingbefore"})
_NEXT_URL_FIELDS = frozenset(
    {"next", "nexturl", "nextlink", "nextpageurl", "nextpagelink", "nexthref"}
)
_OFFSET_PARAMETERS = frozenset({"offset", "skip", "startindex"})
_PAGE_PARAMETERS = frozenset({"page", "pagenumber", "pageno", "pagenum"})
_SIZE_PARAMETERS = frozenset(
    {"limit", "pagesize", "perpage", "size", "maxresults", "count", "pagelimit", "top"}
)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _last(path: str) -> str:
    return _key(path.rsplit(".", 1)[-1])


@dataclass(frozen=True)
class ListShape:
    """What the guess reads: the method's query parameters and its answer's fields."""

    where: str  # the operation's location, for the note
    parameters: list[dict[str, Any]]
    response_fields: list[dict[str, Any]]
    link_header: bool  # a 2xx answer declares a Link header
    maximums: dict[str, int]  # a query parameter's schema maximum, by name


def _query(shape: ListShape, names: frozenset[str], *, number: bool) -> dict[str, Any] | None:
    for spec in shape.parameters:
        if spec["TargetType"] != "QueryString" or "Value" in spec:
            continue
        if _key(spec["TargetName"]) in names and (not number or spec.get("DataType") == "Integer"):
            return spec
    return None


def _field(shape: ListShape, names: frozenset[str], *, text: bool) -> str | None:
    for spec in shape.response_fields:
        path = str(spec["ConnectorField"])
        if "[" in path or _last(path) not in names:
            continue
        if text and spec.get("DataType", "Text") != "Text":
            continue
        return path
    return None


def _has_list(shape: ListShape) -> bool:
    return any("[" in str(spec["ConnectorField"]) for spec in shape.response_fields)


def _item_id(shape: ListShape) -> str | None:
    """The ``id`` of the answer's items (``[data].id``), outside any inner list."""
    for spec in shape.response_fields:
        path = str(spec["ConnectorField"])
        head, _, last = path.rpartition(".")
        if _key(last) == "id" and head.endswith("]") and head.count("[") == 1:
            return path
    return None


def _send(spec: dict[str, Any], variable: str) -> None:
    spec["Value"] = variable
    spec["Hidden"] = True
    spec.pop("Optional", None)
    spec.pop("DefaultValue", None)


def detect(shape: ListShape, notes: Notes) -> dict[str, Any] | None:
    """Turn the paging parameters of ``shape`` into page variables (in place) and return the
    method's ``Paging``, or None; a note tells what was guessed."""
    token = _query(shape, _TOKEN_PARAMETERS, number=False)
    size = _query(shape, _SIZE_PARAMETERS, number=True)
    paging: dict[str, Any] = {"InboundPaging": True}
    if size is not None:
        maximum = shape.maximums.get(size["TargetName"])
        if maximum is not None and 0 < maximum < DEFAULT_PAGE_SIZE:
            paging["InboundPageSize"] = maximum

    def with_size(text: str) -> str:
        if size is None:
            return text
        _send(size, "CYCLR_PAGE_SIZE")
        return f"{text}, '{size['TargetName']}' the page size"

    if token is not None:
        cursor = _field(shape, _TOKEN_FIELDS, text=True)
        if cursor is not None:
            _send(token, "CYCLR_PAGE_TOKEN")
            shape.parameters.append(_read(cursor, "CYCLR_PAGE_TOKEN"))
            said = with_size(f"'{token['TargetName']}' sends {cursor} of the previous answer")
            notes.warn(shape.where, f"paging by cursor (likely): {said}")
            return paging
    more = _field(shape, _MORE_FIELDS, text=False)
    after = _query(shape, _AFTER_ITEM_PARAMETERS, number=False)
    item_id = _item_id(shape)
    if after is not None and item_id is not None:
        _send(after, "CYCLR_PAGE_TOKEN")
        shape.parameters.append(_read(item_id, "CYCLR_PAGE_TOKEN"))
        said = f"'{after['TargetName']}' sends {item_id} of the previous page's last item"
        if more is not None:
            shape.parameters.append(_read(more, "CYCLR_PAGE_HAS_MORE"))
            said = with_size(f"{said}, until {more} is false")
            notes.warn(shape.where, f"paging by last-item cursor (likely): {said}")
        else:
            said = with_size(f"{said}, with nothing saying whether more follow")
            notes.warn(
                shape.where,
                f"paging by last-item cursor (possible): {said}, so paging stops at the "
                "first empty page",
            )
        return paging
    next_url = _field(shape, _NEXT_URL_FIELDS, text=True)
    if next_url is not None:
        shape.parameters.append(_read(next_url, "CYCLR_PAGE_NEXT_URL"))
        said = with_size(f"the next page is the URL in {next_url}")
        notes.warn(shape.where, f"paging by next URL (likely): {said}")
        return paging
    if shape.link_header:
        shape.parameters.append(_read_header("Link", "CYCLR_PAGE_NEXT_URL"))
        said = with_size('the next page is the URL of rel="next" in the Link header')
        # A documented Link header on a list answer is paging; on anything else it may
        # describe other relations (describedby, preload).
        sure = "likely" if _has_list(shape) else "possible"
        notes.warn(shape.where, f"paging by Link header ({sure}): {said}")
        return paging
    offset = _query(shape, _OFFSET_PARAMETERS, number=True)
    page = _query(shape, _PAGE_PARAMETERS, number=True)
    listed = _has_list(shape)
    if offset is not None and size is not None and listed:
        _send(offset, "CYCLR_PAGE_OFFSET")
        said = with_size(f"'{offset['TargetName']}' counts the items before each page")
        notes.warn(shape.where, f"paging by offset (likely): {said}")
        return paging
    if page is not None and listed:
        _send(page, "CYCLR_PAGE_NUMBER")
        said = f"'{page['TargetName']}' numbers the pages from 1"
        if size is None:
            # Without a size the API's own page size is unknown: only an empty page ends.
            paging["StopOnShortPage"] = False
            notes.warn(
                shape.where,
                f"paging by page number (possible): {said}, with no page-size parameter, "
                "so paging stops at the first empty page",
            )
        else:
            notes.warn(shape.where, f"paging by page number (likely): {with_size(said)}")
        return paging
    before = _query(shape, _BEFORE_ITEM_PARAMETERS, number=False)
    hints = [p for p in (token, before, offset, page) if p is not None]
    if hints:
        found = ", ".join(f"'{p['TargetName']}'" for p in hints)
        why = "the answer has no list" if not listed else "nothing in the answer pairs with it"
        if after is not None and listed:
            why = "the answer's items have no id to start the next page after"
        elif token is not None and more is not None:
            why = (
                f"the answer has {more} but no next cursor; if the cursor is an item's id, "
                "read it through the list (such as [data].id)"
            )
        elif before is not None and token is None:
            why = "it pages backwards from the first item, which no paging variable reads"
        notes.warn(shape.where, f"not paged: {found} looks like paging, but {why}; add it by hand")
    return None


def _read(path: str, variable: str) -> dict[str, Any]:
    return {"TargetType": "ResponseField", "TargetName": path, "Value": variable, "Hidden": True}


def _read_header(name: str, variable: str) -> dict[str, Any]:
    return {"TargetType": "ResponseHeader", "TargetName": name, "Value": variable, "Hidden": True}
