"""Partner-level routes for the customer pages' appearance: the partner's, an account's
changes to it, and a preview of one before it is stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from junction.accounts import service as accounts
from junction.accounts.schemas import AccountIdText
from junction.api.context import Context, Session
from junction.embed import appearance
from junction.embed.appearance import AppearanceIn
from junction.embed.browser import STATIC_PATH, security_headers, templates
from junction.embed.launch import Offered

router = APIRouter(tags=["Embedding"])


@router.get(
    "/settings/appearance",
    response_model=AppearanceIn,
    response_model_exclude_none=True,
    summary="Get the customer pages' appearance",
)
async def get_appearance(session: Session) -> AppearanceIn:
    return await appearance.stored(session=session, account_id=None)


@router.put(
    "/settings/appearance",
    response_model=AppearanceIn,
    response_model_exclude_none=True,
    summary="Set the customer pages' appearance",
    description="Replaces it whole: logo, brand name, colours, font, custom CSS, header, "
    "footer, LAUNCH complete and connector sign-in error HTML. Pages pick it up at once.",
)
async def put_appearance(
    appearance_in: AppearanceIn, session: Session, context: Context
) -> AppearanceIn:
    return await appearance.store(
        session=session, account_id=None, appearance=appearance_in, now=context.clock()
    )


@router.get(
    "/accounts/{account_id}/appearance",
    response_model=AppearanceIn,
    response_model_exclude_none=True,
    summary="Get an account's changes to the appearance",
)
async def get_account_appearance(account_id: AccountIdText, session: Session) -> AppearanceIn:
    await accounts.get_account(session=session, account_id=account_id)
    return await appearance.stored(session=session, account_id=account_id)


@router.put(
    "/accounts/{account_id}/appearance",
    response_model=AppearanceIn,
    response_model_exclude_none=True,
    summary="Set an account's changes to the appearance",
    description="The fields given replace the partner's for this account's pages (colours "
    "one by one); those left out stay the partner's.",
)
async def put_account_appearance(
    account_id: AccountIdText, appearance_in: AppearanceIn, session: Session, context: Context
) -> AppearanceIn:
    await accounts.get_account(session=session, account_id=account_id)
    return await appearance.store(
        session=session, account_id=account_id, appearance=appearance_in, now=context.clock()
    )


@router.delete(
    "/accounts/{account_id}/appearance", summary="Drop an account's changes to the appearance"
)
async def delete_account_appearance(account_id: AccountIdText, session: Session) -> Any:
    await accounts.get_account(session=session, account_id=account_id)
    await appearance.remove(session=session, account_id=account_id)
    return {"Message": f"Account '{account_id}' uses the partner's appearance again."}


SAMPLE = [
    Offered(
        "a", "Newsletter sign-ups", "Every sign-up reaches your list.", ["CRM", "Mailer"], False
    ),
    Offered("b", "Welcome e-mails", "A welcome e-mail for each new customer.", ["CRM"], True),
]


@router.post(
    "/settings/appearance/preview",
    response_class=HTMLResponse,
    summary="Preview an appearance",
    description="A sample LAUNCH page (text/html) drawn with this appearance over the "
    "partner's, without storing it: show it in an iframe before saving.",
)
async def preview_appearance(
    appearance_in: AppearanceIn, session: Session, context: Context
) -> HTMLResponse:
    look = appearance.merged(
        await appearance.stored(session=session, account_id=None), appearance_in
    )
    page = templates.get_template("preview.html").render(
        static=STATIC_PATH,
        appearance=look,
        theme=None,
        # Inline here (nothing is stored to link), and unable to close its <style>.
        css=appearance.stylesheet(look).replace("</", "<\\/"),
        title="Choose an integration",
        browser=None,
        offered=SAMPLE,
        descriptions=True,
    )
    headers = security_headers(context)
    # The pages' own policy, but for the one inline stylesheet: scripts still never run.
    headers["Content-Security-Policy"] = headers["Content-Security-Policy"].replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    )
    return HTMLResponse(page, headers=headers)
