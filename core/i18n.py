"""Indonesian first, English second: the locale is the person's choice, else `id`."""

from __future__ import annotations

from flask import has_request_context, session
from flask_login import current_user

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    return DEFAULT_LOCALE
