"""Domain errors with stable codes, and how they reach people: a translated message in HTML, and
`{"error": {"code", "message", "fields"}}` in JSON. Bad input is 422 and writes nothing."""

from __future__ import annotations

import enum
from typing import Any

from flask import Flask, Response, flash, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException


class ErrorCode(enum.StrEnum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    UNAUTHORIZED = "unauthorized"
    CSRF = "csrf_failed"
    TENANT_REQUIRED = "tenant_required"
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    ALREADY_EXISTS = "already_exists"
    INVITATION_INVALID = "invitation_invalid"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    UNBALANCED = "unbalanced"
    PERIOD_CLOSED = "period_closed"
    ACCOUNT_UNKNOWN = "account_unknown"
    ACCOUNT_INACTIVE = "account_inactive"
    ALREADY_REVERSED = "already_reversed"
    INVALID_TRANSITION = "invalid_transition"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    IMPORT_REJECTED = "import_rejected"
    APPROVAL_REQUIRED = "approval_required"
    INTERNAL = "internal_error"


class DomainError(Exception):
    """A refusal the user can understand: a stable `code`, a translated `message`, maybe `fields`."""

    code: ErrorCode = ErrorCode.INVALID_INPUT
    status: int = 422

    def __init__(self, message: Any = None, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(str(message) if message is not None else self.code.value)
        self.message = message if message is not None else self.code.value
        self.fields = fields or {}

    def as_form_errors(self) -> dict[str, Any]:
        """Field messages plus the overall message under `_`, for re-rendering a form."""
        return {**self.fields, "_": [self.message]}


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND
    status = 404


class Forbidden(DomainError):
    code = ErrorCode.FORBIDDEN
    status = 403


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS
    status = 422


def plain(messages: Any) -> Any:
    """Marshmallow messages (maybe lazy strings, nested) as plain JSON values: every field maps to
    a list of strings (or, for nested input, to a dict of the same)."""
    if isinstance(messages, dict):
        return {
            str(k): plain(v) if isinstance(v, dict | list | tuple) else [str(v)] for k, v in messages.items()
        }
    if isinstance(messages, list | tuple):
        return [plain(m) if isinstance(m, dict) else str(m) for m in messages]
    return [str(messages)]


def form_messages(err: Any) -> dict[str, Any]:
    """A marshmallow ValidationError as `{field: [message, …]}` for re-rendering a form."""
    result = plain(err.normalized_messages())
    return result if isinstance(result, dict) else {"_": result}


def refused(err: DomainError) -> dict[str, Any]:
    """A refused form: undo what the request wrote, show the refusal, and return its
    `{field: [message, …]}` for re-rendering the form."""
    from core.db import db

    db.session.rollback()
    flash(str(err.message), "error")
    return dict(err.fields or {})


_HTTP_TITLES = {
    400: _l("Permintaan tidak dapat diproses"),
    401: _l("Silakan masuk terlebih dahulu"),
    403: _l("Anda tidak memiliki izin untuk halaman ini"),
    404: _l("Halaman tidak ditemukan"),
    405: _l("Metode tidak diizinkan"),
    413: _l("Berkas terlalu besar"),
    422: _l("Data yang dikirim belum benar"),
    429: _l("Terlalu banyak permintaan, coba lagi nanti"),
    500: _l("Terjadi kesalahan pada sistem"),
}
_HTTP_CODES = {
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    422: ErrorCode.INVALID_INPUT,
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: Any, fields: Any = None) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error={"code": code, "message": str(message), "fields": plain(fields or {})}), status
    title = _HTTP_TITLES.get(status, _HTTP_TITLES[400 if status < 500 else 500])
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError) -> Any:
        from core.db import db

        db.session.rollback()
        return error_response(err.status, err.code.value, err.message, err.fields)

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError) -> Any:
        from core.db import db

        db.session.rollback()
        return error_response(422, ErrorCode.INVALID_INPUT, _HTTP_TITLES[422], err.messages)

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> Any:
        return error_response(
            400, ErrorCode.CSRF, _l("Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Any:
        status = err.code or 500
        code = _HTTP_CODES.get(status, f"http_{status}")
        return error_response(status, code, _HTTP_TITLES.get(status, err.description))

    @app.errorhandler(Exception)
    def _internal(err: Exception) -> Any:
        from core.db import db

        app.logger.exception("unhandled error")
        db.session.rollback()
        if app.testing and app.config.get("PROPAGATE_UNHANDLED", True):
            raise err
        return error_response(500, ErrorCode.INTERNAL, _HTTP_TITLES[500])
