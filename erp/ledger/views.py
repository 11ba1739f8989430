"""Pages of the books under `/k/<slug>/buku/`: chart of accounts, manual journals with their
approval, fiscal periods and the year-end close, settings, the cash book, the general ledger and the
trial balance. Each view parses with a schema, calls one service function, renders or redirects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for
from flask import flash as _flash
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError

from core.db import db
from core.errors import DomainError, Forbidden, form_messages
from core.permissions import has_permission, menu_item, requires
from core.schemas import FormSchema, load_form
from erp.ledger import reports, service, shu, statements
from erp.ledger.models import SHU_POOLS, EquityBasis, ManualEntryStatus
from erp.ledger.schemas import (
    POOL_LABELS,
    TYPE_LABELS,
    UNIT_LABELS,
    AccountCreateSchema,
    AccountUpdateSchema,
    AsOfQuerySchema,
    DistributionSchema,
    ManualEntryFormSchema,
    PeriodSchema,
    RangeQuerySchema,
    RefusalSchema,
    ReportQuerySchema,
    SettingsSchema,
    YearQuerySchema,
    YearSchema,
)

bp = Blueprint("ledger", __name__, url_prefix="/k/<tenant_slug>/buku")

menu_item("ledger.index", _l("Pembukuan"), "ledger.view", tenant=True)

STATUS_LABELS = {
    ManualEntryStatus.PENDING.value: _l("Menunggu persetujuan"),
    ManualEntryStatus.POSTED.value: _l("Diposting"),
    ManualEntryStatus.REFUSED.value: _l("Ditolak"),
}
NUM_LINES = 6


@bp.app_template_filter("ledger_date")
def ledger_date(value: date | datetime) -> str:
    """`15 Mar 2025` in the page's language."""
    return format_date(value, "d MMM y")


@bp.context_processor
def _books_context() -> dict[str, Any]:
    return {
        "url_endpoints": set(current_app.view_functions),
        "month_name": lambda year, month, pattern="MMMM y": format_date(date(year, month, 1), pattern),
    }


def _render(template: str, status: int = 200, **context: Any) -> Any:
    return render_template(
        f"ledger/{template}",
        coop=g.cooperative,
        type_labels=TYPE_LABELS,
        unit_labels=UNIT_LABELS,
        status_labels=STATUS_LABELS,
        pool_labels=POOL_LABELS,
        can=has_permission,
        **context,
    ), status


def _submit(
    permission: str, schema: Schema, action: Callable[[dict[str, Any]], Any]
) -> tuple[Any, dict[str, Any], int]:
    """Run a form's use case in one transaction: `(result, {}, 200)`, or `(None, errors, status)`
    with nothing written."""
    if not has_permission(permission):
        raise Forbidden(_l("Peran Anda tidak mengizinkan tindakan ini."))
    try:
        result = action(load_form(schema))
        db.session.commit()
        return result, {}, 200
    except ValidationError as err:
        db.session.rollback()
        return None, form_messages(err), 422
    except DomainError as err:
        db.session.rollback()
        return None, err.as_form_errors(), err.status


def _query(schema: Schema) -> dict[str, Any]:
    return schema.load({k: v for k, v in request.args.items() if v != ""})


# --- overview and chart of accounts ---------------------------------------------------------------


@bp.get("/")
@requires("ledger.view")
def index() -> Any:
    pending = service.manual_entries(ManualEntryStatus.PENDING, limit=500)
    return _render(
        "index.html", pending=len(pending), cash=service.cash_book(date.today(), date.today()).closing
    )


@bp.route("/akun", methods=["GET", "POST"])
@requires("ledger.view")
def accounts() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":

        def add(data: dict[str, Any]) -> Any:
            return service.add_account(
                data["code"],
                data["name"],
                data["type"],
                business_unit=data["business_unit"],
                parent_code=data["parent_code"],
                contra=data["contra"],
            )

        account, errors, status = _submit("ledger.accounts", AccountCreateSchema(), add)
        if account is not None:
            _flash(_("Akun %(code)s %(name)s ditambahkan.", code=account.code, name=account.name))
            return redirect(url_for("ledger.accounts"))
    return _render(
        "accounts.html", status, rows=service.chart(date.today()), errors=errors, form=request.form
    )


@bp.route("/akun/<int:account_id>", methods=["GET", "POST"])
@requires("ledger.view")
def account(account_id: int) -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "rename":
            result, errors, status = _submit(
                "ledger.accounts",
                AccountUpdateSchema(),
                lambda d: service.update_account(
                    account_id, name=d["name"], business_unit=d["business_unit"]
                ),
            )
        elif action in ("deactivate", "activate"):
            result, errors, status = _submit(
                "ledger.accounts",
                FormSchema(),
                lambda _d: service.set_account_active(account_id, action == "activate"),
            )
        elif action == "delete":
            result, errors, status = _submit(
                "ledger.accounts", FormSchema(), lambda _d: service.delete_account(account_id)
            )
            if not errors:
                _flash(_("Akun dihapus."))
                return redirect(url_for("ledger.accounts"))
        else:
            errors, status = {"_": [_("Tindakan tidak dikenal.")]}, 422
        if not errors:
            _flash(_("Akun diperbarui."))
            return redirect(url_for("ledger.account", account_id=account_id))
    found = service.account_by_id(account_id)
    args = _range()
    book = service.account_ledger(found.id, args["dari"], args["sampai"])
    return _render(
        "account.html", status, account=found, book=book, errors=errors, form=request.form, args=args
    )


# --- manual journals ------------------------------------------------------------------------------


@bp.get("/jurnal")
@requires("ledger.view")
def journals() -> Any:
    return _render("journals.html", entries=service.manual_entries())


@bp.route("/jurnal/baru", methods=["GET", "POST"])
@requires("ledger.enter")
def new_journal() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":

        def submit(data: dict[str, Any]) -> Any:
            return service.submit_manual_entry(
                entry_date=data["entry_date"],
                description=data["description"],
                lines=data["lines"],
                request_key=data["idempotency_key"],
                created_by=current_user.id,
            )

        entry, errors, status = _submit("ledger.enter", ManualEntryFormSchema(), submit)
        if entry is not None:
            _flash(_("Jurnal #%(id)s dikirim untuk disetujui.", id=entry.id))
            return redirect(url_for("ledger.journal", entry_id=entry.id))
    return _render(
        "journal_new.html",
        status,
        errors=errors,
        form=request.form,
        request_key=request.form.get("idempotency_key") or uuid.uuid4().hex,
        num_lines=NUM_LINES,
        today=date.today(),
        accounts=[row.account for row in service.chart(date.today()) if row.account.active],
    )


@bp.route("/jurnal/<int:entry_id>", methods=["GET", "POST"])
@requires("ledger.view")
def journal(entry_id: int) -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if "approve" in request.form:
            result, errors, status = _submit(
                "ledger.approve",
                FormSchema(),
                lambda _d: service.approve_manual_entry(entry_id, approved_by=current_user.id),
            )
            if result is not None:
                _flash(
                    _("Jurnal disetujui dan diposting.")
                    if result.status == ManualEntryStatus.POSTED.value
                    else _("Persetujuan dicatat; jurnal ini perlu satu persetujuan lagi.")
                )
        else:
            result, errors, status = _submit(
                "ledger.approve",
                RefusalSchema(),
                lambda d: service.refuse_manual_entry(entry_id, d["reason"], refused_by=current_user.id),
            )
            if result is not None:
                _flash(_("Jurnal ditolak."))
        if not errors:
            return redirect(url_for("ledger.journal", entry_id=entry_id))
    entry = service.manual_entry(entry_id)
    names = {row.account.code: row.account.name for row in service.chart(date.today())}
    return _render("journal.html", status, entry=entry, errors=errors, form=request.form, names=names)


# --- periods and settings -------------------------------------------------------------------------


@bp.route("/periode", methods=["GET", "POST"])
@requires("ledger.view")
def periods() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if "close_year" in request.form:
            result, errors, status = _submit(
                "ledger.close",
                YearSchema(),
                lambda d: service.close_year(d["year"], closed_by=current_user.id),
            )
            if not errors:
                _flash(_("Tahun buku ditutup; hasil usaha dipindahkan ke SHU Tahun Berjalan."))
        else:
            result, errors, status = _submit(
                "ledger.close",
                PeriodSchema(),
                lambda d: service.close_period(d["year"], d["month"], closed_by=current_user.id),
            )
            if not errors:
                _flash(_("Periode ditutup."))
        if not errors:
            return redirect(url_for("ledger.periods", tahun=request.form.get("year")))
    year = _query(YearQuerySchema())["tahun"] or date.today().year
    return _render(
        "periods.html",
        status,
        year=year,
        periods=service.periods_of(year),
        year_end=service.year_end_entry(year),
        errors=errors,
    )


@bp.route("/pengaturan", methods=["GET", "POST"])
@requires("ledger.view")
def settings() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":

        def save(data: dict[str, Any]) -> Any:
            return service.update_settings(
                approval_threshold=data["approval_threshold"],
                shares={name: data[f"shu_{name}"] for name, _ in SHU_POOLS},
                equity_basis=data["equity_basis"],
            )

        result, errors, status = _submit("ledger.settings", SettingsSchema(), save)
        if result is not None:
            _flash(_("Pengaturan disimpan."))
            return redirect(url_for("ledger.settings"))
    current = service.settings()
    return _render(
        "settings.html",
        status,
        current=current,
        shares=service.shu_shares(current),
        bases=list(EquityBasis),
        errors=errors,
        form=request.form,
    )


# --- books ----------------------------------------------------------------------------------------


def _range() -> dict[str, Any]:
    args = _query(RangeQuerySchema())
    today = date.today()
    args["sampai"] = args["sampai"] or today
    args["dari"] = args["dari"] or args["sampai"].replace(day=1)
    return args


@bp.get("/kas")
@requires("ledger.view")
def cash_book() -> Any:
    args = _range()
    book = service.cash_book(args["dari"], args["sampai"], args["akun"])
    return _render("cash_book.html", book=book, args=args, accounts=service.cash_accounts())


@bp.get("/neraca-saldo")
@requires("ledger.view")
def trial_balance() -> Any:
    as_of = _query(AsOfQuerySchema())["per"] or date.today()
    rows = service.trial_balance(as_of)
    return _render(
        "trial_balance.html",
        rows=rows,
        as_of=as_of,
        total_debit=sum(r.debit for r in rows),
        total_credit=sum(r.credit for r in rows),
    )


# --- statements -----------------------------------------------------------------------------------

PDF, XLSX = "application/pdf", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_args() -> tuple[dict[str, Any], statements.Span]:
    args = _query(ReportQuerySchema())
    today = date.today()
    args["tahun"] = args["tahun"] or today.year
    args["bulan"] = args["bulan"] or (today.month if args["tahun"] == today.year else 12)
    return args, statements.Span.of(args["tahun"], args["bulan"])


def _download(content: bytes, mimetype: str, name: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/laporan")
@requires("ledger.view")
def reports_index() -> Any:
    args, span = _report_args()
    return _render("reports.html", args=args, kinds=statements.TITLES, units=unit_results_labels(span))


def unit_results_labels(span: statements.Span) -> list[tuple[Any, int, int, int]]:
    return [
        (UNIT_LABELS.get(unit or "", _l("Tanpa unit")), income, costs, result)
        for unit, income, costs, result in statements.unit_results(span)
    ]


@bp.get("/laporan/<jenis>")
@requires("ledger.view")
def report(jenis: str) -> Any:
    try:
        kind = statements.Kind(jenis)
    except ValueError:
        abort(404)
    args, span = _report_args()
    statement = statements.build(kind, span, args["unit"])
    unit = f"-{args['unit'].value}" if args["unit"] else ""
    name = f"{kind.value}{unit}-{g.cooperative.slug}-{args['tahun']}-{args['bulan']:02d}"
    if args["format"] == "pdf":
        return _download(reports.statement_pdf(statement, g.cooperative.name), PDF, f"{name}.pdf")
    if args["format"] == "xlsx":
        return _download(reports.statement_xlsx(statement, g.cooperative.name), XLSX, f"{name}.xlsx")
    return _render("statement.html", statement=statement, args=args, kind=kind, amount=reports.amount_text)


# --- SHU distribution -----------------------------------------------------------------------------

MAX_MEMBERS_SHOWN = 500


@bp.route("/shu", methods=["GET", "POST"])
@requires("ledger.view")
def shu_page() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        result, errors, status = _submit(
            "ledger.close",
            DistributionSchema(),
            lambda d: shu.distribute(d["year"], on=d["on"], posted_by=current_user.id),
        )
        if result is not None:
            _flash(_("SHU tahun %(year)s dibagikan dan diposting.", year=result.year))
            return redirect(url_for("ledger.shu_page", tahun=result.year))
    return _shu_view(errors, status)


def _shu_view(errors: dict[str, Any], status: int) -> Any:
    year = _query(YearQuerySchema())["tahun"] or date.today().year - 1
    distribution = shu.preview(year)
    return _render(
        "shu.html",
        status,
        d=distribution,
        shown=distribution.members[:MAX_MEMBERS_SHOWN],
        sources_ready=shu.sources.ready(),
        errors=errors,
        form=request.form,
        today=date.today(),
    )


@bp.post("/shu/kreditkan")
@requires("ledger.close")
def shu_pay_out() -> Any:
    """Credit the posted members' shares of a year to their simpanan sukarela."""
    from erp.savings import service as savings

    result, errors, status = _submit(
        "ledger.close",
        DistributionSchema(),
        lambda d: (d["year"], savings.pay_shu_into_savings(d["year"], on=d["on"])),
    )
    if result is None:
        return _shu_view(errors, status)
    year, credited = result
    _flash(_("SHU tahun %(year)s dikreditkan ke simpanan %(n)s anggota.", year=year, n=credited))
    return redirect(url_for("ledger.shu_page", tahun=year))


# --- RAT pack -------------------------------------------------------------------------------------


@bp.get("/rat")
@requires("ledger.view")
def rat() -> Any:
    """The annual members' meeting pack of a closed year, as one printable PDF."""
    year = _query(YearQuerySchema())["tahun"] or date.today().year - 1
    content = reports.rat_pack(year, g.cooperative.name)
    return _download(content, PDF, f"rat-{g.cooperative.slug}-{year}.pdf")
