"""The current tenant, and its enforcement in the ORM and in PostgreSQL.

The tenant is set by `activate()` in exactly one place per request (the URL under `/k/<slug>`, or
the API token) or per job (the outbox row). Then:
1. every ORM query of a `TenantScoped` model is filtered by it, and a query without a tenant
   raises `TenantRequired` instead of returning every cooperative's rows;
2. new tenant rows are stamped with it, and a row stamped for another tenant is refused;
3. each transaction runs `set_config('app.tenant_id', …, true)`, which row-level security uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, func
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, with_loader_criteria

from core.db import db
from core.errors import DomainError, ErrorCode
from tenants.models import TenantScoped

_current: ContextVar[int | None] = ContextVar("kopdes_tenant_id", default=None)

_SET_TENANT = "SELECT set_config('app.tenant_id', %(tenant)s, true)"


class TenantRequired(DomainError):
    code = ErrorCode.TENANT_REQUIRED
    status = 500


def current_tenant_id() -> int | None:
    return _current.get()


def require_tenant() -> int:
    """The current tenant, for a use case that must not run without one (TenantRequired)."""
    tenant_id = _current.get()
    if tenant_id is None:
        raise TenantRequired("this use case needs a current cooperative")
    return tenant_id


def activate(tenant_id: int | None) -> None:
    """Make `tenant_id` the current tenant of this request or job (None clears it)."""
    _current.set(tenant_id)
    session = db.session()
    if session.in_transaction():
        _set_guc(session.connection(), tenant_id)


@contextmanager
def tenant(tenant_id: int) -> Iterator[None]:
    """Run a block (a job, a CLI command, a test) as `tenant_id`, restoring the previous tenant."""
    previous = _current.get()
    activate(tenant_id)
    try:
        yield
    finally:
        activate(previous)


def _set_guc(connection: Connection, tenant_id: int | None) -> None:
    connection.exec_driver_sql(_SET_TENANT, {"tenant": "" if tenant_id is None else str(tenant_id)})


@event.listens_for(Session, "after_begin")
def _set_tenant_on_begin(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    # the setting is transaction-local, so a transaction begun without a tenant already has none
    tenant_id = _current.get()
    if tenant_id is not None:
        _set_guc(connection, tenant_id)


# One option for every query: it compares with the tenant the transaction carries (the same
# `current_tenant_id()` the RLS policies use, set together with the context variable), so it is
# built once and cached by SQLAlchemy instead of once per query.
_TENANT_CRITERIA = with_loader_criteria(
    TenantScoped, lambda cls: cls.tenant_id == func.current_tenant_id(), include_aliases=True
)


@event.listens_for(Session, "do_orm_execute")
def _scope_queries(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if not any(issubclass(m.class_, TenantScoped) for m in state.all_mappers):
        return
    if _current.get() is None:
        raise TenantRequired(f"query of tenant data without a tenant: {state.statement}")
    state.statement = state.statement.options(_TENANT_CRITERIA)


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        tenant_id = _current.get()
        if tenant_id is None:
            raise TenantRequired(f"write of {type(obj).__name__} without a tenant")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantRequired(f"write of {type(obj).__name__} for tenant {obj.tenant_id} as {tenant_id}")


def reset() -> None:
    """Forget the tenant at the end of a request or job (no database access)."""
    _current.set(None)
