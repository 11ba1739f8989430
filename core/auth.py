"""Signing in and proving who you are: argon2id passwords, a login limit kept in Redis, password
reset by signed link, and API tokens stored as SHA-256 only.

Repeated failures lock an identifier for `LOCK_SECONDS`; a reset link stops working once used
because it is bound to the password hash it replaces.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import DomainError, ErrorCode
from core.extensions import redis_client
from core.models import ApiToken, Notification, User
from core.schemas import normalize_phone

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
MAX_FAILURES_PER_IP = 50
RESET_MAX_AGE = 60 * 60

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class LoginFailed(DomainError):
    code = ErrorCode.LOGIN_FAILED
    status = 401


class LoginLocked(DomainError):
    code = ErrorCode.LOGIN_LOCKED
    status = 429


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = _hasher.hash("kopdes-timing-equaliser")


def find_user(identifier: str) -> User | None:
    """The user whose e-mail or phone number is `identifier` (phone in any common Indonesian form)."""
    identifier = identifier.strip()
    phone = normalize_phone(identifier)
    if phone:
        return db.session.scalar(select(User).where(User.phone == phone))
    return db.session.scalar(select(User).where(func.lower(User.email) == identifier.lower()))


def _limit_keys(identifier: str, ip: str | None) -> tuple[str, str]:
    digest = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
    return f"kopdes:login:fail:{digest}", f"kopdes:login:ip:{ip or '-'}"


def authenticate(identifier: str, password: str, ip: str | None) -> User:
    """The active user with these credentials, or LoginFailed / LoginLocked. Failures are counted."""
    key, ip_key = _limit_keys(identifier, ip)
    r = redis_client()
    try:
        failures = int(r.get(key) or 0)
        ip_failures = int(r.get(ip_key) or 0)
    except redis.RedisError:
        current_app.logger.warning("login limit unavailable: Redis is down")
        failures = ip_failures = 0
    if failures >= MAX_FAILURES or ip_failures >= MAX_FAILURES_PER_IP:
        raise LoginLocked(_l("Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam 15 menit."))
    user = find_user(identifier)
    ok = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        try:
            pipe = r.pipeline()
            pipe.incr(key)
            pipe.expire(key, LOCK_SECONDS)
            pipe.incr(ip_key)
            pipe.expire(ip_key, LOCK_SECONDS)
            pipe.execute()
        except redis.RedisError:
            current_app.logger.warning("login limit unavailable: Redis is down")
        if user is not None:
            audit.record("login_failed", "user", user.id, actor_id=user.id)
            db.session.commit()
        raise LoginFailed(_l("E-mail/nomor HP atau kata sandi salah."))
    try:
        r.delete(key)
    except redis.RedisError:
        pass
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kopdes-password-reset")


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def request_password_reset(identifier: str) -> None:
    """Send a reset link to the account's e-mail or WhatsApp; silent when no account matches, so the
    form does not reveal who has an account."""
    user = find_user(identifier)
    if user is None or not user.active:
        return
    token = _reset_serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    link = url_for("core.reset_password", token=token, _external=True)
    channel, recipient = ("email", user.email) if user.email else ("whatsapp", user.phone)
    db.session.add(
        Notification(
            channel=channel,
            recipient=recipient,
            subject=str(_l("Atur ulang kata sandi Kopdes")),
            body=str(_l("Buka tautan ini dalam 1 jam untuk membuat kata sandi baru: %(link)s", link=link)),
        )
    )
    audit.record("password_reset_requested", "user", user.id, actor_id=user.id)
    db.session.commit()


class ResetLinkInvalid(DomainError):
    code = ErrorCode.INVITATION_INVALID


def reset_password(token: str, new_password: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE)
    except SignatureExpired as err:
        raise ResetLinkInvalid(_l("Tautan sudah kedaluwarsa. Minta tautan baru.")) from err
    except BadSignature as err:
        raise ResetLinkInvalid(_l("Tautan tidak sah.")) from err
    user = db.session.get(User, data.get("u"))
    if user is None or _fingerprint(user) != data.get("f"):
        raise ResetLinkInvalid(_l("Tautan sudah dipakai atau tidak sah."))
    user.password_hash = hash_password(new_password)
    audit.record("password_reset", "user", user.id, actor_id=user.id)
    db.session.commit()
    return user


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(
    user: User, name: str, *, cooperative_id: int | None = None, partner_id: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is shown once and never stored."""
    secret = "kpd_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        cooperative_id=cooperative_id,
        partner_id=partner_id,
        token_hash=token_digest(secret),
        prefix=secret[:12],
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token_issued",
        "api_token",
        token.id,
        after={"name": name, "cooperative_id": cooperative_id, "partner_id": partner_id},
        cooperative_id=cooperative_id,
    )
    db.session.commit()
    return token, secret


def token_from_secret(secret: str) -> ApiToken | None:
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_digest(secret), ApiToken.revoked_at.is_(None))
    )
    if token is not None:
        token.last_used_at = datetime.now(UTC)
    return token
