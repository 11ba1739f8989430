"""The application factory: configuration, extensions, blueprints, the tenant from the URL, and
error pages, all wired in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, redirect, request, url_for
from flask_babel import format_date, get_locale
from flask_login import current_user
from redis import Redis

import core.schemas  # noqa: F401 - installs the Indonesian default validation messages
from core.config import Config
from core.errors import register_error_handlers
from core.extensions import babel, csrf, db, login_manager
from core.i18n import local_time, select_locale
from core.models import User
from core.money import format_rupiah
from core.permissions import ROLE_LABELS, visible_menu
from tenants import context as tenant_context


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.update(
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=config.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20},
        SESSION_COOKIE_SECURE=config.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 12,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="id",
        BABEL_TRANSLATION_DIRECTORIES="../translations",
        TESTING=config.testing,
        KOPDES=config,
    )
    app.extensions["kopdes_redis"] = Redis.from_url(
        config.redis_url, socket_timeout=5, socket_connect_timeout=2
    )

    db.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id))

    from core.api import bp as api_bp
    from core.api import user_from_bearer

    login_manager.request_loader(lambda _req: user_from_bearer())

    _register_blueprints(app, api_bp)
    csrf.exempt(api_bp)
    _register_tenant_from_url(app)
    register_error_handlers(app)
    _register_templating(app)

    from core.cli import kopdes_cli

    app.cli.add_command(kopdes_cli)
    return app


def _register_blueprints(app: Flask, api_bp: Any) -> None:
    import erp.inventory.api
    import erp.ledger.api
    import erp.loans.api
    import erp.loans.report_views  # loan reports and close of business on the loans blueprint
    import erp.loans.restructure_views  # more loan pages on the loans blueprint
    import erp.membership.api
    import erp.pos.api
    import erp.savings.api  # noqa: F401 - each registers its routes on the API blueprint
    import marketplace.orders.api  # noqa: F401 - Kophub orders on the API blueprint
    import tenants.api  # noqa: F401 - registers its routes on the API blueprint
    from core.views import bp as core_bp
    from erp.inventory.views import bp as inventory_bp
    from erp.ledger.views import bp as ledger_bp
    from erp.loans.financing_views import bp as financing_bp
    from erp.loans.views import bp as loans_bp
    from erp.membership.views import bp as membership_bp
    from erp.pos.views import bp as pos_bp
    from erp.purchasing.views import bp as purchasing_bp
    from erp.savings.portal import bp as portal_bp
    from erp.savings.views import bp as savings_bp
    from marketplace.buyers.views import bp as buyers_bp
    from marketplace.listings.views import bp as listings_bp
    from marketplace.orders.views import bp as orders_bp
    from marketplace.payments.views import bp as payments_bp
    from marketplace.search.views import bp as kophub_bp
    from tenants.dashboards import bp as dashboards_bp
    from tenants.microsite import bp as microsite_bp
    from tenants.registry import bp as registry_bp
    from tenants.satgas import bp as satgas_bp
    from tenants.views import bp as tenants_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(tenants_bp)
    app.register_blueprint(membership_bp)
    app.register_blueprint(savings_bp)
    app.register_blueprint(loans_bp)
    app.register_blueprint(financing_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(ledger_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(pos_bp)
    app.register_blueprint(purchasing_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(satgas_bp)
    app.register_blueprint(microsite_bp)
    app.register_blueprint(dashboards_bp)
    app.register_blueprint(listings_bp)
    app.register_blueprint(kophub_bp)
    app.register_blueprint(buyers_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(api_bp)


def _register_tenant_from_url(app: Flask) -> None:
    """The one place a request under `/k/<slug>/` gets its tenant: the cooperative of the slug,
    entered only by its staff (others get 404, so no cooperative learns of another's pages)."""
    from tenants.service import cooperative_and_membership

    @app.url_value_preprocessor
    def tenant_from_url(endpoint: str | None, values: dict[str, Any] | None) -> None:
        slug = values.pop("tenant_slug", None) if values else None
        if slug is None:
            return
        view = app.view_functions.get(endpoint or "")
        public = getattr(view, "public_tenant", False)
        staff = not public and current_user.is_authenticated
        coop, membership = cooperative_and_membership(slug, current_user.id if staff else None)
        if coop is None:
            abort(404)
        if not public:
            if not current_user.is_authenticated:
                abort(redirect(url_for("core.login", next=request.full_path)))
            if membership is None:
                abort(404)
            g.membership = membership
        g.cooperative = coop
        tenant_context.activate(coop.id)

    @app.url_defaults
    def tenant_slug_default(endpoint: str, values: dict[str, Any]) -> None:
        coop = g.get("cooperative")
        if (
            coop is not None
            and "tenant_slug" not in values
            and app.url_map.is_endpoint_expecting(endpoint, "tenant_slug")
        ):
            values["tenant_slug"] = coop.slug

    @app.teardown_request
    def clear_tenant(_exc: BaseException | None) -> None:
        tenant_context.reset()

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'"
        )
        return response


def _register_templating(app: Flask) -> None:
    from core.personal import mask_email, mask_phone
    from tenants.service import places_of

    app.jinja_env.filters["rupiah"] = lambda amount: format_rupiah(amount, str(get_locale() or "id"))
    app.jinja_env.filters["tanggal"] = lambda day: format_date(day, "d MMM y")
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_email"] = mask_email
    app.jinja_env.filters["waktu"] = local_time  # UTC moment → local time with WIB/WITA/WIT

    @app.context_processor
    def layout() -> dict[str, Any]:
        places = places_of(current_user.id) if current_user.is_authenticated else []
        return {
            "menu": visible_menu() if current_user.is_authenticated else [],
            "places": places,
            "role_labels": ROLE_LABELS,
            "locale": str(get_locale() or "id"),
        }
