"""The emulator's ASGI application: the 28 usage routes (hand-dispatched, so auth, budgets and faults run
in LaunchDarkly's order) and a FastAPI admin API under ``/_emulator``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from airflow_provider_ldusage.catalogue import ENDPOINTS, FEATURE_FLAG_LIST, Endpoint
from airflow_provider_ldusage.testing.emulator import flag_list, ranking, sdk_versions
from airflow_provider_ldusage.testing.emulator.clock import as_utc
from airflow_provider_ldusage.testing.emulator.config import FaultSpec
from airflow_provider_ldusage.testing.emulator.errors import (
    BETA_MESSAGE,
    RATE_LIMITED_MESSAGE,
    ApiError,
    error_body,
    not_found,
)
from airflow_provider_ldusage.testing.emulator.models import LEGACY_FILTER, MODELS
from airflow_provider_ldusage.testing.emulator.recording import RecordedRequest, redacted_headers
from airflow_provider_ldusage.testing.emulator.state import EmulatorState
from airflow_provider_ldusage.testing.emulator.validation import check_path, check_query, parse_query

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


def _route_pattern(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{pattern}$")


#: The rate-limit route and log name of the flag list (outside the usage API).
FLAG_LIST_ID = FEATURE_FLAG_LIST.operation_id
ROUTES: tuple[tuple[re.Pattern[str], Endpoint], ...] = tuple((_route_pattern(e.path), e) for e in ENDPOINTS)


def match_route(path: str) -> tuple[Endpoint, dict[str, str]] | None:
    for pattern, endpoint in ROUTES:
        found = pattern.match(path)
        if found:
            return endpoint, found.groupdict()
    return None


def http_date(value: datetime) -> str:
    """RFC 7231 IMF-fixdate."""
    return format_datetime(as_utc(value).replace(microsecond=0), usegmt=True)


class _Reply:
    """A response under construction."""

    def __init__(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body
        self.headers: dict[str, str] = {"Content-Type": content_type}

    @classmethod
    def json(cls, status: int, payload: object) -> _Reply:
        return cls(status, json.dumps(payload, separators=(",", ":")).encode())


class EmulatorApp:
    """ASGI entry point.

    :param state: the emulator state the routes read and change.
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.admin = build_admin(state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.admin(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"date"]
                headers.append((b"date", http_date(self.state.clock.now()).encode()))
                message["headers"] = headers
            await send(message)

        if scope["path"].startswith("/_emulator"):
            await self.admin(scope, receive, send_with_date)
        else:
            await self._api(scope, send_with_date, send)

    async def _api(self, scope: Scope, send: Send, raw_send: Send) -> None:
        state = self.state
        raw_headers: list[tuple[bytes, bytes]] = list(scope.get("headers", []))
        query = parse_query(scope.get("query_string", b"").decode("latin-1"))
        matched = match_route(scope["path"])
        endpoint = matched[0] if matched else None
        listed = flag_list.PATTERN.match(scope["path"]) if matched is None else None
        record = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=query,
            headers=redacted_headers(raw_headers),
            operation_id=endpoint.operation_id if endpoint else (FLAG_LIST_ID if listed else None),
            time=state.clock.now().isoformat(),
        )
        state.log.add(record)
        reply = await self._handle(scope, raw_headers, query, matched, record)
        if reply is None:  # dropped connection
            record.status = 0
            await _drop(raw_send)
            return
        record.status = reply.status
        reply.headers["Content-Length"] = str(len(reply.body))
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in reply.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": reply.body, "more_body": False})

    async def _handle(
        self,
        scope: Scope,
        raw_headers: list[tuple[bytes, bytes]],
        query: list[tuple[str, str]],
        matched: tuple[Endpoint, dict[str, str]] | None,
        record: RecordedRequest,
    ) -> _Reply | None:
        state = self.state
        endpoint, path_values = matched if matched else (None, {})
        route = endpoint.operation_id if endpoint else record.operation_id
        auth = [v.decode("latin-1") for k, v in raw_headers if k.lower() == b"authorization"]
        known = (*state.config.tokens, *state.config.forbidden_tokens)
        if len(auth) != 1 or auth[0] not in known:
            reply = _Reply.json(401, error_body("unauthorized", "Invalid access token"))
            reply.headers.update(state.limiter.peek(route))
            return reply
        if auth[0] in state.config.forbidden_tokens:  # a valid token whose role may not read usage
            reply = _Reply.json(403, error_body("forbidden", "Access to the requested resource was denied"))
            reply.headers.update(state.limiter.peek(route))
            return reply
        versions = [v.decode("latin-1").strip() for k, v in raw_headers if k.lower() == b"ld-api-version"]
        if route == FLAG_LIST_ID:  # not a beta route: a dated version, or none (the token's)
            try:
                flag_list.check_version(versions)
            except ApiError as exc:
                reply = _Reply.json(exc.status, exc.body())
                reply.headers.update(state.limiter.peek(route))
                return reply
        elif versions != ["beta"] and set(versions) != {"beta"}:
            reply = _Reply.json(403, {"message": BETA_MESSAGE})
            reply.headers.update(state.limiter.peek(route))
            return reply
        decision = state.limiter.hit(route, auth[0])
        if not decision.allowed:
            reply = _Reply.json(429, error_body("rate_limited", RATE_LIMITED_MESSAGE))
            reply.headers.update(decision.headers)
            reply.headers["Retry-After"] = str(decision.retry_after)
            return reply
        fault = state.faults.draw(route)
        record.fault = fault.kind if fault else None
        if fault is not None:
            log.info("emulator: injecting fault %s into %s", fault.kind, route)
            faulted = await self._fault(fault)
            if fault.kind == "drop":
                return None
            if faulted is not None:
                faulted.headers.update(decision.headers)
                return faulted
        try:
            if scope["method"] != "GET" or (endpoint is None and route != FLAG_LIST_ID):
                raise not_found()
            if endpoint is None:
                project_key = scope["path"].rsplit("/", 1)[1]  # ASGI paths arrive decoded
                reply = _Reply.json(200, flag_list.answer(state.data.account, project_key, query))
            else:
                reply = self._answer(endpoint, path_values, query, scope)
        except ApiError as exc:
            reply = _Reply.json(exc.status, exc.body())
        reply.headers.update(decision.headers)
        if fault is not None and fault.kind == "truncate":
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        return reply

    async def _fault(self, fault: FaultSpec) -> _Reply | None:
        if fault.kind == "429":
            reply = _Reply.json(429, error_body("rate_limited", RATE_LIMITED_MESSAGE))
            reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        if fault.kind == "500":
            return _Reply.json(500, error_body("internal_server_error", "Internal server error"))
        if fault.kind == "502_html":
            return _Reply(502, _BAD_GATEWAY, "text/html")
        if fault.kind == "503":
            reply = _Reply.json(503, error_body("service_unavailable", "Requested service unavailable"))
            reply.headers["Retry-After"] = str(fault.retry_after)
            return reply
        if fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        return None  # slow and truncate answer normally; drop is handled by the caller

    def _answer(
        self, endpoint: Endpoint, path_values: dict[str, str], query: list[tuple[str, str]], scope: Scope
    ) -> _Reply:
        state = self.state
        now = state.clock.now()
        check_path(endpoint, path_values)
        if not state.data.path_exists(endpoint.operation_id, path_values):
            raise not_found()
        checked = check_query(endpoint, query, path_values, now, lenient_units=state.config.lenient_units)
        raw_query = scope.get("query_string", b"").decode("latin-1")
        href = scope["path"] + (f"?{raw_query}" if raw_query else "")
        payload: dict[str, object] = {"_links": {"self": {"href": href, "type": "application/json"}}}
        q = checked.query
        model = MODELS[endpoint.operation_id]
        if endpoint.response_kind == "SdkListRep":
            sdktype = checked.params.get("sdktype", [None])[0]
            payload["sdks"] = state.data.sdk_names(endpoint.operation_id, q.start, q.end, sdktype, now)
        elif endpoint.response_kind == "SdkVersionListRep":
            payload["sdkVersions"] = state.data.sdk_versions(path_values["source"])
        elif endpoint.response_kind == "SdkVersionDetailsList":
            return _Reply.json(
                200, sdk_versions.answer(endpoint.operation_id, state.data.account, checked.params)
            )
        elif endpoint.response_kind == "DataExportProjectRankingRep":
            body = ranking.rank(
                state.data,
                endpoint,
                checked.params,
                q.start,
                q.end,
                now,
                state.data_export.watermark(model.metric, now),
                state.data_export.legacy_rows,
            )
            return _Reply.json(200, body)
        else:
            if LEGACY_FILTER in model.filters and state.data_export.legacy_rows:
                q = replace(q, filters={**q.filters, LEGACY_FILTER: []})  # empty: keep every row
            result = state.data.series(q, now)
            metadata: list[dict[str, object]] = [dict(m) for m in result["metadata"]]  # type: ignore[attr-defined]
            for meta in metadata:
                _destination_metadata(meta, q.group_by)
            if endpoint.response_kind == "DataExportSeriesListRep":
                _refuse_unattributed(endpoint, q.group_by, metadata, result["series"])  # type: ignore[arg-type]
                payload.update(state.data_export.fields(model.metric, now))
            payload["metadata"] = metadata
            payload["series"] = result["series"]
        return _Reply.json(200, payload)


def _destination_metadata(meta: dict[str, object], group_by: object) -> None:
    """As LaunchDarkly documents ``groupBy=destinationId``: ``destinationViewable`` (a boolean) only for a
    destination, the destination's kind only when it is viewable or was asked for."""
    if "destinationViewable" not in meta:
        return
    viewable = meta["destinationViewable"] == "true"
    if meta.get("destinationId") == "":  # Unattributed: no destination to view
        del meta["destinationViewable"]
    else:
        meta["destinationViewable"] = viewable
    if not viewable and "destinationKind" not in (group_by or ()):  # type: ignore[operator]
        meta.pop("destinationKind", None)


def _refuse_unattributed(
    endpoint: Endpoint,
    group_by: object,
    metadata: list[dict[str, object]],
    series: list[dict[str, int | float]],
) -> None:
    """409 instead of a partial series when ``groupBy=projectId`` meets usage without a project id."""
    if 409 not in endpoint.status_codes or "projectId" not in (group_by or ()):  # type: ignore[operator]
        return
    for index, meta in enumerate(metadata):
        if meta.get("projectId") == "" and any(point.get(str(index), 0) for point in series):
            raise ApiError(
                409,
                "project_identity_incomplete",
                "Some usage in this range cannot be attributed to a project, so it cannot be grouped by "
                "projectId. Group by environmentId instead, or narrow the range.",
            )


async def _drop(send: Send) -> None:
    """Close the connection without a response (uvicorn: abort the transport behind ``send``)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is not None:
        transport.abort()
        if cycle is not None and hasattr(cycle, "disconnected"):
            cycle.disconnected = True  # keeps uvicorn from writing its own 500 afterwards
        await asyncio.sleep(0)
        return
    # Other servers: start a response and fail mid-way, which makes them close the connection.
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    raise ConnectionAbortedError("emulator fault: drop")


def _fault_from_json(payload: dict[str, Any]) -> FaultSpec:
    allowed = {"kind", "operation_id", "count", "probability", "delay", "retry_after"}
    unknown = set(payload) - allowed
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    return FaultSpec(**payload)


def build_admin(state: EmulatorState) -> FastAPI:
    """The admin API (no auth): clock, faults, request log, reset, account."""
    admin = FastAPI(
        title="ldusage emulator admin", openapi_url="/_emulator/openapi.json", docs_url=None, redoc_url=None
    )

    def clock_json() -> dict[str, Any]:
        return {"now": state.clock.now().isoformat(), "speed": state.clock.speed}

    @admin.get("/_emulator/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @admin.get("/_emulator/clock")
    def get_clock() -> dict[str, Any]:
        return clock_json()

    @admin.post("/_emulator/clock")
    async def post_clock(request: Request) -> dict[str, Any]:
        body = await request.json()
        if not isinstance(body, dict):
            raise HTTPException(400, "expected a JSON object")
        try:
            if "speed" in body:
                state.clock.set_speed(float(body["speed"]))
            if "now" in body:
                state.clock.set(datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00")))
            if "advance_seconds" in body:
                state.clock.advance(timedelta(seconds=float(body["advance_seconds"])))
        except (TypeError, ValueError) as exc:
            raise HTTPException(400, str(exc)) from exc
        return clock_json()

    @admin.get("/_emulator/faults")
    def get_faults() -> list[dict[str, Any]]:
        return [asdict(f) for f in state.faults.pending()]

    @admin.post("/_emulator/faults", status_code=201)
    async def post_faults(request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        items = body if isinstance(body, list) else [body]
        try:
            specs = [_fault_from_json(item) for item in items]
        except (TypeError, ValueError) as exc:
            raise HTTPException(400, str(exc)) from exc
        for spec in specs:
            state.faults.add(spec)
        return [asdict(f) for f in state.faults.pending()]

    @admin.delete("/_emulator/faults")
    def delete_faults() -> dict[str, str]:
        state.faults.clear()
        return {"status": "cleared"}

    @admin.get("/_emulator/requests")
    def get_requests() -> list[dict[str, Any]]:
        return [r.to_json() for r in state.log.items()]

    @admin.delete("/_emulator/requests")
    def delete_requests() -> dict[str, str]:
        state.log.clear()
        return {"status": "cleared"}

    @admin.post("/_emulator/reset")
    def reset() -> dict[str, Any]:
        state.reset()
        return clock_json()

    @admin.get("/_emulator/data-export")
    def get_data_export() -> dict[str, Any]:
        return state.data_export.describe(state.clock.now())

    @admin.post("/_emulator/data-export")
    async def post_data_export(request: Request) -> dict[str, Any]:
        body = await request.json()
        if not isinstance(body, dict):
            raise HTTPException(400, "expected a JSON object")
        try:
            state.data_export.update(body)
        except (TypeError, ValueError) as exc:
            raise HTTPException(400, str(exc)) from exc
        return state.data_export.describe(state.clock.now())

    @admin.get("/_emulator/account")
    def account() -> JSONResponse:
        return JSONResponse(state.data.account.describe())

    return admin
