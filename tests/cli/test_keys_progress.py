"""``junction keys reseal``'s progress bar counts every sealed value, and stays out of
output that is not a terminal."""

from __future__ import annotations

from junction.auth import service as auth_service
from junction.connectors.accounts import service as account_connectors
from tests.cli.operator import Operator
from tests.fixtures.engine_flows import add_connectors
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction


def test_the_count_matches_what_reseal_looks_at(junction: Junction) -> None:
    for index in range(3):
        junction.create_credentials(f"set {index}")
    with MailerApi() as mailer, junction.http(junction.token()) as partner:
        add_connectors(partner, mailer)  # three partner properties, sealed
    services = junction.services

    async def count_and_reseal() -> tuple[int, int, int]:
        seen: list[int] = []
        async with services.database.transaction() as session:
            total = await auth_service.sealed_count(session=session)
            total += await account_connectors.sealed_count(session=session)
            changed = await auth_service.reseal_secrets(
                session=session, keyring=services.keyring, seen=lambda: seen.append(1)
            )
            changed += await account_connectors.reseal_secrets(
                session=session, keyring=services.keyring, seen=lambda: seen.append(1)
            )
        return total, len(seen), changed

    total, seen, changed = junction.run(count_and_reseal())
    # Four credential sets (the token's own among them) and the Mailer's three properties.
    assert (total, seen, changed) == (7, 7, 0)

    result = Operator(junction).result("keys", "reseal")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Re-encrypted 0 secret(s)"), result.stdout
    assert result.stderr == ""
