"""Property-based fuzzing of the JSON API from its own ``/openapi.json`` (schemathesis).

Every operation is called with generated input, valid (positive) and invalid (negative),
with a partner token and an account header. Each case is generated once and sent to a
server on each database (generating is most of the cost). A case fails on any 5xx,
and on a 2xx whose body breaks the schema the document declares for it. The examples are
derived from a fixed seed (``derandomize``), so a run repeats exactly, and Hypothesis keeps
no example database. The number of examples per operation bounds the run: about 31 s of
CPU for both databases (docs/benchmarks.md); ``JUNCTION_TEST_FUZZ_EXAMPLES`` asks for a
deeper run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fixtures.databases import postgres_admin_url
from tests.fixtures.server import Junction, running_junction

# Three per operation and mode in the everyday run (about 760 cases on each database); the
# same seed, so a deeper run (say 25) finds everything this one does and more.
_EXAMPLES = os.environ.get("JUNCTION_TEST_FUZZ_EXAMPLES") or "3"
if not _EXAMPLES.isdigit() or int(_EXAMPLES) < 1:
    raise pytest.UsageError(
        f"JUNCTION_TEST_FUZZ_EXAMPLES: '{_EXAMPLES}' is not a whole number >= 1"
    )
EXAMPLES_PER_OPERATION = int(_EXAMPLES)
ACCOUNT = "fuzz"
# Every operation, webhook intake included; nothing is left out.
EXCLUDED_PATHS: tuple[str, ...] = ()


@dataclass
class Run:
    cases: int = 0
    failures: list[str] = field(default_factory=list)


def _send(client: httpx.Client, case: Any) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=str(client.base_url))
    content = kwargs.get("data")
    if isinstance(content, dict):
        return client.request(
            kwargs["method"],
            kwargs["url"],
            params=kwargs.get("params"),
            headers=kwargs.get("headers"),
            data=content,
        )
    return client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=kwargs.get("headers"),
        json=kwargs.get("json"),
        content=content,
    )


def _fuzz(clients: dict[str, httpx.Client], operation: Any, mode: GenerationMode, run: Run) -> None:
    strategy = operation.as_strategy(generation_mode=mode, headers={"X-Cyclr-Account": ACCOUNT})

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        run.cases += 1
        for backend, client in clients.items():
            response = _send(client, case)
            # The in-process transport does not time its responses; schemathesis reads it.
            response.elapsed = timedelta(0)
            try:
                case.validate_response(
                    response, checks=[not_a_server_error, response_schema_conformance]
                )
            except AssertionError as failure:
                reason = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
                run.failures.append(
                    f"{operation.label} [{mode}, {backend}] {response.status_code}: {reason}\n"
                    f"    {case.as_curl_command()[:400]}\n    {response.text[:300]}"
                )

    try:
        call()
    except Unsatisfiable:
        # No invalid input exists for it (an operation that takes none): nothing to send.
        assert mode is GenerationMode.NEGATIVE, operation.label


# The operations are fuzzed in shards, so the test processes share the work.
SHARDS = 3


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Junction]]:
    """A server on SQLite and, when PostgreSQL is at hand, one on PostgreSQL."""
    backends = ["sqlite", *(["postgres"] if postgres_admin_url() else [])]
    with ExitStack() as stack:
        yield {
            backend: stack.enter_context(
                running_junction(backend, tmp_path_factory.mktemp(f"fuzz-{backend}"))
            )
            for backend in backends
        }


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_generated_input_gets_a_server_error(
    servers: dict[str, Junction], tmp_path: Path, shard: int
) -> None:
    # Hypothesis caches what it learns (the constants of the code under test) in
    # ./.hypothesis; a test run keeps nothing outside its temporary folder.
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    try:
        _fuzz_operations(servers, shard)
    finally:
        set_hypothesis_home_dir(None)


def _fuzz_operations(servers: dict[str, Junction], shard: int) -> None:
    with ExitStack() as stack:
        clients = {}
        for backend, junction in servers.items():
            junction.reset()
            token = junction.token()
            with junction.http(token) as partner:
                created = partner.post("/v1.0/accounts", json={"Id": ACCOUNT, "Name": "Fuzz"})
                assert created.is_success, created.text
                spec = partner.get("/openapi.json").json()
            clients[backend] = stack.enter_context(junction.http(token, account=ACCOUNT))
        schema = schemathesis.openapi.from_dict(spec)
        run = Run()
        started = time.process_time()
        for number, result in enumerate(schema.get_all_operations()):
            # An operation the document describes badly fails here, by name.
            assert isinstance(result, Ok), result.err()
            operation = result.ok()
            if number % SHARDS != shard or operation.path.startswith(EXCLUDED_PATHS):
                continue
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _fuzz(clients, operation, mode, run)
    cpu = time.process_time() - started
    print(f"fuzzing: {run.cases} cases on {', '.join(servers)} in {cpu:.1f} s of CPU")
    # Most operations take input in both modes: far fewer cases means operations were lost.
    assert run.cases > 80 * EXAMPLES_PER_OPERATION // SHARDS, run.cases
    assert not run.failures, "\n".join(run.failures)
