"""Flask extensions, created once here and initialised in `core.app.create_app`."""

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from core.db import db

if TYPE_CHECKING:
    from redis import Redis

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()

__all__ = ["babel", "csrf", "db", "login_manager"]


def redis_client() -> "Redis":
    """The Redis connection of the current app (login limits, job queue)."""
    from flask import current_app

    return current_app.extensions["kopdes_redis"]
