"""Request and answer bodies of the sign-in, LAUNCH and ORBIT routes (Cyclr's names)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from yarl import URL

from junction.accounts.schemas import AccountIdText, NameText, UserNameText
from junction.connectors.accounts.schemas import PropertyIn

ShortText = Annotated[str, StringConstraints(max_length=2048)]
TagText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignInTokenIn(_Input):
    Username: UserNameText | None = Field(
        None, description="The account's user the token signs in; created when missing."
    )


class SignInTokenOut(BaseModel):
    Token: str
    ExpiresAtUtc: datetime


class ConnectorAuthentication(_Input):
    """A connector to install, already authenticated, into the account (a partner connector)."""

    Name: NameText = Field(description="The connector's name.")
    Version: Annotated[str, StringConstraints(max_length=32)] | None = Field(
        None, description="The release; the newest Live one when omitted."
    )
    AuthenticationId: str | None = None
    AuthValue: str | None = None
    Properties: list[PropertyIn] = Field(default_factory=list)
    # What Cyclr's clients send back from an account connector's listing.
    IsPartnerIntegrationConnector: bool | None = Field(None, description="Accepted and ignored.")


class DeployIn(_Input):
    """What LAUNCH and Marketplace deployments share."""

    AccountName: NameText | None = Field(
        None, description="Name of the account created when the id is unknown (the id if omitted)."
    )
    AccountDescription: ShortText | None = None
    ConnectorAuthentications: list[ConnectorAuthentication] = Field(default_factory=list)
    PartnerConnector: ConnectorAuthentication | None = None
    InlineOAuth: bool = Field(
        False, description="Open OAuth sign-in pages in the same window instead of a popup."
    )
    CompleteParameter: ShortText | None = Field(
        None, description="Given back to the host page in the result of the last page."
    )


class LaunchIn(DeployIn):
    Start: bool = Field(True, description="Activate the integration at the end.")
    RunOnce: bool = Field(False, description="Activate it to run once.")
    Tags: list[TagText] = Field(
        default_factory=list, description="Offer only templates with one of these tags."
    )
    AutoInstall: bool = Field(True, description="Install at once when one template is offered.")
    SingleInstall: bool = Field(False, description="Hide templates the account has installed.")
    Wizard: bool = Field(False, description="Ask the choices one step at a time.")
    DisplayDescriptions: bool = Field(False, description="Show templates' descriptions.")


class _User(_Input):
    AccountId: AccountIdText
    Username: UserNameText
    Password: Annotated[str, StringConstraints(max_length=1024)]


class UserLaunchIn(LaunchIn, _User):
    pass


class OrbitIn(_Input):
    pass


class UserOrbitIn(_User):
    pass


class LaunchOut(BaseModel):
    AccountId: str
    ExpiresAtUtc: datetime
    LaunchUrl: str
    Token: str


class OrbitOut(BaseModel):
    AccountId: str
    ExpiresAtUtc: datetime
    OrbitUrl: str
    Token: str


def launch_options(launch_in: LaunchIn) -> dict[str, Any]:
    """What the LAUNCH pages read from the session."""
    return {
        "page": "launch",
        "start": launch_in.Start,
        "run_once": launch_in.RunOnce,
        "tags": list(launch_in.Tags),
        "auto_install": launch_in.AutoInstall,
        "single_install": launch_in.SingleInstall,
        "wizard": launch_in.Wizard,
        "descriptions": launch_in.DisplayDescriptions,
        "inline_oauth": launch_in.InlineOAuth,
        "complete_parameter": launch_in.CompleteParameter,
    }


# -- Marketplace -------------------------------------------------------------------------


def _web_address(value: str) -> str:
    try:
        host = URL(value).host
    except ValueError:
        host = None
    if value.partition("://")[0].lower() not in ("http", "https") or not host:
        raise ValueError("must be an http or https address, e.g. https://app.example.com/hooks")
    return value


WebAddress = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_web_address)]

CardText = Annotated[str, StringConstraints(max_length=4000)]


class RichTextCard(_Input):
    Type: Literal["RichText"]
    Text: CardText = Field(description="Plain text; blank lines separate paragraphs.")


class ActionLinkCard(_Input):
    Type: Literal["ActionLink"]
    Name: NameText
    LinkText: ShortText | None = None
    Url: Annotated[str, StringConstraints(max_length=2048, pattern=r"^(https?|ftp)://\S+$")]


class PackageCard(_Input):
    """An integration package: templates a customer installs together."""

    Type: Literal["IntegrationPackage"]
    Id: int | None = Field(
        None, ge=1, le=2**31 - 1, description="Given by Junction when omitted; kept after."
    )
    Name: NameText
    Description: CardText | None = None
    Icon: Annotated[str, StringConstraints(max_length=100_000)] | None = Field(
        None, description="A data: URI or an https URL."
    )
    Category: ShortText | None = Field(None, description="Cards of one category are grouped.")
    Tags: list[TagText] = Field(default_factory=list)
    TemplateIds: list[Annotated[str, StringConstraints(max_length=36)]] = Field(min_length=1)
    InstalledMessage: CardText | None = None
    SingleInstallation: bool = Field(
        False, description="Refuse to install it again while the account has it."
    )
    AutoStart: bool = Field(True, description="Switch the integrations on at the end.")


Card = Annotated[RichTextCard | ActionLinkCard | PackageCard, Field(discriminator="Type")]


class MarketplaceIn(_Input):
    Name: NameText
    Description: CardText | None = None
    NotificationUrl: WebAddress | None = Field(
        None, description="Where installs and uninstalls are reported (signed POSTs)."
    )
    Cards: list[Card] = Field(default_factory=list, max_length=500)


class MarketplaceOut(MarketplaceIn):
    Id: int
    CreatedAtUtc: datetime
    UpdatedAtUtc: datetime


class MarketplaceCreated(MarketplaceOut):
    NotificationSigningSecret: str = Field(
        description="Signs every notification (X-Junction-Signature). Shown only now."
    )


class MarketplaceDeployIn(DeployIn):
    MarketplaceId: int = Field(ge=1, le=2**31 - 1)


class UserMarketplaceIn(MarketplaceDeployIn, _User):
    pass


class MarketplaceDeployOut(BaseModel):
    MarketplaceUrl: str
    AccountId: str
    Token: str
    ExpiresAtUtc: datetime


class BrowserTokenOut(BaseModel):
    """An access token restricted to one account, short-lived: safe to hand to a browser."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth token type
    expires_in: int
    scope: str
    ExpiresAtUtc: datetime
