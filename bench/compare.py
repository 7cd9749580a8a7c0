"""The same webhook → map → POST integration on Junction and its peers, side by side.

One loopback "target" API (bench/webhook_cycle.py's, its own process) receives every item and
records when. Each system in turn receives N webhook calls, a fixed number in flight, each a
contact ``{"item", "email", "first_name", "last_name"}``; it maps the fields onto
``{"item", "Email", "FirstName", "LastName", "Source": "bench"}`` and POSTs that to the
target (which checks every body against this mapping). Renames and a constant only: Junction
has no concatenating mapping (its Script mappings need a sandbox it does not have yet), and the
mapping must be the same everywhere. Systems:

- ``junction``: `junction serve` on SQLite in a fresh data folder, running transactions itself;
- ``junction-pg-1``, ``junction-pg-2``: a fresh PostgreSQL database, ``JUNCTION_DISPATCHER=
  procrastinate``; `junction serve` only queues and 1 or 2 `junction worker` processes run the
  transactions (skipped when `junction worker --help` fails);
- ``n8n``: Webhook → Edit Fields (Set) → HTTP Request (bench/peers/n8n-workflow.json),
  imported and published with n8n's CLI, `n8n start` in regular mode on its default SQLite;
- ``node-red``: http in → change → http request → http response
  (bench/peers/node-red-flows.json, settings in bench/peers/node-red-settings.js);
- ``plain``: this client POSTing the mapped items straight to the target, the bare limit.

Per system, after a warm-up of --warmup calls: items per second (N over first call sent → last
item received by the target), latency from sending a call to the target receiving its item
(p50, p99), CPU per item, and peak memory: the summed RSS of every process in the system's
process groups (each is started in its own session; n8n's task runner is a child in its group),
read from /proc every 100 ms during the measured run. For the PostgreSQL modes the server is
not in that figure; the RSS (and PSS, which shares shared buffers out fairly) of the backends
connected to the bench database are reported separately. Junction processes are started as
``python -m junction`` from this environment (what `uv run junction` runs), so that uv's own
process is not counted.

n8n 2.8.4 and Node-RED 4.1.8 (the last n8n for Node 20; Node-RED 5 needs Node 22) are installed
by this script into bench/.peers from bench/peers/package.json when their node_modules is
missing: `npm install --no-audit --no-fund`, then `npm rebuild sqlite3` with
npm_config_build_from_source=true
(install scripts are left unrun on this machine, and n8n needs sqlite3's native module; building
from source keeps prebuild-install from downloading a binary from outside the registry).

    uv run python bench/compare.py [--webhooks 3000] [--concurrency 32] [--only n8n,plain]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import API_KEY, _free_port
from webhook_cycle import (
    _TEMPLATE,
    _completed,
    _connectors,
    _forget,
    _percentile,
    _prepare,
    _received,
    _send,
    _serve_target,
    junction_env,
)

HERE = Path(__file__).resolve().parent
PEERS = HERE / "peers"  # committed: package.json, the n8n workflow, the Node-RED flows
INSTALL = HERE / ".peers"  # not committed: node_modules, logs and each run's folders
RUNS = INSTALL / "runs"
WARM_BASE = 1_000_000  # warm-up items are numbered from here, apart from the measured ones
PACED_BASE = 2_000_000  # and the items of the half-load phase from here
PACED_SECONDS = 10  # how long the half-load phase sends
PACED_MOST = 5000  # and at most this many calls (the bare limit would send 50,000)
N8N_WORKFLOW_ID = "BenchCompare0001"
STOP_GRACE = 15  # seconds a system gets to stop on SIGTERM before SIGKILL

SYSTEMS = {
    "junction": "Junction embedded (SQLite)",
    "junction-pg-1": "Junction, PostgreSQL, 1 worker",
    "junction-pg-2": "Junction, PostgreSQL, 2 workers",
    "n8n": "n8n (SQLite, regular mode)",
    "node-red": "Node-RED",
    "plain": "plain aiohttp POST (bare limit)",
}


def contact(item: int) -> dict[str, Any]:
    """The webhook body every system receives."""
    return {
        "item": item,
        "email": f"person{item}@example.com",
        "first_name": "Ada",
        "last_name": f"Lovelace {item}",
    }


def mapped(item: int) -> dict[str, Any]:
    """What the target must receive for ``contact(item)``."""
    return {
        "item": item,
        "Email": f"person{item}@example.com",
        "FirstName": "Ada",
        "LastName": f"Lovelace {item}",
        "Source": "bench",
    }


class Skipped(Exception):
    """The system cannot run here; the message says why."""


class Failed(Exception):
    """The system ran but the run did not finish."""


@dataclass
class Running:
    """A system ready for webhook calls."""

    url: str
    groups: list[int]  # process group ids whose processes make up the system
    persistence: str
    answers: str  # when the webhook call is answered
    body: Callable[[int], dict[str, Any]] = contact
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    pg_database: str | None = None
    after: Callable[[], Awaitable[str]] | None = None  # a note once the run is over


@dataclass
class Result:
    system: str
    error: str | None = None
    rate: float | None = None
    p50: float | None = None
    p99: float | None = None
    answer_rate: float | None = None
    delivered: int = 0
    duplicates: int = 0
    wrong: int = 0
    peak_rss: int | None = None
    start_rss: int | None = None
    cpu_ms: float | None = None
    pg_rss: int | None = None
    pg_pss: int | None = None
    pg_backends: int = 0
    pg_cpu_ms: float | None = None
    persistence: str = ""
    answers: str = ""
    note: str = ""
    load: float = 0.0  # the 1-minute load average when the measured run began
    half_rate: float | None = None  # calls per second of the half-load phase
    half_p50: float | None = None
    half_p99: float | None = None


# -- processes --------------------------------------------------------------------------

_SPAWNED: list[subprocess.Popen[bytes]] = []


def _spawn(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> int:
    """Start a command in its own session (so its children share its process group); its
    process group id."""
    with log.open("ab") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command lines
            command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    _SPAWNED.append(process)
    return process.pid


def _stop(groups: list[int]) -> None:
    """SIGTERM the groups, then SIGKILL what is left after STOP_GRACE seconds."""
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for process in _SPAWNED:
        if process.pid in groups:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    for process in _SPAWNED:
        if process.pid in groups:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


async def _run(command: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> None:
    """Run a command to its end (killed with its group if the system's time runs out)."""
    with log.open("ab") as out:
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            code = await process.wait()
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
    if code != 0:
        raise Failed(f"`{' '.join(command[-2:])}` exited with {code}; see {log}")


async def _port_open(port: int, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise Failed(f"nothing listened on port {port} within {within:.0f} s") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            return


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


# -- memory and CPU from /proc ----------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: str) -> tuple[int, int, float] | None:
    """(process group, RSS bytes, CPU seconds) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as file:
            fields = file.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[2]), int(fields[21]) * _PAGE, (int(fields[11]) + int(fields[12])) / _TICK


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as file:
            for line in file:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _groups_usage(groups: set[int]) -> tuple[int, float]:
    """Summed RSS and CPU seconds of every process in the groups."""
    rss, cpu = 0, 0.0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(entry.name)
            if stat is not None and stat[0] in groups:
                rss += stat[1]
                cpu += stat[2]
    return rss, cpu


class Sampler:
    """Samples the system's processes (and its PostgreSQL backends) every 100 ms in a thread;
    the peaks, and the CPU the system used between start() and stop()."""

    def __init__(self, groups: list[int], postgres: str | None, database: str | None) -> None:
        self.groups = set(groups)
        self.postgres = postgres
        self.database = database
        self.peak_rss = 0
        self.start_rss = 0
        self.pg_rss = 0
        self.pg_pss = 0
        self.pg_backends = 0
        self.cpu = 0.0
        # Backends come and go with the pools: CPU per backend, first and last seen.
        self._pg_cpu: dict[int, tuple[float, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self.start_rss, self._cpu_start = _groups_usage(self.groups)
        self.peak_rss = self.start_rss
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        rss, cpu = _groups_usage(self.groups)
        self.peak_rss = max(self.peak_rss, rss)
        self.cpu = cpu - self._cpu_start

    @property
    def pg_cpu(self) -> float:
        return sum(last - first for first, last in self._pg_cpu.values())

    def _loop(self) -> None:
        connection = None
        if self.database is not None and self.postgres is not None:
            import psycopg

            connection = psycopg.connect(f"{self.postgres}/postgres", autocommit=True)
        backends: list[int] = []
        looked = 0.0
        try:
            while not self._stop.wait(0.1):
                if self.groups:
                    self.peak_rss = max(self.peak_rss, _groups_usage(self.groups)[0])
                if connection is None:
                    continue
                if time.monotonic() - looked > 1:  # pools grow: look for new backends
                    rows = connection.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
                    ).fetchall()
                    backends = [row[0] for row in rows]
                    looked = time.monotonic()
                    self.pg_backends = max(self.pg_backends, len(backends))
                stats = [(pid, _stat(str(pid))) for pid in backends]
                self.pg_rss = max(self.pg_rss, sum(s[1] for _, s in stats if s is not None))
                self.pg_pss = max(self.pg_pss, sum(_pss(pid) for pid, s in stats if s))
                for pid, stat in stats:
                    if stat is not None:
                        first = self._pg_cpu.get(pid, (stat[2], stat[2]))[0]
                        self._pg_cpu[pid] = (first, stat[2])
        finally:
            if connection is not None:
                connection.close()


# -- the systems --------------------------------------------------------------------------


def _field(connector: str, system: str, kind: str = "Text") -> dict[str, str]:
    return {"ConnectorField": connector, "SystemField": system, "DataType": kind}


def _junction_connectors(target: str) -> list[dict[str, Any]]:
    """webhook_cycle's two connectors, with the contact's fields."""
    hooks, items = _connectors(target)
    hooks["Methods"][0]["ResponseFields"] = [
        _field("item", "Item", "Integer"),
        _field("email", "Email"),
        _field("first_name", "FirstName"),
        _field("last_name", "LastName"),
    ]
    items["Methods"][0]["RequestFields"] = [
        _field("item", "Item", "Integer"),
        _field("Email", "Email"),
        _field("FirstName", "FirstName"),
        _field("LastName", "LastName"),
        _field("Source", "Source"),
    ]
    return [hooks, items]


def _junction_template() -> dict[str, Any]:
    template = copy.deepcopy(_TEMPLATE)

    def step_data(name: str) -> dict[str, str]:
        return {
            "Name": name,
            "MappingType": "StepData",
            "SourceStepKey": "hook",
            "SourceField": name,
        }

    template["Steps"][1]["FieldMappings"] = [
        step_data("Item"),
        step_data("Email"),
        step_data("FirstName"),
        step_data("LastName"),
        {"Name": "Source", "MappingType": "StaticValue", "Value": "bench"},
    ]
    return template


def _worker_missing(env: dict[str, str]) -> str | None:
    """Why `junction worker` cannot run, or None."""
    check = subprocess.run(
        [sys.executable, "-m", "junction", "worker", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode == 0:
        return None
    lines = [line.strip(" │╭╮╰╯─") for line in (check.stderr or check.stdout).splitlines()]
    return "`junction worker --help` failed: " + " ".join(line for line in lines if line)


def _pg_settings(postgres: str) -> str:
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as connection:
        values = [
            f"{name}={connection.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("fsync", "synchronous_commit", "shared_buffers")
        ]
    return ", ".join(values)


@contextlib.asynccontextmanager
async def _postgres_database(postgres: str) -> AsyncIterator[str]:
    """A fresh database, dropped afterwards."""
    try:
        import psycopg

        admin = psycopg.connect(f"{postgres}/postgres", autocommit=True)
    except Exception as exc:
        raise Skipped(f"PostgreSQL at {postgres} is not reachable: {exc}") from None
    name = f"bench_compare_{secrets.token_hex(4)}"
    try:
        admin.execute(f"CREATE DATABASE {name}")
        yield name
    finally:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


@contextlib.asynccontextmanager
async def junction(args: argparse.Namespace, target: str, workers: int) -> AsyncIterator[Running]:
    """`junction serve` on SQLite (workers 0) or on PostgreSQL with ``workers`` processes."""
    name = "junction" if workers == 0 else f"junction-pg-{workers}"
    folder = _fresh(RUNS / name)
    port = _free_port()
    concurrency = args.junction_concurrency
    groups: list[int] = []
    database = None
    async with contextlib.AsyncExitStack() as stack:
        if workers == 0:
            env = junction_env(str(folder / "data"), port, concurrency, concurrency)
            persistence = (
                "SQLite, WAL, synchronous=NORMAL (the defaults); each call stored before it "
                "is answered, each transaction checkpointed after its POST; transactions and "
                "step data kept (step data 744 h, the default)"
            )
        else:
            missing = _worker_missing(junction_env(str(folder / "data"), port, 1, 1))
            if missing:
                raise Skipped(missing)
            database = await stack.enter_async_context(_postgres_database(args.postgres))
            url = f"{args.postgres.replace('postgresql://', 'postgresql+psycopg://')}/{database}"
            # The account limit counts across all workers: it must not be the cap.
            env = junction_env(
                str(folder / "data"), port, concurrency, concurrency * workers, url
            ) | {"JUNCTION_DISPATCHER": "procrastinate"}
            persistence = (
                f"PostgreSQL ({_pg_settings(args.postgres)}); each call stored and queued "
                "(procrastinate job) before it is answered, each transaction checkpointed "
                "after its POST; transactions and step data kept (step data 744 h)"
            )
            # Once, before serve and the workers, rather than all of them at the same time.
            await _run([sys.executable, "-m", "junction", "migrate"], env, folder / "migrate.log")
        (folder / "data").mkdir(exist_ok=True)
        stack.callback(_stop, groups)
        groups.append(
            _spawn([sys.executable, "-m", "junction", "serve"], env, folder / "serve.log")
        )
        await _port_open(port, 60)  # serve has written the data folder's keyring by now
        for number in range(workers):
            command = [sys.executable, "-m", "junction", "worker", "--concurrency"]
            groups.append(
                _spawn([*command, str(concurrency)], env, folder / f"worker-{number}.log")
            )
        base = f"http://127.0.0.1:{port}"
        token, cycle_id, url = await _prepare(
            base, env, target, _junction_connectors(target), _junction_template()
        )

        async def after() -> str:
            deadline = time.monotonic() + 30
            while True:
                done = await _completed(base, token, cycle_id)
                if done >= args.webhooks + args.warmup or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            errored = await _completed(base, token, cycle_id, "Errored")
            return f"transactions Completed {done:,}, Errored {errored:,} (warm-up included)"

        yield Running(
            url=url,
            groups=groups,
            persistence=persistence,
            answers=(
                "once the call is stored (200)"
                if workers == 0
                else "once the call is stored and queued (200)"
            ),
            pg_database=database,
            after=after,
        )


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise Skipped("node is not on PATH")
    return node


def _peer_version(package: str) -> str:
    manifest = INSTALL / "node_modules" / package / "package.json"
    return str(json.loads(manifest.read_text())["version"])


def install_peers() -> None:
    """npm install bench/peers/package.json into bench/.peers, unless done already."""
    _node()
    npm = shutil.which("npm")
    if npm is None:
        raise Skipped("npm is not on PATH")
    manifest = (PEERS / "package.json").read_text()
    marker = INSTALL / ".installed"
    if marker.exists() and marker.read_text() == manifest:
        return
    INSTALL.mkdir(exist_ok=True)
    (INSTALL / "package.json").write_text(manifest)
    log = INSTALL / "install.log"
    print(f"installing n8n and Node-RED into {INSTALL} (several minutes; log: {log})", flush=True)
    # sqlite3's install script is not run on install here; build it against this Node's
    # headers (nodedir) rather than let prebuild-install fetch a binary from GitHub. npm warns
    # that it does not know build-from-source; prebuild-install reads it from the environment.
    rebuild = [npm, "rebuild", "sqlite3"]
    env = os.environ | {"npm_config_build_from_source": "true"}
    prefix = Path(_node()).resolve().parents[1]
    if (prefix / "include" / "node" / "node_api.h").exists():
        rebuild.append(f"--nodedir={prefix}")
    with log.open("wb") as out:
        for command in ([npm, "install", "--no-audit", "--no-fund"], rebuild):
            done = subprocess.run(  # noqa: S603 - our own command lines
                command, cwd=INSTALL, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
            )
            if done.returncode != 0:
                raise Skipped(f"`{' '.join(command[1:3])}` failed; see {log}")
    marker.write_text(manifest)


def _peer_env(prefix: str) -> dict[str, str]:
    """This environment without any of the caller's settings for the peer."""
    return {k: v for k, v in os.environ.items() if not k.startswith(prefix)}


def _filled(template: Path, target: str) -> str:
    return template.read_text().replace("__TARGET__", target).replace("__API_KEY__", API_KEY)


@contextlib.asynccontextmanager
async def n8n(args: argparse.Namespace, target: str) -> AsyncIterator[Running]:
    node = _node()
    home = _fresh(RUNS / "n8n")
    workflow = home / "workflow.json"
    workflow.write_text(_filled(PEERS / "n8n-workflow.json", target))
    port = _free_port()
    env = _peer_env("N8N_") | {
        "N8N_USER_FOLDER": str(home),
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_RUNNERS_BROKER_PORT": str(_free_port()),
        "N8N_LOG_LEVEL": "warn",
        "EXECUTIONS_MODE": "regular",
        # Nothing beyond loopback is reachable here, and none of it is the integration.
        "N8N_DIAGNOSTICS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
        "N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED": "false",
        "N8N_TEMPLATES_ENABLED": "false",
        "N8N_PERSONALIZATION_ENABLED": "false",
        "N8N_HIRING_BANNER_ENABLED": "false",
        "N8N_DYNAMIC_BANNERS_ENABLED": "false",
        "N8N_COMMUNITY_PACKAGES_ENABLED": "false",
        "N8N_AI_ENABLED": "false",
    }
    cli = [node, str(INSTALL / "node_modules" / "n8n" / "bin" / "n8n")]
    log = home / "n8n.log"
    await _run([*cli, "import:workflow", f"--input={workflow}"], env, log, cwd=INSTALL)
    # n8n 2 serves a workflow's published version and import:workflow always leaves it
    # unpublished ("active": true in the file is ignored): publish the imported draft.
    # (update:workflow --active=true is a deprecated alias of the same.)
    await _run([*cli, "publish:workflow", f"--id={N8N_WORKFLOW_ID}"], env, log, cwd=INSTALL)
    groups = [_spawn([*cli, "start"], env, log, cwd=INSTALL)]
    database = home / ".n8n" / "database.sqlite"

    async def after() -> str:
        await asyncio.sleep(2)  # executions are written when they finish
        with contextlib.closing(sqlite3.connect(database)) as connection:
            rows = connection.execute(
                "SELECT status, count(*) FROM execution_entity GROUP BY status"
            ).fetchall()
        saved = ", ".join(f"{status} {count:,}" for status, count in rows) or "none"
        return f"executions saved in its SQLite (warm-up included): {saved}"

    try:
        yield Running(
            url=f"http://127.0.0.1:{port}/webhook/bench-contact",
            groups=groups,
            persistence=(
                "SQLite (n8n's default, WAL); executions saved, data included, on success and "
                "on error (EXECUTIONS_DATA_SAVE_ON_SUCCESS/ERROR=all, the defaults), not "
                "during progress (SAVE_ON_PROGRESS=false); pruned after 336 h or 10,000 "
                "executions (defaults)"
            ),
            answers="at once, before the workflow runs (Webhook node: respond Immediately)",
            after=after,
        )
    finally:
        _stop(groups)


@contextlib.asynccontextmanager
async def node_red(args: argparse.Namespace, target: str) -> AsyncIterator[Running]:
    node = _node()
    home = _fresh(RUNS / "node-red")
    (home / "flows.json").write_text(_filled(PEERS / "node-red-flows.json", target))
    shutil.copy(PEERS / "node-red-settings.js", home / "settings.js")
    port = _free_port()
    red = str(INSTALL / "node_modules" / "node-red" / "red.js")
    command = [node, red, "--userDir", str(home), "--port", str(port)]
    command += ["--settings", str(home / "settings.js")]
    groups = [_spawn(command, _peer_env("NODE_RED_"), home / "node-red.log", cwd=home)]
    try:
        yield Running(
            url=f"http://127.0.0.1:{port}/bench-contact",
            groups=groups,
            persistence=(
                "nothing on disk per message: messages live in memory only (context store "
                "default: memory); only the flows file is on disk"
            ),
            answers="after the POST to the target (http response is the flow's last node)",
        )
    finally:
        _stop(groups)


@contextlib.asynccontextmanager
async def plain(args: argparse.Namespace, target: str) -> AsyncIterator[Running]:
    yield Running(
        url=f"{target}/items",
        groups=[],
        persistence="none (no platform between the client and the target)",
        answers="by the target itself (201)",
        body=mapped,
        headers={"X-Api-Key": API_KEY},
        status=201,
    )


def _starter(
    system: str, args: argparse.Namespace, target: str
) -> contextlib.AbstractAsyncContextManager[Running]:
    if system.startswith("junction"):
        return junction(args, target, 0 if system == "junction" else int(system[-1]))
    if system == "n8n":
        return n8n(args, target)
    if system == "node-red":
        return node_red(args, target)
    return plain(args, target)


# -- the measurement --------------------------------------------------------------------


async def _mismatches(target: str) -> list[Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{target}/mismatches") as r:
        found: list[Any] = await r.json()
        return found


async def _arrived(target: str, items: range, within: float) -> list[tuple[int, float]]:
    """What the target received of ``items``, once it has them all or time is up."""
    deadline = time.monotonic() + within
    while True:
        got = [(item, at) for item, at in await _received(target) if item in items]
        if len({item for item, _ in got}) >= len(items) or time.monotonic() > deadline:
            return got
        await asyncio.sleep(0.05)


def _poster(
    running: Running, offset: int
) -> Callable[[aiohttp.ClientSession, int], Coroutine[Any, Any, None]]:
    async def post(session: aiohttp.ClientSession, item: int) -> None:
        body = running.body(offset + item)
        async with session.post(running.url, json=body, headers=running.headers) as response:
            if response.status != running.status:
                text = (await response.text())[:300]
                raise Failed(f"{running.url} answered {response.status}: {text}")
            await response.read()

    return post


async def _until_ready(running: Running, within: float) -> None:
    """Until a webhook call is accepted (n8n answers 404 until its workflow is active)."""
    deadline = time.monotonic() + within
    probe = _poster(running, WARM_BASE)
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                await probe(session, 0)
                return
            except (aiohttp.ClientError, Failed) as exc:
                if time.monotonic() > deadline:
                    raise Failed(f"not ready within {within:.0f} s: {exc}") from None
                await asyncio.sleep(0.25)


def _rate(got: list[tuple[int, float]], first: float) -> float | None:
    """Items per second: distinct items over first send → last first arrival."""
    arrival: dict[int, float] = {}
    for item, at in got:
        arrival.setdefault(item, at)
    return len(arrival) / (max(arrival.values()) - first) if arrival else None


async def _paced(running: Running, rate: float, count: int) -> dict[int, float]:
    """Open loop: a call every 1/rate seconds whatever the answers (senders that do not
    wait for one another, as real ones); the send time of each."""
    post = _poster(running, PACED_BASE)
    sent: dict[int, float] = {}
    tasks: list[asyncio.Task[None]] = []
    # Connections are capped below the open-file limit; far more than a paced system at
    # half load ever has in flight.
    connector = aiohttp.TCPConnector(limit=500)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.monotonic()
        for item in range(count):
            wait = start + item / rate - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            sent[item] = time.monotonic()
            tasks.append(asyncio.create_task(post(session, item)))
        await asyncio.gather(*tasks)
    return sent


async def half_load(running: Running, target: str, rate: float, result: Result) -> None:
    """Latency at half the rate the system just reached: calls at that pace for
    PACED_SECONDS, p50 and p99 from the call sent to the item at the target."""
    pace = rate / 2
    count = min(max(20, int(pace * PACED_SECONDS)), PACED_MOST)
    sent = await _paced(running, pace, count)
    got = await _arrived(target, range(PACED_BASE, PACED_BASE + count), 120)
    arrival: dict[int, float] = {}
    for item, at in got:
        arrival.setdefault(item - PACED_BASE, at)
    latencies = [at - sent[item] for item, at in arrival.items()]
    if len(latencies) == count:
        result.half_rate = pace
        result.half_p50 = _percentile(latencies, 0.5)
        result.half_p99 = _percentile(latencies, 0.99)


async def measure(system: str, args: argparse.Namespace, target: str) -> Result:
    result = Result(system)
    deadline = time.monotonic() + args.timeout
    async with _starter(system, args, target) as running:
        result.persistence, result.answers = running.persistence, running.answers
        await _until_ready(running, 120)
        await _send(args.warmup, args.concurrency, _poster(running, WARM_BASE))
        warm = await _arrived(target, range(WARM_BASE, WARM_BASE + args.warmup), 120)
        if len({item for item, _ in warm}) < args.warmup:
            raise Failed("the warm-up items did not all reach the target")
        await _forget(target)

        sampler = Sampler(running.groups, args.postgres, running.pg_database)
        result.load = os.getloadavg()[0]
        sampler.start()
        try:
            sent, answered, first = await _send(
                args.webhooks, args.concurrency, _poster(running, 0)
            )
            # What is missing by the deadline is reported as missing.
            await _arrived(target, range(args.webhooks), deadline - time.monotonic())
        finally:
            sampler.stop()
        await asyncio.sleep(0.5)  # duplicates, if any, come late
        got = [(item, at) for item, at in await _received(target) if item < args.webhooks]
        wrong = [body for body in await _mismatches(target) if body.get("item", -1) < WARM_BASE]
        if running.after is not None:
            result.note = await running.after()
        saturated = _rate(got, first)
        if saturated:
            await half_load(running, target, saturated, result)

    arrival: dict[int, float] = {}
    for item, at in got:
        arrival.setdefault(item, at)
    result.delivered = len(arrival)
    result.duplicates = len(got) - len(arrival)
    result.wrong = len(wrong)
    if wrong:
        result.note += f"; a body that differed from the mapping: {json.dumps(wrong[0])}"
    if arrival:
        result.rate = _rate(got, first)
        latencies = [at - sent[item] for item, at in arrival.items()]
        result.p50 = _percentile(latencies, 0.5)
        result.p99 = _percentile(latencies, 0.99)
    result.answer_rate = args.webhooks / (max(answered.values()) - first)
    if running.groups:
        result.peak_rss, result.start_rss = sampler.peak_rss, sampler.start_rss
        result.cpu_ms = sampler.cpu / args.webhooks * 1000
    if running.pg_database:
        result.pg_rss, result.pg_pss = sampler.pg_rss, sampler.pg_pss
        result.pg_backends = sampler.pg_backends
        result.pg_cpu_ms = sampler.pg_cpu / args.webhooks * 1000
    return result


async def run_system(system: str, args: argparse.Namespace, target: str) -> Result:
    print(f"{SYSTEMS[system]} ...", flush=True)
    started = time.monotonic()
    try:
        if system in ("n8n", "node-red"):
            await asyncio.to_thread(install_peers)
        # The grace covers the report of what arrived by the deadline, and the stop.
        grace = 60 + STOP_GRACE
        result = await asyncio.wait_for(measure(system, args, target), args.timeout + grace)
    except Skipped as exc:
        result = Result(system, error=f"skipped: {exc}")
    except (Failed, aiohttp.ClientError, OSError) as exc:
        result = Result(system, error=f"failed: {exc}")
    except SystemExit as exc:  # webhook_cycle's helpers stop on unexpected answers
        result = Result(system, error=f"failed: {exc}")
    except TimeoutError:
        result = Result(system, error=f"failed: still running after {args.timeout:.0f} s")
    await _forget(target)
    print(f"    {result.error or 'done'} ({time.monotonic() - started:.0f} s)", flush=True)
    return result


# -- the report -------------------------------------------------------------------------


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f} MiB"


def _versions(args: argparse.Namespace, systems: list[str]) -> list[str]:
    from junction import __version__

    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, aiohttp {aiohttp.__version__}, Junction {__version__}"
    ]
    peers = [s for s in systems if s in ("n8n", "node-red")]
    if peers and shutil.which("node"):
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
        found = []
        for name, package in (("n8n", "n8n"), ("Node-RED", "node-red")):
            with contextlib.suppress(OSError):
                found.append(f"{name} {_peer_version(package)}")
        lines.append(f"Node {node.stdout.strip()}, " + ", ".join(found))
    if any(s.startswith("junction-pg") for s in systems):
        with contextlib.suppress(Exception):
            import psycopg

            with psycopg.connect(f"{args.postgres}/postgres") as connection:
                version = connection.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            lines.append(f"PostgreSQL {version} at {args.postgres}")
    return lines


def report(args: argparse.Namespace, systems: list[str], results: list[Result]) -> None:
    ms = 1000
    command = (
        f"uv run python bench/compare.py --webhooks {args.webhooks} "
        f"--concurrency {args.concurrency} --warmup {args.warmup}"
    )
    if args.only:
        command += f" --only {args.only}"
    print()
    print(f"command: {command}")
    for line in _versions(args, systems):
        print(line)
    print(
        f"{args.webhooks:,} webhooks, {args.concurrency} in flight, after {args.warmup} of "
        f"warm-up; Junction: {args.junction_concurrency} transactions at once per process"
    )
    print()
    print(
        "| system | items/s | p50 latency | p99 latency | p50 / p99 at half load "
        "| peak memory (RSS) | + PostgreSQL backends | CPU per item | delivered |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        name = SYSTEMS[result.system]
        if result.error:
            print(f"| {name} | {result.error} | | | | | | | |")
            continue
        delivered = f"{result.delivered:,}/{args.webhooks:,}"
        problems = [
            f"{args.webhooks - result.delivered:,} missing"
            if result.delivered < args.webhooks
            else "",
            f"{result.duplicates:,} duplicated" if result.duplicates else "",
            f"{result.wrong:,} wrongly mapped" if result.wrong else "",
        ]
        delivered += "".join(f", {p}" for p in problems if p) or " (none missing or twice)"
        pg = "-"
        if result.pg_rss is not None:
            pg = (
                f"{_mib(result.pg_rss)} RSS / {_mib(result.pg_pss)} PSS "
                f"({result.pg_backends}); CPU {result.pg_cpu_ms or 0:.2f} ms per item"
            )
        rate = "-" if result.rate is None else f"{result.rate:,.0f}"
        p50 = "-" if result.p50 is None else f"{result.p50 * ms:,.1f} ms"
        p99 = "-" if result.p99 is None else f"{result.p99 * ms:,.1f} ms"
        cpu = "-" if result.cpu_ms is None else f"{result.cpu_ms:.2f} ms"
        half = "-"
        if result.half_rate is not None and result.half_p50 is not None:
            half = (
                f"{result.half_p50 * ms:,.1f} / {(result.half_p99 or 0) * ms:,.1f} ms "
                f"({result.half_rate:,.0f}/s)"
            )
        print(
            f"| {name} | {rate} | {p50} | {p99} | {half} | {_mib(result.peak_rss)} | {pg} "
            f"| {cpu} | {delivered} |"
        )
    print()
    print(
        "Peak memory: summed RSS of the system's processes (its process groups: Junction "
        "serve and workers, n8n with its task runner, Node-RED), read from /proc every 100 ms "
        "during the measured run. PostgreSQL backends: the backends connected to the bench "
        "database (how many in brackets), RSS summed (counts shared buffers once per backend) "
        "and PSS (shares them out), and their CPU; the postmaster and its background processes "
        "are left out. CPU per item: user + system CPU of those processes during the measured "
        "run over N. At half load: after the measured run, calls sent at half the items/s "
        f"just reached, one every 1/rate s whatever the answers, for {PACED_SECONDS} s (at most "
        f"{PACED_MOST:,} calls); "
        "latency from the call to its item at the target."
    )
    print()
    for result in results:
        if result.error:
            continue
        name = SYSTEMS[result.system]
        print(f"- {name}: persistence: {result.persistence}.")
        details = [f"webhook answered {result.answers}"]
        details.append(
            f"1-minute load average {result.load:.2f} when the measured run began "
            "(the previous system's run included)"
        )
        if result.answer_rate:
            details.append(f"calls answered at {result.answer_rate:,.0f}/s")
        if result.start_rss is not None:
            details.append(f"RSS {_mib(result.start_rss)} when the measured run began")
        if result.note:
            details.append(result.note.lstrip("; "))
        print(f"  {'; '.join(details)}.")


async def run_all(args: argparse.Namespace, systems: list[str], target: str) -> list[Result]:
    return [await run_system(system, args, target) for system in systems]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webhooks", type=int, default=3000, help="measured webhook calls (N)")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument("--warmup", type=int, default=100, help="warm-up calls per system")
    parser.add_argument(
        "--only", default="", help=f"comma-separated systems, of: {', '.join(SYSTEMS)}"
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds each system gets, start to stop"
    )
    parser.add_argument(
        "--junction-concurrency",
        type=int,
        default=16,
        help="JUNCTION_WORKER_CONCURRENCY of serve (SQLite) and of each worker (--concurrency)",
    )
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server for the junction-pg systems (a database is created per run)",
    )
    args = parser.parse_args()
    systems = [s.strip() for s in args.only.split(",") if s.strip()] or list(SYSTEMS)
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown systems {unknown}; choose from {', '.join(SYSTEMS)}")
    args.postgres = args.postgres.rstrip("/")
    RUNS.mkdir(parents=True, exist_ok=True)

    target_port = _free_port()
    target_server = multiprocessing.Process(
        target=_serve_target, args=(target_port, 0, mapped), daemon=True
    )
    target_server.start()
    target = f"http://127.0.0.1:{target_port}"
    try:
        asyncio.run(_port_open(target_port, 10))
        results = asyncio.run(run_all(args, systems, target))
    finally:
        # Whatever happened, no process of ours outlives the script.
        _stop([p.pid for p in _SPAWNED])
        target_server.terminate()
        target_server.join()
    report(args, systems, results)


if __name__ == "__main__":
    main()
