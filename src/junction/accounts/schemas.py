"""API shapes for accounts and account users (Cyclr's PascalCase names)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from junction.accounts.models import Account, AccountUser
from junction.bounds import Instant, NonNegativeInt32

MAX_URL_LENGTH = 2048
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _valid_timezone(value: str | None) -> str | None:
    if value is not None and value not in _zones():
        raise ValueError(f"'{value}' is not an IANA time zone name such as 'Europe/London'")
    return value


def _as_utc(value: datetime | None) -> datetime | None:
    # The field is named ...Utc: a date sent without an offset is taken to be UTC. (Instant
    # has checked that it has a UTC time.)
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _webhook_url(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    if len(value) > MAX_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host name")
    return value


AccountIdText = Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]
NameText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
TimezoneName = Annotated[str | None, AfterValidator(_valid_timezone)]
WebhookUrlText = Annotated[str | None, AfterValidator(_webhook_url)]
UtcDateTime = Annotated[Instant | None, AfterValidator(_as_utc)]
RetentionHoursValue = NonNegativeInt32 | None


class _Input(BaseModel):
    # Unknown fields are refused so that a misspelt name is reported, not silently dropped.
    model_config = ConfigDict(extra="forbid", strict=False)


class AccountCreate(_Input):
    Id: AccountIdText | None = Field(
        None, description="Your own id for the account (API ID); a GUID is generated if omitted."
    )
    Name: NameText
    Description: str | None = None
    Timezone: TimezoneName = Field(None, description="IANA time zone name; UTC when omitted.")
    AuditInfo: str | None = None
    TaskAuditInfo: str | None = None
    NextBillDateUtc: UtcDateTime = None
    StepDataSuccessRetentionHours: RetentionHoursValue = None
    StepDataErroredRetentionHours: RetentionHoursValue = None
    TransactionErrorWebhookEnabled: bool | None = None
    TransactionErrorWebhookUrl: WebhookUrlText = Field(
        None, description="https:// is prepended when the scheme is missing."
    )
    TransactionErrorWebhookIncludeWarnings: bool | None = None
    ParentAccountId: AccountIdText | None = Field(
        None, description="Creates the account as a sub-account of this one."
    )
    CreatedDate: Any = Field(None, description="Read-only; accepted and ignored.")


class AccountUpdate(_Input):
    """Partial update: omitted fields stay as they are, an explicit null clears a field."""

    Id: AccountIdText | None = Field(None, description="Must match the path when given.")
    Name: NameText | None = None
    Description: str | None = None
    Timezone: TimezoneName = Field(None, description="null resets to UTC.")
    AuditInfo: str | None = None
    TaskAuditInfo: str | None = None
    NextBillDateUtc: UtcDateTime = None
    StepDataSuccessRetentionHours: RetentionHoursValue = None
    StepDataErroredRetentionHours: RetentionHoursValue = None
    TransactionErrorWebhookEnabled: bool | None = None
    TransactionErrorWebhookUrl: WebhookUrlText = None
    TransactionErrorWebhookIncludeWarnings: bool | None = None
    ParentAccountId: AccountIdText | None = None
    CreatedDate: Any = Field(None, description="Read-only; accepted and ignored.")


class AccountOut(BaseModel):
    CreatedDate: datetime
    Id: str
    Name: str
    Description: str | None
    AuditInfo: str | None
    TaskAuditInfo: str | None
    Timezone: str
    NextBillDateUtc: datetime | None
    StepDataSuccessRetentionHours: int | None
    StepDataErroredRetentionHours: int | None
    TransactionErrorWebhookEnabled: bool
    TransactionErrorWebhookUrl: str | None
    TransactionErrorWebhookIncludeWarnings: bool
    ParentAccountId: str | None

    @classmethod
    def from_row(cls, row: Account) -> AccountOut:
        return cls(
            CreatedDate=row.created_at,
            Id=row.id,
            Name=row.name,
            Description=row.description,
            AuditInfo=row.audit_info,
            TaskAuditInfo=row.task_audit_info,
            Timezone=row.timezone,
            NextBillDateUtc=row.next_bill_date,
            StepDataSuccessRetentionHours=row.step_data_success_retention_hours,
            StepDataErroredRetentionHours=row.step_data_errored_retention_hours,
            TransactionErrorWebhookEnabled=row.error_webhook_enabled,
            TransactionErrorWebhookUrl=row.error_webhook_url,
            TransactionErrorWebhookIncludeWarnings=row.error_webhook_include_warnings,
            ParentAccountId=row.parent_account_id,
        )


UserNameText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]


class AccountUserPut(_Input):
    UserName: UserNameText
    Password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] | None = Field(
        None, description="Optional; at least 8 characters. Users made for embedding need none."
    )


class AccountUserDelete(_Input):
    UserName: UserNameText


class AccountUserOut(BaseModel):
    UserName: str
    CreatedDate: datetime
    Suspended: bool = Field(
        False, description="Junction extension: a suspended user cannot sign in to the pages."
    )

    @classmethod
    def from_row(cls, row: AccountUser) -> AccountUserOut:
        return cls(
            UserName=row.username,
            CreatedDate=row.created_at,
            Suspended=row.suspended_at is not None,
        )


class AccountUsageOut(BaseModel):
    Id: str = Field(description="The account's Id.")
    TasksUsed: int = Field(description="Tasks counted from StartTime (included) to EndTime.")
    StartTime: datetime
    EndTime: datetime


class UserPasswordPut(_Input):
    UserName: UserNameText
    Password: Annotated[str, StringConstraints(min_length=8, max_length=1024)] = Field(
        description="The new password, at least 8 characters."
    )
    AccountId: str | None = Field(
        None,
        description="Junction extension: the user's account, needed only when several "
        "accounts have a user of this name.",
    )


class AccountUserSuspend(_Input):
    UserName: UserNameText


class AccountSuspensionOut(BaseModel):
    Id: str
    Suspended: bool
