"""LaunchDarkly's error bodies, and the exception the emulator raises to send one."""

from __future__ import annotations

import uuid

BETA_MESSAGE = "This API is in beta. To use it, your request must include the header `LD-API-Version: beta`."
RATE_LIMITED_MESSAGE = "You've exceeded the API rate limit. Try again later."


class ApiError(Exception):
    """An error response in LaunchDarkly's shape ``{"code", "message", "id"}``.

    :param status: HTTP status.
    :param code: LaunchDarkly's error code (``invalid_request``, ``not_found``, ...).
    :param message: human-readable text.
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, str]:
        return error_body(self.code, self.message)


def error_body(code: str, message: str) -> dict[str, str]:
    """A LaunchDarkly error body with a fresh request id."""
    return {"code": code, "message": message, "id": str(uuid.uuid4())}


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_request", message)


def not_found() -> ApiError:
    return ApiError(404, "not_found", "Invalid resource identifier")
