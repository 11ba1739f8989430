"""JSON API of the books under `/api/v1/ledger/…`, for the token's cooperative: accounts, the
trial balance, and manual journal entries with their approval (the same maker-checker as the pages)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from core.api import bp, documented
from core.db import db
from core.errors import DomainError, NotFound
from core.permissions import requires
from core.schemas import load_json
from erp.ledger import service, shu
from erp.ledger.schemas import (
    AccountSchema,
    AsOfQuerySchema,
    DistributionOutSchema,
    ManualEntryOutSchema,
    ManualEntrySchema,
    RefusalInSchema,
    TrialBalanceRowSchema,
    YearQuerySchema,
)


def _tenant_required() -> None:
    if g.get("cooperative") is None:
        raise DomainError(_l("Token ini tidak terikat pada koperasi."))


def _number(entry_id: str) -> int:
    # Path parameters stay plain strings so the OpenAPI paths match the routes.
    if not entry_id.isdigit() or len(entry_id) > 18:
        raise NotFound(_l("Jurnal manual tidak ditemukan."))
    return int(entry_id)


@bp.get("/ledger/accounts")
@documented("The cooperative's chart of accounts", response=AccountSchema, many=True, tag="ledger")
@requires("ledger.view")
def ledger_accounts() -> Any:
    _tenant_required()
    return AccountSchema(many=True).dump([row.account for row in service.chart(date.today())])


@bp.get("/ledger/trial-balance")
@documented("Trial balance at `per` (default today)", response=TrialBalanceRowSchema, many=True, tag="ledger")
@requires("ledger.view")
def ledger_trial_balance() -> Any:
    _tenant_required()
    as_of = AsOfQuerySchema().load(request.args)["per"] or date.today()
    return TrialBalanceRowSchema(many=True).dump(service.trial_balance(as_of))


@bp.get("/ledger/manual-entries")
@documented("Manual journal entries, pending first", response=ManualEntryOutSchema, many=True, tag="ledger")
@requires("ledger.view")
def ledger_manual_entries() -> Any:
    _tenant_required()
    return ManualEntryOutSchema(many=True).dump(service.manual_entries())


@bp.post("/ledger/manual-entries")
@documented(
    "Submit a manual journal entry for approval (the same `idempotency_key` submits once)",
    body=ManualEntrySchema,
    response=ManualEntryOutSchema,
    tag="ledger",
)
@requires("ledger.enter")
def ledger_submit_manual_entry() -> Any:
    _tenant_required()
    data = load_json(ManualEntrySchema())
    entry = service.submit_manual_entry(
        entry_date=data["entry_date"],
        description=data["description"],
        lines=data["lines"],
        request_key=data["idempotency_key"],
        created_by=current_user.id,
    )
    db.session.commit()
    return ManualEntryOutSchema().dump(entry), 201


@bp.post("/ledger/manual-entries/<entry_id>/approve")
@documented(
    "Approve a manual entry; the last required approval posts it", response=ManualEntryOutSchema, tag="ledger"
)
@requires("ledger.approve")
def ledger_approve_manual_entry(entry_id: str) -> Any:
    _tenant_required()
    number = _number(entry_id)
    service.approve_manual_entry(number, approved_by=current_user.id)
    db.session.commit()
    return ManualEntryOutSchema().dump(service.manual_entry(number))


@bp.post("/ledger/manual-entries/<entry_id>/refuse")
@documented(
    "Refuse a manual entry with a reason", body=RefusalInSchema, response=ManualEntryOutSchema, tag="ledger"
)
@requires("ledger.approve")
def ledger_refuse_manual_entry(entry_id: str) -> Any:
    _tenant_required()
    number = _number(entry_id)
    data = load_json(RefusalInSchema())
    service.refuse_manual_entry(number, data["reason"], refused_by=current_user.id)
    db.session.commit()
    return ManualEntryOutSchema().dump(service.manual_entry(number))


@bp.get("/ledger/shu")
@documented(
    "A year's SHU distribution (`tahun`, default last year): pools and members' shares, previewed or posted",
    response=DistributionOutSchema,
    tag="ledger",
)
@requires("ledger.view")
def ledger_shu() -> Any:
    _tenant_required()
    year = YearQuerySchema().load(request.args)["tahun"] or date.today().year - 1
    return DistributionOutSchema().dump(shu.preview(year))
