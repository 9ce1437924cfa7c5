"""Every error the provider raises.

All derive from :class:`LaunchDarklyUsageError` (an ``AirflowException``), so one ``except`` or one Airflow
``retry_policy`` rule covers the package. No exception text ever contains the access token: messages are
built from the method, the path, the status and LaunchDarkly's own ``code``/``message``.
"""

from __future__ import annotations

from airflow_provider_ldusage.compat import AirflowException


class LaunchDarklyUsageError(AirflowException):
    """Base class of every error raised by airflow-provider-ldusage."""


class LaunchDarklyUsageValidationError(LaunchDarklyUsageError, ValueError):
    """An argument is invalid; raised before any request is sent.

    :param parameter: the argument's name as the caller wrote it.
    :param value: the offending value.
    :param allowed: what would have been accepted, in words.
    """

    def __init__(self, parameter: str, value: object, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"Invalid {parameter}={value!r}: {allowed}")

    def __reduce__(self) -> tuple[type, tuple[str, object, str]]:
        return (type(self), (self.parameter, self.value, self.allowed))


class LaunchDarklyUsageConfigError(LaunchDarklyUsageError):
    """The connection or hook configuration cannot be used (no token, unsafe URL, bad extra)."""


class LaunchDarklyUsageAPIError(LaunchDarklyUsageError):
    """LaunchDarkly answered with an HTTP error status.

    :param status: HTTP status code.
    :param method: HTTP method of the request.
    :param path: request path (no query string, no host).
    :param code: LaunchDarkly's ``code`` field, when the body has one.
    :param message: LaunchDarkly's ``message`` field, or a short excerpt of a non-JSON body.
    :param request_id: LaunchDarkly's ``id`` field (quote it to support), when present.
    :param hint: one sentence on what to do about it.
    :param retry_after: seconds the server asked us to wait, for 429/503.
    """

    def __init__(
        self,
        status: int,
        method: str,
        path: str,
        code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
        hint: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.method = method
        self.path = path
        self.code = code
        self.message = message
        self.request_id = request_id
        self.hint = hint
        self.retry_after = retry_after
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"LaunchDarkly returned HTTP {self.status} for {self.method} {self.path}"
        if self.code:
            text += f": code={self.code}"
        if self.message:
            text += f"{',' if self.code else ':'} message={self.message!r}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        if self.hint:
            text += f". {self.hint}"
        return text

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return (
            type(self),
            (
                self.status,
                self.method,
                self.path,
                self.code,
                self.message,
                self.request_id,
                self.hint,
                self.retry_after,
            ),
        )


class LaunchDarklyUsageBadRequestError(LaunchDarklyUsageAPIError):
    """HTTP 400: LaunchDarkly rejected the parameters."""


class LaunchDarklyUsageAuthError(LaunchDarklyUsageAPIError):
    """HTTP 401: the access token is invalid or lacks access."""


class LaunchDarklyUsageForbiddenError(LaunchDarklyUsageAPIError):
    """HTTP 403: the token may not read usage data, or the beta header was refused."""


class LaunchDarklyUsageNotFoundError(LaunchDarklyUsageAPIError):
    """HTTP 404: the resource (flag, project, environment, path value) does not exist."""


class LaunchDarklyUsageConflictError(LaunchDarklyUsageAPIError):
    """HTTP 409: LaunchDarkly cannot attribute some usage of the window to a project, so it refuses to
    group or rank by project rather than answer partially. Never retried: the same request gets the same
    answer. :attr:`code` and :attr:`message` are LaunchDarkly's; :attr:`hint` says which filter to change.
    """


class LaunchDarklyUsageRateLimitError(LaunchDarklyUsageAPIError):
    """HTTP 429 after the retry budget was spent."""


class LaunchDarklyUsageServerError(LaunchDarklyUsageAPIError):
    """HTTP 5xx after the retry budget was spent."""


class LaunchDarklyUsageRedirectError(LaunchDarklyUsageAPIError):
    """HTTP 3xx: the base URL redirects. Never followed: the token must not travel to another address and
    another server's body must never pass for usage data. :attr:`hint` names where it pointed."""


class LaunchDarklyUsageTransportError(LaunchDarklyUsageError):
    """The request never got an HTTP answer (connection refused, reset, timeout) after all retries.

    :param method: HTTP method of the request.
    :param path: request path.
    :param reason: what went wrong, without the token.
    """

    def __init__(self, method: str, path: str, reason: str) -> None:
        self.method = method
        self.path = path
        self.reason = reason
        super().__init__(f"No answer from LaunchDarkly for {method} {path}: {reason}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.method, self.path, self.reason))


class LaunchDarklyUsageDeadlineError(LaunchDarklyUsageError):
    """A call ran out of its total time, ``call_deadline`` (retries, their waits and slow reads included).

    :param method: HTTP method of the request.
    :param path: request path.
    :param deadline: the deadline in seconds.
    :param reason: what the call was doing when time ran out, without the token.
    """

    def __init__(self, method: str, path: str, deadline: float, reason: str) -> None:
        self.method = method
        self.path = path
        self.deadline = deadline
        self.reason = reason
        super().__init__(
            f"{method} {path} did not finish within call_deadline={deadline:g} s: {reason}. Raise "
            "call_deadline (connection extra or hook argument) if LaunchDarkly is merely slow"
        )

    def __reduce__(self) -> tuple[type, tuple[str, str, float, str]]:
        return (type(self), (self.method, self.path, self.deadline, self.reason))


class LaunchDarklyUsageResponseError(LaunchDarklyUsageError):
    """A 2xx answer whose body is not what the endpoint's schema promises.

    :param method: HTTP method of the request.
    :param path: request path.
    :param problem: what is wrong with the body.
    """

    def __init__(self, method: str, path: str, problem: str) -> None:
        self.method = method
        self.path = path
        self.problem = problem
        super().__init__(f"Unexpected response from LaunchDarkly for {method} {path}: {problem}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        return (type(self), (self.method, self.path, self.problem))


class LaunchDarklyUsageInvalidBodyError(LaunchDarklyUsageResponseError):
    """A 2xx body that is not valid JSON at all, most often because it was cut short in transit.

    Unlike a well-formed body of the wrong shape, this is retried: the same GET may well arrive whole.
    """


class LaunchDarklyUsageBodyTooLargeError(LaunchDarklyUsageResponseError):
    """A 2xx body larger than ``max_body_bytes``; reading stopped there, so memory stays bounded. Not
    retried: the same request gets the same body. Narrow the window or the grouping, or raise the cap."""


class LaunchDarklyUsageIntegrityError(LaunchDarklyUsageError, ValueError):
    """A landed object does not match the manifest written with it (rows, size or SHA-256), or is
    otherwise incomplete (a gzip stream cut short): truncated or changed since it was landed. A load
    refuses it and leaves its tables as they were; re-run the task that landed it."""


__all__ = [
    "LaunchDarklyUsageAPIError",
    "LaunchDarklyUsageAuthError",
    "LaunchDarklyUsageBadRequestError",
    "LaunchDarklyUsageBodyTooLargeError",
    "LaunchDarklyUsageConfigError",
    "LaunchDarklyUsageConflictError",
    "LaunchDarklyUsageDeadlineError",
    "LaunchDarklyUsageError",
    "LaunchDarklyUsageForbiddenError",
    "LaunchDarklyUsageIntegrityError",
    "LaunchDarklyUsageInvalidBodyError",
    "LaunchDarklyUsageNotFoundError",
    "LaunchDarklyUsageRateLimitError",
    "LaunchDarklyUsageRedirectError",
    "LaunchDarklyUsageResponseError",
    "LaunchDarklyUsageServerError",
    "LaunchDarklyUsageTransportError",
    "LaunchDarklyUsageValidationError",
]
