"""401, 403 (beta), 400 and 404 answers, each in LaunchDarkly's body shape."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import requests
from emulator_helpers import NOW, UTC, call, concrete_path, stamp, window

from airflow_provider_ldusage.catalogue import BY_OPERATION
from airflow_provider_ldusage.testing.emulator import Emulator

BETA_BODY = {
    "message": "This API is in beta. To use it, your request must include the header `LD-API-Version: beta`."
}
MAU = "/api/v2/usage/total-mau"


def _assert_error(response: requests.Response, status: int, code: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body: dict[str, str] = response.json()
    assert set(body) == {"code", "message", "id"}
    assert body["code"] == code and body["message"]
    uuid.UUID(body["id"])
    return body


@pytest.mark.parametrize("token", [None, "", "wrong-token", "Bearer ld-emulator-token"])
def test_missing_or_wrong_token_is_401(emu: Emulator, token: str | None) -> None:
    headers = {"LD-API-Version": "beta"} | ({"Authorization": token} if token is not None else {})
    response = requests.get(emu.url + MAU, headers=headers, timeout=5)
    body = _assert_error(response, 401, "unauthorized")
    assert body["message"] == "Invalid access token"


def test_auth_is_checked_before_beta(emu: Emulator) -> None:
    _assert_error(requests.get(emu.url + MAU, timeout=5), 401, "unauthorized")


@pytest.mark.parametrize("beta", [None, "20240415", "Beta", ""])
def test_missing_or_wrong_beta_header_is_403_without_code(emu: Emulator, beta: str | None) -> None:
    response = call(emu, MAU, beta=beta)
    assert response.status_code == 403
    assert response.json() == BETA_BODY


def test_beta_header_sent_twice_with_different_values_is_403(emu: Emulator) -> None:
    import http.client

    connection = http.client.HTTPConnection(emu.url.removeprefix("http://"), timeout=5)
    connection.putrequest("GET", MAU)
    connection.putheader("Authorization", emu.token)
    connection.putheader("LD-API-Version", "20240415")
    connection.putheader("LD-API-Version", "beta")
    connection.endheaders()
    response = connection.getresponse()
    assert response.status == 403
    import json

    assert json.loads(response.read()) == BETA_BODY
    recorded = emu.requests[-1]
    assert recorded.headers["LD-API-Version"] == "20240415, beta"
    assert recorded.headers["authorization"] == "***"


_MS = BY_OPERATION["getMAUTotalUsage"]
_BAD_QUERIES = [
    pytest.param(MAU, [("groupby", "sdkType")], "unknown query parameter 'groupby'", id="wire-name-case"),
    pytest.param(MAU, [("limit", "10")], "unknown query parameter", id="unknown-name"),
    pytest.param(MAU, [("aggregationType", "sum")], "invalid value 'sum'", id="bad-enum"),
    pytest.param(MAU, [("groupBy", "projectKey")], "invalid value 'projectKey'", id="bad-groupby"),
    pytest.param(
        MAU,
        [("aggregationType", "incremental"), ("aggregationType", "rolling_30d")],
        "only once",
        id="repeat",
    ),
    pytest.param(MAU, [("from", "1"), ("from", "2")], "only once", id="repeat-from"),
    pytest.param(
        MAU,
        [("aggregationType", "incremental"), ("granularity", "monthly")],
        "not allowed",
        id="granularity-conflict",
    ),
    pytest.param(MAU, [("granularity", "hourly")], "invalid value 'hourly'", id="granularity-not-in-family"),
    pytest.param(
        MAU, [("environmentKey", "production")], "exactly one 'projectKey'", id="env-without-project"
    ),
    pytest.param(
        MAU,
        [("projectKey", "a"), ("projectKey", "b"), ("environmentKey", "production")],
        "exactly one 'projectKey'",
        id="env-two-projects",
    ),
    pytest.param(
        "/api/v2/usage/mau", [("environment", "production")], "exactly one 'project'", id="legacy-env"
    ),
    pytest.param(MAU, [("from", "2026-01-01")], "integer", id="from-not-integer"),
    pytest.param(MAU, [("to", "1.5e12")], "integer", id="to-not-integer"),
    pytest.param(
        MAU,
        [("from", stamp(_MS, NOW)), ("to", stamp(_MS, NOW - timedelta(days=1)))],
        "earlier",
        id="from-after-to",
    ),
    pytest.param(MAU, [("from", stamp(_MS, NOW)), ("to", stamp(_MS, NOW))], "earlier", id="from-equals-to"),
    pytest.param(
        MAU,
        window(_MS, NOW - timedelta(days=366), NOW),
        "365 days",
        id="span-over-365",
    ),
    pytest.param("/api/v2/usage/streams/server", [("tz", "Mars/Olympus")], "time zone", id="bad-tz"),
    pytest.param("/api/v2/usage/mau/sdks", [("sdktype", "edge")], "invalid value", id="sdks-bad-type"),
]


@pytest.mark.parametrize(("path", "params", "fragment"), _BAD_QUERIES)
def test_invalid_requests_are_400(
    emu: Emulator, path: str, params: list[tuple[str, str]], fragment: str
) -> None:
    body = _assert_error(call(emu, path, params), 400, "invalid_request")
    assert fragment in body["message"]


def test_seconds_endpoint_rejects_milliseconds_span(emu: Emulator) -> None:
    """serverside-contexts takes seconds: a millisecond ``to`` lies far ahead, so the span is too long."""
    endpoint = BY_OPERATION["getContextsServersideUsage"]
    start = datetime(2026, 2, 1, tzinfo=UTC)
    params = [("from", stamp(endpoint, start)), ("to", str(int(NOW.timestamp()) * 1000))]
    _assert_error(call(emu, endpoint.path, params), 400, "invalid_request")
    assert call(emu, endpoint.path, window(endpoint, start, NOW)).status_code == 200


@pytest.mark.parametrize(
    ("operation", "factor", "hint"),
    [
        (
            "getContextsServersideUsage",
            1000,
            "this endpoint takes Unix seconds (10 digits today), not milliseconds",
        ),
        ("getMAUTotalUsage", 1000 * 1000, "this endpoint takes Unix milliseconds (13 digits today)"),
    ],
    ids=["milliseconds-on-seconds", "microseconds-on-milliseconds"],
)
def test_an_out_of_range_instant_names_the_endpoints_unit(
    emu: Emulator, operation: str, factor: int, hint: str
) -> None:
    endpoint = BY_OPERATION[operation]
    start = datetime(2026, 2, 1, tzinfo=UTC)
    params = [("from", stamp(endpoint, start)), ("to", str(int(NOW.timestamp()) * factor))]
    body = _assert_error(call(emu, endpoint.path, params), 400, "invalid_request")
    assert body["message"] == f"'to' is out of range: {hint}"


def test_span_limit_does_not_apply_to_observability(emu: Emulator) -> None:
    endpoint = BY_OPERATION["getObservabilityLogsUsage"]
    response = call(emu, endpoint.path, window(endpoint, NOW - timedelta(days=500), NOW))
    assert response.status_code == 200


def test_a_route_documented_without_400_ignores_its_query_string(emu: Emulator) -> None:
    # streams/{source}/sdkversions takes no parameters and LaunchDarkly documents no 400 for it.
    response = call(emu, "/api/v2/usage/streams/server/sdkversions", [("foo", "1"), ("from", "x")])
    assert response.status_code == 200 and "sdkVersions" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/usage/streams/edge",
        "/api/v2/usage/streams/edge/bysdkversion",
        "/api/v2/usage/streams/Client/sdkversions",
        "/api/v2/usage/events/sent",
        "/api/v2/usage/no-such-thing",
    ],
)
def test_bad_path_values_are_404(emu: Emulator, path: str) -> None:
    body = _assert_error(call(emu, path), 404, "not_found")
    assert body["message"] == "Invalid resource identifier"


@pytest.mark.parametrize("which", ["projectKey", "environmentKey", "featureFlagKey"])
def test_unknown_evaluation_target_is_404(emu: Emulator, which: str) -> None:
    endpoint = BY_OPERATION["getEvaluationsUsage"]
    assert call(emu, concrete_path(emu, endpoint)).status_code == 200
    _assert_error(call(emu, concrete_path(emu, endpoint, **{which: "nope"})), 404, "not_found")


def test_errors_carry_the_virtual_date(emu: Emulator) -> None:
    assert call(emu, MAU, beta=None).headers["Date"] == "Tue, 10 Mar 2026 00:00:00 GMT"
    assert call(emu, MAU, [("bad", "1")]).headers["Date"] == "Tue, 10 Mar 2026 00:00:00 GMT"


def test_lenient_units_accept_seconds_on_a_milliseconds_endpoint() -> None:
    from airflow_provider_ldusage.testing.emulator import EmulatorConfig, run_emulator

    start, end = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    seconds = [("from", str(int(start.timestamp()))), ("to", str(int(end.timestamp())))]
    with run_emulator(EmulatorConfig(now=NOW, lenient_units=True)) as lenient:
        as_seconds = call(lenient, MAU, seconds).json()
        as_millis = call(lenient, MAU, window(_MS, start, end)).json()
        assert as_seconds["series"] == as_millis["series"] and len(as_millis["series"]) == 28
