"""Every error intercomkit raises on purpose.

    IntercomError                      base: status, request_id, code, message, errors
    ├── ConfigurationError (ValueError)    bad token, region, base URL, option
    │   ├── UnsafeURL                       a path or link that would leave the configured host
    │   ├── UnknownField                    a fields= column no contact/company has (lists known ones, a close match)
    │   ├── WrongFileKind                   read_contacts_csv given a companies file (or the reverse)
    │   ├── WorkspaceMismatch               a checkpoint or state file written for another workspace or host
    │   ├── WorkspaceListError              a fleet's workspace list (CSV/YAML) with bad rows (``problems``)
    │   └── EventLoopMismatch               one client used on two event loops (``await`` and ``.sync``)
    ├── AuthenticationRequired              no token anywhere; the message says how to connect
    ├── CredentialsError                    the local token store is unreadable or too open
    ├── APIError                            Intercom answered with an error status
    │   ├── BadRequest            400
    │   ├── Unauthorized          401
    │   ├── Forbidden             403
    │   ├── NotFound              404
    │   ├── Conflict              409   (existing_id when Intercom names it)
    │   ├── UnprocessableEntity   422
    │   ├── RateLimited           429   (reset_at: unix seconds)
    │   └── ServerError           5xx
    ├── InvalidResponse                    a body that is not the JSON it should be (status + excerpt)
    ├── TransportError                     connect/read failures, timeouts
    │   ├── OutcomeUnknown                  a non-repeatable request may or may not have taken effect
    │   └── BaseURLUnreachable              ik.notebook.client(): the saved base URL does not answer
    ├── InvalidQuery (ValueError)          a search query Intercom would refuse
    ├── PaginationError                    a cursor that repeats, a walk that runs away
    │   ├── PageLimitReached                /companies/list stops at 10 000: use scroll
    │   ├── ScrollInProgress                another scroll is open for this workspace
    │   └── ScrollExpired                   the scroll_param went stale
    ├── OAuthError                         authorize / code exchange failures
    │   └── StateMismatch                   the pasted state is not the one we issued
    ├── InvalidSignature                   webhook signature missing or wrong
    ├── InvalidPayload                     a webhook body that is not a JSON object
    ├── TemplateError (ValueError)         `{{ column }}` templates that cannot render
    ├── SendError                          a message cannot be sent as asked (e.g. the sender is not an admin)
    │   └── InvalidMessage (ValueError)     a message Intercom would refuse (email without subject), caught early
    ├── ExportIncomplete                   an export that wrote fewer rows than Intercom counts
    ├── ReportingJobError                  a reporting-data export job that did not deliver (job, dataset, window)
    │   ├── ReportingJobFailed              Intercom reported the job ``failed`` (after the retries)
    │   └── ReportingJobExpired             its download was gone (expired) or unreadable (after the retries)
    └── WriteFailed (OSError)              an export's file or checkpoint cannot be written (disk full, …)

The token is never part of any message: the client scrubs response excerpts before they reach an error.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIError",
    "AuthenticationRequired",
    "BadRequest",
    "BaseURLUnreachable",
    "ConfigurationError",
    "Conflict",
    "CredentialsError",
    "ExportIncomplete",
    "Forbidden",
    "IntercomError",
    "InvalidMessage",
    "InvalidQuery",
    "InvalidPayload",
    "InvalidResponse",
    "InvalidSignature",
    "NotFound",
    "OAuthError",
    "OutcomeUnknown",
    "PageLimitReached",
    "PaginationError",
    "RateLimited",
    "ReportingJobError",
    "ReportingJobExpired",
    "ReportingJobFailed",
    "ScrollExpired",
    "ScrollInProgress",
    "SendError",
    "ServerError",
    "StateMismatch",
    "TemplateError",
    "TransportError",
    "Unauthorized",
    "UnknownField",
    "UnprocessableEntity",
    "UnsafeURL",
    "WorkspaceListError",
    "WrongFileKind",
    "WorkspaceMismatch",
    "EventLoopMismatch",
    "WriteFailed",
    "error_for_status",
]


class IntercomError(Exception):
    """Base of every intercomkit error.

    HTTP details are ``None`` for errors that did not come from a response.
    """

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        request_id: str | None = None,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.code = code
        self.errors: list[dict[str, Any]] = list(errors or [])

    def rephrased(self, message: str, cls: type[IntercomError] | None = None) -> IntercomError:
        """The same HTTP details (status, request id, code, error list) with a clearer message, as ``cls``."""
        return (cls or type(self))(
            message, status=self.status, request_id=self.request_id, code=self.code, errors=self.errors
        )

    def __str__(self) -> str:
        parts = [self.message or self.__class__.__name__]
        if self.status is not None and f"HTTP {self.status}" not in parts[0]:
            parts.append(f"(HTTP {self.status}")
            if self.code:
                parts[-1] += f", code={self.code}"
            if self.request_id:
                parts[-1] += f", request_id={self.request_id}"
            parts[-1] += ")"
        return " ".join(parts)


class ConfigurationError(IntercomError, ValueError):
    """A client option is wrong: token format, region, base URL, version."""


class UnsafeURL(ConfigurationError):
    """A path or pagination link would send the token to another host."""


class UnknownField(ConfigurationError):
    """A requested column that no record has: ``field``, the ``known`` names, and a close match (``suggestion``).

    Raised before anything is written, instead of an all-empty column."""

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        known: list[str] | None = None,
        suggestion: str | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.field = field
        self.known = list(known or [])
        self.suggestion = suggestion


class WrongFileKind(ConfigurationError):
    """A file read as one kind of export (contacts) holds another (companies); ``kind`` is what it looks like."""

    def __init__(self, message: str = "", *, kind: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.kind = kind


class WorkspaceMismatch(ConfigurationError):
    """An export checkpoint (``OUT.partial``) or state file (``OUT.export.json``) was written for another
    workspace or API host than the client's: resuming or merging would mix rows of two workspaces.

    ``recorded`` and ``current`` describe both (API base URL, ``app.id_code``, name; never a token)."""

    def __init__(
        self,
        message: str = "",
        *,
        recorded: dict[str, Any] | None = None,
        current: dict[str, Any] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.recorded = dict(recorded or {})
        self.current = dict(current or {})


class WorkspaceListError(ConfigurationError):
    """A fleet's workspace list cannot be used: ``problems`` lists ``(where, problem)`` for every bad row or
    column (a missing name, a duplicate, no credential source, a token written into the file, …)."""

    def __init__(
        self, message: str = "", *, problems: list[tuple[str, str]] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.problems = list(problems or [])


class EventLoopMismatch(ConfigurationError):
    """A client was used on one event loop and then on another (e.g. with ``await`` in a notebook and through
    ``client.sync``, which runs on the sync bridge's loop). A client's connection pool belongs to one loop."""


class AuthenticationRequired(IntercomError):
    """No access token was given or found."""


class CredentialsError(IntercomError):
    """The local credentials store cannot be used safely."""


class APIError(IntercomError):
    """Intercom answered with an error status and (usually) an ``error.list`` body."""


class BadRequest(APIError):
    pass


class Unauthorized(APIError):
    pass


class Forbidden(APIError):
    pass


class NotFound(APIError):
    pass


class Conflict(APIError):
    """A duplicate; ``existing_id`` is the id of the record that already exists, when Intercom says."""

    def __init__(self, message: str = "", *, existing_id: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.existing_id = existing_id


class UnprocessableEntity(APIError):
    pass


class RateLimited(APIError):
    """HTTP 429. ``reset_at`` is the unix time (seconds) at which the window resets, if known."""

    def __init__(self, message: str = "", *, reset_at: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reset_at = reset_at


class ServerError(APIError):
    pass


class InvalidResponse(IntercomError):
    """The body is not valid JSON of the expected shape. Carries the status and a short excerpt."""

    def __init__(self, message: str = "", *, excerpt: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.excerpt = excerpt


class TransportError(IntercomError):
    """The request did not get a complete answer: connection refused or dropped, timeout."""


class BaseURLUnreachable(TransportError):
    """A connection's saved base URL (a sandbox served on a port, a proxy) does not answer; names ``profile``
    and ``base_url``."""

    def __init__(
        self, message: str = "", *, profile: str | None = None, base_url: str | None = None, **kw: Any
    ):
        super().__init__(message, **kw)
        self.profile = profile
        self.base_url = base_url


class OutcomeUnknown(TransportError):
    """A request that is not safe to repeat failed after it may have been received.

    It was not retried: check whether it took effect (e.g. look the contact or message up) before sending again.
    """


class InvalidQuery(IntercomError, ValueError):
    """A search query that Intercom would reject, caught before any request."""


class PaginationError(IntercomError):
    """A pagination walk that cannot continue correctly (repeating cursor, runaway count)."""


class PageLimitReached(PaginationError):
    """``POST /companies/list`` stops at 10 000 companies; ``companies.scroll()`` returns all of them."""


class ScrollInProgress(PaginationError):
    """Intercom allows one open scroll per workspace; another one is open (maybe left by a crashed run)."""


class ScrollExpired(PaginationError):
    """The scroll_param was not used for a minute and Intercom forgot it."""


class OAuthError(IntercomError):
    pass


class StateMismatch(OAuthError):
    pass


class InvalidSignature(IntercomError):
    """A webhook's ``X-Hub-Signature`` is missing or does not match the body."""

    def __init__(self, message: str = "", *, header: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.header = header


class InvalidPayload(IntercomError):
    """A (correctly signed) webhook body that is not a JSON object; ``excerpt`` holds its first bytes."""

    def __init__(self, message: str = "", *, excerpt: str = "", **kw: Any) -> None:
        super().__init__(message, **kw)
        self.excerpt = excerpt


class TemplateError(IntercomError, ValueError):
    """A message template cannot be rendered for some rows; ``problems`` lists each (row, message)."""

    def __init__(
        self, message: str = "", *, problems: list[tuple[Any, str]] | None = None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.problems = list(problems or [])


class SendError(IntercomError):
    """A message cannot be sent as asked: the sender is not an admin, a real bulk run has no send log, …"""


class InvalidMessage(SendError, ValueError):
    """A message Intercom would refuse (email without subject, unknown type), caught before any request."""


class ExportIncomplete(IntercomError):
    """An export wrote fewer rows than Intercom reported; ``result`` holds the ExportResult."""

    def __init__(self, message: str = "", *, result: Any = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.result = result


class ReportingJobError(IntercomError):
    """A reporting-data export job that did not deliver its data, after the retries. ``job`` is its
    job_identifier, ``dataset`` its dataset id, ``window`` its ``(start_time, end_time)`` in unix seconds."""

    def __init__(
        self,
        message: str = "",
        *,
        job: str | None = None,
        dataset: str | None = None,
        window: Any = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.job, self.dataset, self.window = job, dataset, window


class ReportingJobFailed(ReportingJobError):
    """Intercom reported the job ``failed`` (each retry too)."""


class ReportingJobExpired(ReportingJobError):
    """The job completed but its download was gone (past ``download_expires_at``) or arrived unreadable."""


class WriteFailed(IntercomError, OSError):
    """An export cannot write its file, checkpoint or state (read-only directory, disk full, permission denied,
    the output path is a directory). ``path`` is the file it tried, ``reason`` the system's words, ``committed``
    the windows kept in the checkpoint (rerun the same export to resume them; 0: nothing was kept)."""

    def __init__(
        self, message: str = "", *, path: str = "", reason: str = "", committed: int = 0, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.path = path
        self.reason = reason
        self.committed = committed


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: UnprocessableEntity,
    429: RateLimited,
}


def error_for_status(status: int) -> type[APIError]:
    """The named error class for an HTTP error status."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return ServerError
    return APIError
