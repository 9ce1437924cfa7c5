"""``LaunchDarklyUsageHook``: auth, request building and transport for all 28 account-usage operations."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, cast

from airflow_provider_ldusage.catalogue import DEFAULT_BASE_URL, ENDPOINTS, endpoint
from airflow_provider_ldusage.core.exchange import STOPPED_AT_DEADLINE, Reply, Send, Wait, exchange
from airflow_provider_ldusage.core.request import UsageRequest, request_headers
from airflow_provider_ldusage.core.response import decode_checked, decode_lazily
from airflow_provider_ldusage.core.retry import RetryPolicy
from airflow_provider_ldusage.exceptions import (
    LaunchDarklyUsageError,
    LaunchDarklyUsageResponseError,
    LaunchDarklyUsageValidationError,
)
from airflow_provider_ldusage.hooks._base import USER_AGENT, LaunchDarklyHookBase
from airflow_provider_ldusage.hooks._body import CHUNK_BYTES, BodyReader
from airflow_provider_ldusage.hooks._connection import ConnectionSettings, describe_fault, log_wait
from airflow_provider_ldusage.hooks._generated import GeneratedUsageMethods

if TYPE_CHECKING:
    import requests

__all__ = ["DEFAULT_MAX_PAGES", "USER_AGENT", "LaunchDarklyUsageHook"]

#: Pages :meth:`LaunchDarklyUsageHook.iter_pages` follows before it stops with an error (100 pages of
#: the largest page size are 10,000 projects: far beyond a real account, yet a bound on a cursor loop).
DEFAULT_MAX_PAGES = 100


class LaunchDarklyUsageHook(GeneratedUsageMethods, LaunchDarklyHookBase):
    """Talk to LaunchDarkly's account-usage (beta) API with a ``launchdarkly`` connection.

    One method per operation, named as LaunchDarkly's official Python client names it, taking that client's
    argument names except ``start``/``end`` (the client's ``var_from``/``to``), which accept an aware
    datetime, a pendulum DateTime, an ISO-8601 string with offset or an epoch number. Repeatable filters take
    a string or a list of strings. Every method validates its arguments before sending anything, sends
    exactly one ``LD-API-Version: beta`` header and the raw token, retries 429/5xx/connection faults within
    bounds, and returns the parsed representation (a dict) after checking its shape.

    :param launchdarkly_conn_id: the Airflow connection id (type ``launchdarkly``).
    :param sleep: how to wait (tests pass a recorder instead of sleeping).
    :param kwargs: timeouts, retry bounds, backoff, ``clock`` and ``rng``: see
        :class:`~airflow_provider_ldusage.hooks._base.LaunchDarklyHookBase`.
    """

    hook_name = "LaunchDarkly"
    # Airflow 3.1 reads the form only from a method in the hook class's own __dict__ (3.3 uses metadata).
    get_ui_field_behaviour = LaunchDarklyHookBase.get_ui_field_behaviour
    get_connection_form_widgets = LaunchDarklyHookBase.get_connection_form_widgets

    def __init__(
        self,
        launchdarkly_conn_id: str = LaunchDarklyHookBase.default_conn_name,
        *,
        sleep: Callable[[float], None] = time.sleep,
        **kwargs: Any,
    ) -> None:
        super().__init__(launchdarkly_conn_id, **kwargs)
        self._sleep = sleep
        self._session_obj: requests.Session | None = None

    # --- connection ------------------------------------------------------------------------------------

    @cached_property
    def settings(self) -> ConnectionSettings:
        """The connection's base URL, token and transport settings, validated (fetched once)."""
        conn = self.get_connection(self.launchdarkly_conn_id)
        return self._settings_from(conn.host, conn.password, conn.extra_dejson)

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        """The retry bounds: connection extras, overridden by hook arguments."""
        return self._policy(self.settings)

    def get_conn(self) -> requests.Session:
        """The hook's ``requests.Session`` (one per hook), with the fixed headers set."""
        if self._session_obj is None:
            import requests  # imported here: DAG files that only build operators never pay for it

            session = requests.Session()
            session.headers.clear()  # no requests defaults: exactly our headers, nothing duplicated
            session.headers.update(request_headers(self.settings.token, USER_AGENT))
            self._session_obj = session
        return self._session_obj

    def close(self) -> None:
        """Close the session's pooled connections."""
        if self._session_obj is not None:
            self._session_obj.close()
            self._session_obj = None

    # --- generic entry points ---------------------------------------------------------------------------

    def call(self, operation: str, **arguments: Any) -> Any:
        """Call ``operation`` (operation id such as ``getMAUTotalUsage`` or hook method name).

        Arguments equal to ``None`` are left out. Unknown argument names raise
        :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageValidationError`. Returns the parsed
        body: a dict, or a list of dicts for ``SdkVersionDetailsList`` endpoints.
        """
        return self.send(self._build_warned(operation, arguments))

    def call_lazy(self, operation: str, **arguments: Any) -> Any:
        """Like :meth:`call`, but a series response's ``series`` is decoded one time slice at a time.

        The body is checked up to the slice boundaries at once and held as bytes; each slice is parsed
        (and shape-checked) when it is read. A year of hourly data for a thousand series then costs about
        the size of the response instead of several times it. Iterate ``series`` rather than keep slices.
        """
        return self.send(self._build_warned(operation, arguments), lazy=True)

    def _build_warned(self, operation: str, arguments: dict[str, Any]) -> UsageRequest:
        request = self.build(operation, **arguments)
        if request.endpoint.deprecated:
            warnings.warn(
                f"{request.endpoint.method_name} calls {request.endpoint.path}, which LaunchDarkly has "
                f"deprecated; use {request.endpoint.replacement} instead",
                DeprecationWarning,
                stacklevel=4,
            )
        return request

    def send(self, request: UsageRequest, *, lazy: bool = False) -> Any:
        """Send a built request with timeouts, rate-limit waits and bounded retries; return the body.

        :param request: from :meth:`build`.
        :param lazy: decode series slices on access (see :meth:`call_lazy`).
        """
        decode = decode_lazily if lazy else decode_checked
        return self._send(request, self.retry_policy, partial(decode, secret=self.settings.token))

    def _send(
        self,
        request: UsageRequest,
        policy: RetryPolicy,
        decode: Callable[[UsageRequest, bytes], Any],
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Drive one call; ``headers`` replace the session's fixed ones of the same name for this call."""
        settings = self.settings
        conversation = exchange(
            request,
            policy,
            self._shared_budget(settings),
            self._clock,
            self._rng,
            settings.token,
            decode,
            deadline=settings.call_deadline,
            max_body_bytes=settings.max_body_bytes,
        )
        step = next(conversation)
        try:
            while True:
                if isinstance(step, Wait):
                    log_wait(self.log, step, request, policy.max_retries)
                    self._sleep(step.seconds)
                    step = conversation.send(None)
                    continue
                step = conversation.send(self._attempt(request, step, headers))
        except StopIteration as done:
            return done.value
        finally:
            conversation.close()

    def _attempt(self, request: UsageRequest, send: Send, headers: dict[str, str] | None) -> Reply:
        """One GET, its body streamed within the call's byte cap and deadline; redirects not followed."""
        import requests

        settings = self.settings
        reader = BodyReader(send)
        try:
            response = self.get_conn().get(
                settings.base_url + request.path,
                params=request.params,
                headers=headers,
                timeout=(reader.timeout(settings.connect_timeout), reader.timeout(settings.read_timeout)),
                stream=True,
                allow_redirects=False,
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            if reader.expired():
                return Reply(None, stopped=STOPPED_AT_DEADLINE)
            return Reply(None, fault=describe_fault(exc))
        with response:
            head = response.headers
            self._last_date = head.get("date") or self._last_date
            status = response.status_code
            if 300 <= status < 400:
                return Reply(status, head)  # never followed, its body never read
            stopped = reader.check_declared(head.get("content-length"))
            raw = response.raw
            # read1 returns what one socket read delivers, so the deadline is checked after every piece
            # (read(n) would wait for n bytes from a server that sends one a second).
            read = getattr(raw, "read1", None) or raw.read
            while stopped is None:
                sock = getattr(getattr(raw, "connection", None), "sock", None)
                if sock is not None:
                    sock.settimeout(reader.timeout(settings.read_timeout))
                try:
                    # Decoded here (requests leaves it to iter_content): the cap counts what memory holds.
                    chunk = read(CHUNK_BYTES, decode_content=True)
                except Exception as exc:  # urllib3's read errors (timeouts, resets, bad gzip), not requests'
                    if reader.expired():
                        return Reply(None, stopped=STOPPED_AT_DEADLINE)
                    return Reply(None, fault=describe_fault(exc))
                if not chunk:
                    return Reply(status, head, reader.body())
                stopped = reader.add(chunk)
            return Reply(status, head, stopped=stopped)

    # --- paging ----------------------------------------------------------------------------------------

    def iter_pages(
        self, operation: str, *, max_pages: int | None = None, **arguments: Any
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paged operation (``getDataExportProjectRanking``), following the cursor.

        The first request carries ``arguments`` (a ``cursor`` given there is where paging starts); each
        further one the same arguments with the previous page's next cursor, until a page has none.
        Every argument is validated before the first request.

        :param operation: operation id or hook method name of an operation with cursor paging.
        :param max_pages: the most pages to fetch (default :data:`DEFAULT_MAX_PAGES`). More pages than
            that raise :class:`~airflow_provider_ldusage.exceptions.LaunchDarklyUsageError` rather than
            silently return a truncated list.
        :param arguments: the operation's arguments, as for :meth:`call`.
        :raises LaunchDarklyUsageValidationError: for an operation without paging, a bad ``max_pages`` or
            a bad argument, before any request.
        """
        request = self._build_warned(operation, dict(arguments))
        endpoint = request.endpoint
        paging = endpoint.paging
        if paging is None:
            paged = ", ".join(e.method_name for e in ENDPOINTS if e.paging is not None)
            raise LaunchDarklyUsageValidationError(
                "operation", operation, f"an operation with cursor paging ({paged})"
            )
        limit = DEFAULT_MAX_PAGES if max_pages is None else max_pages
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise LaunchDarklyUsageValidationError("max_pages", max_pages, "an integer >= 1, or None")
        seen: set[str] = set()
        fetched = 0
        while True:
            page: dict[str, Any] = self.send(request)
            fetched += 1
            yield page
            cursor = _dig(page, paging.next_cursor)
            if cursor is None:
                return
            if cursor in seen:
                raise LaunchDarklyUsageResponseError(
                    request.method, request.path, f"page {fetched} repeats an earlier next cursor"
                )
            seen.add(cursor)
            if fetched >= limit:
                raise LaunchDarklyUsageError(
                    f"{endpoint.method_name}: more pages remain after max_pages={limit}; raise max_pages "
                    f"or narrow the query (a larger {paging.limit}, fewer projects, a shorter window)"
                )
            self.log.debug("%s: fetching page %d", endpoint.method_name, fetched + 1)
            request = self.build(operation, **{**arguments, paging.cursor: cursor})

    def get_all_items(
        self, operation: str, *, max_pages: int | None = None, **arguments: Any
    ) -> list[dict[str, Any]]:
        """The items of every page of a paged operation, in order (see :meth:`iter_pages`).

        :param operation: operation id or hook method name of an operation with cursor paging.
        :param max_pages: the most pages to fetch; more raise an error (see :meth:`iter_pages`).
        :param arguments: the operation's arguments, as for :meth:`call`.
        """
        paging = endpoint(operation).paging
        key = paging.items if paging is not None else ""  # iter_pages refuses operations without paging
        items: list[dict[str, Any]] = []
        for page in self.iter_pages(operation, max_pages=max_pages, **arguments):
            items.extend(page[key])
        return items

    # --- the flag list (outside the usage API) ----------------------------------------------------------

    def iter_feature_flags(
        self,
        project_key: str,
        *,
        env: str | None = None,
        filter: str | None = None,
        summary: bool | None = None,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every flag of a project, page after page: ``GET /api/v2/flags/{projectKey}``.

        Not a usage operation: LaunchDarkly's flag list (the official client's
        ``FeatureFlagsApi.get_feature_flags``), sent with its dated ``LD-API-Version: 20240415`` instead of
        ``beta``, with the same token, timeouts, retries and rate-limit pacing as every call (its own route
        budget). Pages follow ``_links.next`` until a page has none. Arguments are checked before the first
        request. Yields each flag as LaunchDarkly represents it (``key``, ``name``, ``variations``...).

        :param project_key: the project.
        :param env: restrict environment-specific fields to this environment (``env``).
        :param filter: LaunchDarkly's ``filter`` expression (``state:live``, ``tags:beta+test``), as given.
        :param summary: ``summary=true``/``false``; ``None`` leaves LaunchDarkly's default.
        :param limit: flags per page (1-100; default 100, the fewest requests).
        :param max_pages: the most pages to follow (default :data:`DEFAULT_MAX_PAGES`, 10,000 flags at
            ``limit=100``); more raise an error rather than return a silently shorter list.
        """
        from airflow_provider_ldusage.hooks.flags import VERSION_HEADER, decode_page, first_page, next_page

        bound = DEFAULT_MAX_PAGES if max_pages is None else max_pages
        if isinstance(bound, bool) or not isinstance(bound, int) or bound < 1:
            raise LaunchDarklyUsageValidationError("max_pages", max_pages, "an integer >= 1, or None")
        request = first_page(project_key, env=env, filter=filter, summary=summary, limit=limit)
        fetched = 0
        while True:
            # The request core reads only method, path, params and route of a request (no usage hints
            # apply): the flag list rides on the same conversation, retries and budget.
            page = self._send(
                cast("UsageRequest", request),
                self.retry_policy,
                cast("Callable[[UsageRequest, bytes], Any]", decode_page),
                headers=VERSION_HEADER,
            )
            fetched += 1
            yield from page["items"]
            following = next_page(request, page)
            if following is None:
                return
            if fetched >= bound:
                raise LaunchDarklyUsageError(
                    f"get_feature_flags: more pages remain after max_pages={bound} for project "
                    f"{project_key!r}; raise max_pages or narrow the list with filter="
                )
            request = following

    def get_feature_flag_keys(
        self,
        project_key: str,
        *,
        env: str | None = None,
        filter: str | None = None,
        limit: int | None = None,
        max_pages: int | None = None,
    ) -> list[str]:
        """The keys of every flag of a project, in LaunchDarkly's order (all pages; see
        :meth:`iter_feature_flags`, whose arguments these are). Archived flags are left out unless
        ``filter`` asks for them, as LaunchDarkly lists them."""
        flags = self.iter_feature_flags(
            project_key, env=env, filter=filter, summary=True, limit=limit, max_pages=max_pages
        )
        return list(dict.fromkeys(flag["key"] for flag in flags))

    def test_connection(self) -> tuple[bool, str]:
        """Check the token, the beta header and usage read access with one cheap read-only call.

        Never raises: returns ``(ok, message)``, as the Airflow UI's *Test* button expects. It does not
        retry: the button should answer in seconds, and a retried 429 would only hide the cause.
        """
        try:
            request = self.build("getStreamUsageSdkversion", source="server")
            policy = replace(self.retry_policy, max_retries=0, max_total_wait=0)  # 429s too
            data = self._send(request, policy, partial(decode_checked, secret=self.settings.token))
        except Exception as exc:  # the UI wants a message, never a traceback
            return False, self._as_the_user_sees_it(str(exc))
        count = len(data.get("sdkVersions", []))  # a SdkVersionListRep: a dict
        return (
            True,
            f"Connected to {self.settings.base_url}: usage API answered ({count} SDK versions listed)",
        )

    def _as_the_user_sees_it(self, message: str) -> str:
        """``message`` with the connection named by its Base URL instead of its id.

        Airflow's *Test* button (``POST /api/v2/connections/test``) runs the hook on a copy of the form
        under a random connection id; the id the user typed never reaches the hook. The Base URL does.
        """
        named = f"Connection {self.launchdarkly_conn_id!r}"
        if named not in message:
            return message
        try:
            host = self.get_connection(self.launchdarkly_conn_id).host
        except Exception:  # the message is about a connection that cannot be read: keep it as it is
            return message
        return message.replace(named, f"This connection ({_shown_host(host)})")


def _shown_host(host: str | None) -> str:
    """The Base URL as the form shows it, without credentials, query or fragment (they may hold a secret)."""
    from urllib.parse import urlsplit, urlunsplit

    text = (host or "").strip()
    if not text:
        return f"{DEFAULT_BASE_URL}, the default"
    try:
        parts = urlsplit(text)
    except ValueError:
        return "its Base URL"
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", "")) or "its Base URL"


def _dig(data: Any, keys: tuple[str, ...]) -> str | None:
    """The value at ``keys`` in nested objects, or ``None`` when any level is absent (the last page)."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str) and data else None
