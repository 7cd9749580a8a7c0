"""Authentication from ``securityDefinitions`` (2.0) or ``components.securitySchemes`` (3.x).

apiKey → ApiKey; basic → Basic; bearer → ApiKey in the Authorization header with the
prefix ``Bearer ``; each supported OAuth 2.0 flow → one OAuth2 entry, whose client id and
secret are partner connector properties (they belong to the partner's app registration).
The scheme named first in the top-level ``security`` is the default, else the first one.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from junction.connectors.openapi.document import Source
from junction.connectors.openapi.names import identifier, mergefield_name, unique
from junction.connectors.openapi.notes import Notes, at
from junction.connectors.openapi.refs import Resolver
from junction.connectors.openapi.servers import Server

# OpenAPI flow name → the connector format's OAuth2Type (3.x names, then 2.0's).
_FLOWS = {
    "authorizationCode": "AuthorisationCode",
    "clientCredentials": "ClientCredentials",
    "password": "PasswordCredentials",
    "accessCode": "AuthorisationCode",
    "application": "ClientCredentials",
}


class Security:
    def __init__(self, source: Source, resolver: Resolver, notes: Notes, server: Server) -> None:
        self.source = source
        self.resolver = resolver
        self.notes = notes
        self.server = server
        self.authentication: list[dict[str, Any]] = []
        self.parameters: list[dict[str, Any]] = []
        self._ids: set[str] = set()
        self._by_scheme: dict[str, int] = {}  # scheme name → index of its first entry
        self._oauth: dict[str, list[dict[str, Any]]] = {}  # scheme name → its OAuth2 objects
        # (location, name) of each API key, names of headers lower-cased: a parameter that
        # is one of them is the credential itself, which the authentication already sends.
        self.key_parameters: set[tuple[str, str]] = set()
        # Scheme name → the mergefield holding the token it sends (OAuth 2.0 and bearer):
        # a ``token``/``access_token`` parameter beside such a scheme is that token again.
        self.token_schemes: dict[str, str] = {}

    def build(self, taken: set[str]) -> None:
        root = self.source.root
        if self.source.major == 2:
            schemes, where = root.get("securityDefinitions"), "securityDefinitions"
        else:
            components = root.get("components")
            schemes = components.get("securitySchemes") if isinstance(components, dict) else None
            where = "components.securitySchemes"
        if not isinstance(schemes, dict):
            return
        for name, raw in schemes.items():
            scheme, location, _ = self.resolver.resolve(raw, at(where, name))
            if isinstance(scheme, dict):
                self._scheme(str(name), scheme, location, taken)
        self._mark_default()

    def _entry(self, scheme: str, suffix: str | None, spec: dict[str, Any]) -> None:
        base = identifier(scheme if suffix is None else f"{scheme}-{suffix}", "auth")
        entry = {"Id": unique(base, self._ids), **spec}
        self._by_scheme.setdefault(scheme, len(self.authentication))
        self.authentication.append(entry)

    def _scheme(self, name: str, scheme: dict[str, Any], where: str, taken: set[str]) -> None:
        kind = str(scheme.get("type", ""))
        http_scheme = str(scheme.get("scheme", "")).lower()
        if kind == "apiKey":
            location = scheme.get("in")
            key_name = scheme.get("name")
            if location not in ("header", "query") or not isinstance(key_name, str) or not key_name:
                self.notes.warn(where, f"an API key in '{location}' is not supported; skipped")
                return
            api_key = {
                "Location": "HttpHeader" if location == "header" else "QueryString",
                "Name": key_name,
            }
            prefix = key_prefix(scheme.get("description"), key_name)
            if prefix:
                api_key["Prefix"] = prefix
                self.notes.warn(where, f"the key's prefix '{prefix}' is taken from the description")
            self.key_parameters.add(
                (location, key_name.lower() if location == "header" else key_name)
            )
            self._entry(name, None, {"AuthType": "ApiKey", "Name": name, "ApiKey": api_key})
        elif kind == "basic" or (kind == "http" and http_scheme == "basic"):
            self._entry(name, None, {"AuthType": "Basic", "Name": name})
        elif kind == "http" and http_scheme == "bearer":
            self.token_schemes[name] = "Cyclr_Auth_ApiKey"
            self._entry(
                name,
                None,
                {
                    "AuthType": "ApiKey",
                    "Name": name,
                    "ApiKey": {
                        "Location": "HttpHeader",
                        "Name": "Authorization",
                        "Prefix": "Bearer ",
                    },
                },
            )
        elif kind == "oauth2":
            self._oauth2(name, scheme, where, taken)
        elif kind in ("openIdConnect", "mutualTLS"):
            self.notes.warn(where, f"{kind} authentication is not supported; skipped")
        else:
            described = f"http {http_scheme}" if kind == "http" else kind or "(no type)"
            self.notes.warn(where, f"{described} authentication is not supported; skipped")

    def _oauth2(self, name: str, scheme: dict[str, Any], where: str, taken: set[str]) -> None:
        if self.source.major == 2:
            flow = str(scheme.get("flow", ""))
            flows: dict[str, Any] = {flow: scheme}
        else:
            declared = scheme.get("flows")
            flows = {str(k): v for k, v in declared.items()} if isinstance(declared, dict) else {}
        client: tuple[str, str] | None = None
        for flow, settings in flows.items():
            location = where if self.source.major == 2 else at(at(where, "flows"), flow)
            grant = _FLOWS.get(flow)
            if grant is None or not isinstance(settings, dict):
                self.notes.warn(location, f"the OAuth 2.0 flow '{flow}' is not supported; skipped")
                continue
            token_url = self._url(settings.get("tokenUrl"), at(location, "tokenUrl"))
            authorise_url = self._url(
                settings.get("authorizationUrl"), at(location, "authorizationUrl")
            )
            if token_url is None or (grant == "AuthorisationCode" and authorise_url is None):
                self.notes.warn(location, "lacks a usable tokenUrl or authorizationUrl; skipped")
                continue
            if client is None:
                client = self._client(name, taken)
            oauth: dict[str, Any] = {"OAuth2Type": grant}
            if grant == "AuthorisationCode":
                oauth["AuthoriseUrl"] = authorise_url
            oauth["TokenUrl"] = token_url
            oauth["ClientId"] = "{{" + client[0] + "}}"
            oauth["ClientSecret"] = "{{" + client[1] + "}}"
            scopes = settings.get("scopes")
            if isinstance(scopes, dict) and scopes:
                oauth["Scopes"] = [str(scope) for scope in scopes]
            self._oauth.setdefault(name, []).append(oauth)
            self.token_schemes[name] = "Cyclr_Auth_AccessToken"
            suffix = flow if len(flows) > 1 else None
            self._entry(
                name,
                suffix,
                {"AuthType": "OAuth2", "Name": f"{name} ({flow})", "OAuth2": oauth},
            )

    def _client(self, scheme: str, taken: set[str]) -> tuple[str, str]:
        """Partner properties for the client id and secret of one scheme's app."""
        prefix = mergefield_name(scheme)
        client_id = unique(f"{prefix}_ClientId", taken)
        secret = unique(f"{prefix}_ClientSecret", taken)
        self.parameters += [
            {
                "TargetType": "MergeField",
                "TargetName": client_id,
                "DisplayName": f"{scheme} client id",
                "Description": "The client id of the partner's app registered at the provider",
                "PartnerConnectorProperty": True,
            },
            {
                "TargetType": "MergeField",
                "TargetName": secret,
                "DisplayName": f"{scheme} client secret",
                "Description": "The client secret of the partner's app registered at the provider",
                "PartnerConnectorProperty": True,
                "Sensitive": True,
            },
        ]
        return client_id, secret

    def _url(self, value: Any, where: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        url: str = value.strip()
        if url.lower().startswith(("http://", "https://")):
            return url
        if self.server.literal is not None:
            return urljoin(self.server.literal.rstrip("/") + "/", url)
        self.notes.warn(where, f"the relative URL '{url}' has no fixed server to resolve against")
        return None

    def _mark_default(self) -> None:
        if not self.authentication:
            return
        chosen = 0
        security = self.source.root.get("security")
        if isinstance(security, list):
            named = [
                str(scheme)
                for requirement in security
                if isinstance(requirement, dict)
                for scheme in requirement
            ]
            chosen = next(
                (self._by_scheme[scheme] for scheme in named if scheme in self._by_scheme), 0
            )
        self.authentication[chosen]["IsDefault"] = True

    def choose_scopes(self, requirements: list[Any]) -> None:
        """Each OAuth 2.0 entry asks only for the scopes the imported operations need.

        ``requirements`` holds each imported operation's ``security`` (its own, else the
        document's). The connector format has one list of scopes per entry, so an entry gets
        the union of its scheme's scopes over those operations, in the order the scheme
        declares them. A scheme that no requirement gives any scope keeps all it declares.
        """
        every = self._required_scopes([self.source.root.get("security"), *self._all_security()])
        chosen = self._required_scopes(requirements)
        for scheme, entries in self._oauth.items():
            if not every.get(scheme):
                if any(entry.get("Scopes") for entry in entries):
                    self.notes.warn(
                        "security",
                        f"no operation names the scopes of '{scheme}' it needs; all "
                        "the scopes it declares are asked for",
                    )
                continue
            wanted = chosen.get(scheme, set())
            for entry in entries:
                declared = list(entry.get("Scopes", []))
                scopes = [s for s in declared if s in wanted]
                scopes += sorted(wanted.difference(declared))
                if scopes:
                    entry["Scopes"] = scopes
                else:
                    entry.pop("Scopes", None)

    def _all_security(self) -> list[Any]:
        found: list[Any] = []
        paths = self.source.root.get("paths")
        for item in paths.values() if isinstance(paths, dict) else ():
            for node in item.values() if isinstance(item, dict) else ():
                if isinstance(node, dict) and "security" in node:
                    found.append(node["security"])
        return found

    @staticmethod
    def _required_scopes(requirements: list[Any]) -> dict[str, set[str]]:
        """Scheme name → the scopes named for it, over every requirement.

        Of an operation's alternatives (a list of requirement objects, any one of which
        suffices) the first that is not empty is taken."""
        scopes: dict[str, set[str]] = {}
        for security in requirements:
            if not isinstance(security, list):
                continue
            for requirement in security:
                if not isinstance(requirement, dict) or not requirement:
                    continue
                for scheme, names in requirement.items():
                    if isinstance(names, list):
                        scopes.setdefault(str(scheme), set()).update(str(n) for n in names)
                break
        return scopes


# A placeholder standing for the key in a scheme's description: <key>, {token}, [API_KEY],
# or words naming it (Klaviyo's `Klaviyo-API-Key your-private-api-key`, YOUR_API_TOKEN).
_PLACEHOLDER = (
    r"(?:<[^<>\n]{1,40}>|\{\{?[^{}\n]{1,40}\}?\}|\[[^\[\]\n]{1,40}\]"
    r"|(?i:your)[-_A-Za-z0-9]{0,40}(?i:key|token)\b)"
)
_PREFIX = r"(?P<prefix>[A-Za-z][A-Za-z0-9_-]*(?:[ =][A-Za-z0-9_-]*)*[ =]?)"


def key_prefix(description: Any, key_name: str) -> str | None:
    """The text a scheme's description says goes before the key, e.g. ``Token token=`` in
    "send ``Authorization: Token token=<your key>``", or None."""
    if not isinstance(description, str):
        return None
    description = description[:2000]  # the example is near the start; keeps the search short
    patterns = [
        # After the header's own name: "Authorization: Token token=<key>".
        re.escape(key_name) + r"\s*:\s*" + _PREFIX + r"[\"']?" + _PLACEHOLDER,
        # Quoted or in backticks: `Token token=<key>`.
        r"[`\"']" + _PREFIX + r"[\"']?" + _PLACEHOLDER,
    ]
    for pattern in patterns:
        match = re.search(pattern, description)
        if match is None:
            continue
        prefix = match.group("prefix")
        if len(prefix) <= 40 and prefix.endswith((" ", "=")):
            return prefix
    return None
