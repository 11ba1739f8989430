"""Jobs through a transactional outbox.

A service calls `enqueue()` inside its transaction: an outbox row is written with the job's name,
arguments and tenant. Only after that transaction commits is the job pushed to RQ; a rolled-back
transaction leaves nothing to run. If Redis is down the row waits, and `sweep_outbox` (scheduled,
and run at worker start) pushes it when Redis is back. `run_outbox_message` runs the job under its
tenant, in one transaction with marking the row done, so a job's effect is applied exactly once.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from core.db import db
from core.models import OutboxMessage, ScheduledRun
from tenants.context import tenant

QUEUE = "kopdes"
MAX_ATTEMPTS = 5
REDISPATCH_AFTER = "5 minutes"
SWEEP_BATCH = 500
JOB_MODULES = ("core.", "tenants.", "erp.", "marketplace.")


def enqueue(job: str, *, tenant_id: int | None, **args: Any) -> OutboxMessage:
    """Ask for `job(**args)` to run after the current transaction commits, as `tenant_id`."""
    if not job.startswith(JOB_MODULES):
        raise ValueError(f"unknown job module: {job}")
    message = OutboxMessage(job=job, args=args, tenant_id=tenant_id)
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault("kopdes_outbox", []).append(message.id)
    return message


@event.listens_for(Session, "after_commit")
def _push_after_commit(session: Session) -> None:
    ids = session.info.pop("kopdes_outbox", [])
    if ids and has_app_context():
        push(ids)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("kopdes_outbox", None)


def queue() -> Queue:
    return Queue(QUEUE, connection=current_app.extensions["kopdes_redis"])


def push(ids: list[int]) -> int:
    """Put outbox messages on the queue and mark them dispatched; on a Redis failure they wait."""
    try:
        q = queue()
        with q.connection.pipeline() as pipe:
            for message_id in ids:
                q.enqueue(run_outbox_message, message_id, job_id=f"outbox-{message_id}", pipeline=pipe)
            pipe.execute()
    except redis.RedisError:
        current_app.logger.warning("Redis unavailable: %d outbox message(s) wait for the sweep", len(ids))
        return 0
    with db.engine.begin() as conn:
        conn.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(dispatched_at=datetime.now(UTC))
        )
    return len(ids)


def sweep_outbox() -> int:
    """Push every message not yet done that was never dispatched or was lost on the way."""
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.done_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                (OutboxMessage.dispatched_at.is_(None))
                | (OutboxMessage.dispatched_at < text(f"now() - interval '{REDISPATCH_AFTER}'")),
            )
            .order_by(OutboxMessage.id)
            .limit(SWEEP_BATCH)
        )
    )
    db.session.commit()
    return push(ids) if ids else 0


def _resolve(job: str) -> Callable[..., Any]:
    module_name, _, attr = job.rpartition(".")
    if not module_name.startswith(JOB_MODULES):
        raise ValueError(f"unknown job module: {job}")
    return getattr(importlib.import_module(module_name), attr)


_worker_app: Flask | None = None


@contextmanager
def _app_context() -> Iterator[None]:
    global _worker_app
    if has_app_context():
        yield
        return
    if _worker_app is None:
        from core.app import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        yield


def run_outbox_message(message_id: int) -> str:
    """RQ entry point: run one outbox message once, under its tenant."""
    with _app_context():
        session = db.session
        # Wait for the row rather than skip it: the worker may take the job before `push` has
        # committed its mark on the row, and a skipped message would wait for the sweep (minutes);
        # a second copy of the job waits here for the first, then finds it done.
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update()
        )
        if message is None or message.done_at is not None:
            session.rollback()
            return "skipped"
        job, args, tenant_id = message.job, dict(message.args), message.tenant_id
        try:
            func = _resolve(job)
            if tenant_id is None:
                func(**args)
            else:
                with tenant(tenant_id):
                    func(**args)
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == message_id).values(done_at=datetime.now(UTC))
            )
            session.commit()
        except Exception as err:
            session.rollback()
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(attempts=OutboxMessage.attempts + 1, last_error=repr(err)[:2000])
            )
            session.commit()
            raise
        return "done"


def run_scheduled(name: str, job: str) -> str:
    """RQ entry point for periodic work: run `job()` and record the run, whatever its outcome."""
    with _app_context():
        run = ScheduledRun(name=name, status="running")
        db.session.add(run)
        db.session.commit()
        try:
            result = _resolve(job)()
        except Exception as err:
            db.session.rollback()
            run.status, run.detail = "failed", repr(err)[:2000]
            run.finished_at = datetime.now(UTC)
            db.session.add(run)
            db.session.commit()
            raise
        run.status, run.detail, run.finished_at = (
            "ok",
            None if result is None else str(result),
            datetime.now(UTC),
        )
        db.session.add(run)
        db.session.commit()
        return run.status
