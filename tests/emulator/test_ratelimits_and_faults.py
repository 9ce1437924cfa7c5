"""Rate-limit headers and 429s; injected faults, reproducible by seed; the request log."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests
from emulator_helpers import UTC, call

from airflow_provider_ldusage.testing.emulator import Emulator, EmulatorConfig, FaultSpec, run_emulator

MAU = "/api/v2/usage/total-mau"
SDKS = "/api/v2/usage/mau/sdks"
NOW = datetime(2026, 3, 10, tzinfo=UTC)


def _wait_for_window_start(window: float) -> None:
    """Start at the beginning of a window so a burst of requests stays inside one."""
    time.sleep(window - (time.time() % window) + 0.02)


def test_route_and_global_budgets_count_down_then_429() -> None:
    # A 5 s window leaves a loaded CI machine ample time for the 7 requests that must share one window.
    config = EmulatorConfig(now=NOW, rate_window=5.0, route_budget=3, global_budget=5)
    with run_emulator(config) as emu:
        _wait_for_window_start(config.rate_window)
        seen = [call(emu, MAU) for _ in range(4)]
        assert [r.status_code for r in seen] == [200, 200, 200, 429]
        assert [r.headers["X-Ratelimit-Route-Remaining"] for r in seen] == ["2", "1", "0", "0"]
        assert [r.headers["X-Ratelimit-Global-Remaining"] for r in seen] == ["4", "3", "2", "2"]
        limited = seen[-1]
        assert limited.json()["code"] == "rate_limited"
        assert limited.json()["message"] == "You've exceeded the API rate limit. Try again later."
        reset_ms = int(limited.headers["X-Ratelimit-Reset"])
        assert reset_ms % 5000 == 0 and 0 < reset_ms - time.time() * 1000 <= 5000
        assert 1 <= int(limited.headers["Retry-After"]) <= 5
        # Another route still has its own budget, until the global one runs out.
        other = [call(emu, SDKS) for _ in range(3)]
        assert [r.status_code for r in other] == [200, 200, 429]
        assert other[-1].headers["X-Ratelimit-Global-Remaining"] == "0"
        time.sleep(reset_ms / 1000 - time.time() + 0.05)
        fresh = call(emu, MAU)
        assert fresh.status_code == 200 and fresh.headers["X-Ratelimit-Route-Remaining"] == "2"


def test_no_budget_headers_without_budgets(emu: Emulator) -> None:
    response = call(emu, MAU)
    assert "X-Ratelimit-Route-Remaining" not in response.headers
    assert "X-Ratelimit-Global-Remaining" not in response.headers
    assert int(response.headers["X-Ratelimit-Reset"]) > time.time() * 1000


@pytest.fixture
def faulty() -> Iterator[Emulator]:
    with run_emulator(EmulatorConfig(now=NOW, seed=5)) as emulator:
        yield emulator


def test_429_fault(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("429", operation_id="getMAUTotalUsage", retry_after=3))
    assert call(faulty, SDKS).status_code == 200, "other routes are not affected"
    first, second = call(faulty, MAU), call(faulty, MAU)
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert first.json()["code"] == "rate_limited"
    assert second.status_code == 200, "count=1 fires once"


def test_500_502_503_faults(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("500"))
    faulty.add_fault(FaultSpec("502_html"))
    faulty.add_fault(FaultSpec("503", retry_after=2))
    r500, r502, r503, ok = (call(faulty, MAU) for _ in range(4))
    assert r500.status_code == 500 and r500.json()["code"]
    assert r502.status_code == 502 and r502.headers["Content-Type"].startswith("text/html")
    assert "<html>" in r502.text
    assert r503.status_code == 503 and r503.headers["Retry-After"] == "2"
    assert r503.json()["code"] == "service_unavailable"
    assert ok.status_code == 200


def test_faults_come_after_auth(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("500", count=None))
    assert call(faulty, MAU, token="wrong").status_code == 401
    assert call(faulty, MAU, beta=None).status_code == 403
    assert call(faulty, MAU).status_code == 500


def test_slow_fault(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("slow", delay=0.6))
    started = time.monotonic()
    assert call(faulty, MAU).status_code == 200
    assert time.monotonic() - started >= 0.6
    with pytest.raises(requests.Timeout):
        faulty.add_fault(FaultSpec("slow", delay=1.0))
        call(faulty, MAU, timeout=0.3)


def test_drop_fault_closes_the_connection(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("drop"))
    with pytest.raises(requests.ConnectionError):
        call(faulty, MAU)
    assert faulty.requests[-1].status == 0 and faulty.requests[-1].fault == "drop"
    assert call(faulty, MAU).status_code == 200


def test_truncate_fault_cuts_the_json(faulty: Emulator) -> None:
    faulty.add_fault(FaultSpec("truncate"))
    response = call(faulty, MAU)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert call(faulty, MAU).json()["series"]


def _fault_pattern(seed: int) -> list[int]:
    with run_emulator(EmulatorConfig(now=NOW, seed=seed)) as emu:
        emu.add_fault(FaultSpec("503", count=None, probability=0.4))
        return [call(emu, SDKS).status_code for _ in range(25)]


def test_probability_faults_are_reproducible_by_seed() -> None:
    first, again, other = _fault_pattern(11), _fault_pattern(11), _fault_pattern(12)
    assert first == again
    assert first != other
    assert 0 < first.count(503) < 25


@pytest.mark.parametrize("kind", ["429", "500", "502_html", "503", "slow", "drop", "truncate"])
def test_every_fault_kind_is_reproducible_by_seed(kind: str) -> None:
    def outcomes() -> list[str]:
        with run_emulator(EmulatorConfig(now=NOW, seed=3)) as emu:
            emu.add_fault(FaultSpec(kind, count=None, probability=0.5, delay=0.01))  # type: ignore[arg-type]
            seen = []
            for _ in range(8):
                try:
                    seen.append(str(call(emu, SDKS).status_code))
                except requests.ConnectionError:
                    seen.append("dropped")
            return [f"{s}:{r.fault}" for s, r in zip(seen, emu.requests, strict=True)]

    first = outcomes()
    assert first == outcomes()
    assert any(not o.endswith(":None") for o in first)


def test_admin_faults_and_request_log(faulty: Emulator) -> None:
    created = requests.post(
        f"{faulty.url}/_emulator/faults", json={"kind": "500", "operation_id": "getMAUTotalUsage"}, timeout=5
    )
    assert created.status_code == 201
    assert requests.get(f"{faulty.url}/_emulator/faults", timeout=5).json()[0]["kind"] == "500"
    assert (
        requests.post(f"{faulty.url}/_emulator/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    )
    assert call(faulty, MAU, [("groupBy", "sdkType"), ("groupBy", "projectId")]).status_code == 500
    requests.delete(f"{faulty.url}/_emulator/faults", timeout=5)
    assert call(faulty, MAU).status_code == 200
    log = requests.get(f"{faulty.url}/_emulator/requests", timeout=5).json()
    assert [entry["status"] for entry in log] == [500, 200]
    assert log[0]["query"] == [["groupBy", "sdkType"], ["groupBy", "projectId"]]
    assert log[0]["headers"]["authorization"] == "***"
    assert log[0]["headers"]["ld-api-version"] == "beta"
    assert log[0]["operation_id"] == "getMAUTotalUsage"
    recorded = faulty.requests[0]
    assert recorded.method == "GET" and recorded.path == MAU
    assert recorded.query == [("groupBy", "sdkType"), ("groupBy", "projectId")]
    assert faulty.token not in json.dumps(log)
    faulty.clear_requests()
    assert faulty.requests == []
