"""Loan report pages on the loans blueprint: the reports (portfolio by product, aging, today's
collection list, a member's loan card), each as a page, CSV and XLSX; and close of business, its
runs and a button that queues a run."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates

from core.db import db
from core.errors import form_messages
from core.jobs import enqueue
from core.permissions import has_permission, menu_item, requires
from core.schemas import FormSchema, load_form
from erp.loans import cob
from erp.loans import reports as tables_of
from erp.loans.views import STATUS_LABELS, bp
from erp.membership import service as membership
from tenants.context import require_tenant

menu_item("loans.reports", _l("Laporan pinjaman"), "loans.view", tenant=True)

KINDS = {
    "portofolio": _l("Portofolio per produk"),
    "umur": _l("Umur tunggakan"),
    "tagihan": _l("Daftar tagihan hari ini"),
}
FORMATS = ("html", "csv", "xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COB_STATUS = {
    "running": _l("Berjalan"),
    "ok": _l("Selesai"),
    "incomplete": _l("Belum lengkap"),
    "failed": _l("Gagal"),
}


class ReportQuerySchema(FormSchema):
    """`?per=2026-03-31&format=xlsx`: the day a report is as of (today by default) and its form."""

    per = fields.Date(load_default=None, error_messages={"invalid": _l("Tanggal tidak sah.")})
    format = fields.String(
        load_default="html", validate=validate.OneOf(FORMATS, error=_l("Format tidak dikenal."))
    )

    @validates("per")
    def _not_future(self, value: date | None, **_kwargs: Any) -> None:
        if value is not None and not date(2000, 1, 1) <= value <= date.today() + timedelta(days=366):
            raise ValidationError(_l("Tanggal di luar jangkauan."))


class CardQuerySchema(ReportQuerySchema):
    anggota = fields.Integer(
        load_default=None, strict=False, validate=validate.Range(min=1, error=_l("Anggota tidak sah."))
    )


class CobRunSchema(FormSchema):
    """Closing the books through a day: yesterday by default, never after today."""

    business_date = fields.Date(
        load_default=None,
        error_messages={"invalid": _l("Tanggal tidak sah.")},
    )

    @validates("business_date")
    def _not_future(self, value: date | None, **_kwargs: Any) -> None:
        if value is not None and value > date.today():
            raise ValidationError(_l("Tanggal tutup buku tidak boleh setelah hari ini."))


def _flat(err: ValidationError) -> dict[str, Any]:
    messages = form_messages(err)
    return {"_": [m for msgs in messages.values() for m in (msgs if isinstance(msgs, list) else [msgs])]}


def _query(schema: Schema) -> dict[str, Any]:
    return schema.load({k: v for k, v in request.args.items() if v != ""})


@bp.get("/k/<tenant_slug>/pinjaman/laporan/")
@requires("loans.view")
def reports() -> Any:
    return _index()


def _index(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    require_tenant()
    return render_template(
        "loans/reports.html",
        kinds=KINDS,
        last_closed=cob.last_closed(),
        members=membership.active_members(),
        today=date.today(),
        errors=errors or {},
    ), status


@bp.get("/k/<tenant_slug>/pinjaman/laporan/<jenis>")
@requires("loans.view")
def report(jenis: str) -> Any:
    if jenis not in KINDS:
        abort(404)
    try:
        args = _query(ReportQuerySchema())
    except ValidationError as err:
        return _index(_flat(err), 422)
    day = args["per"] or date.today()
    if jenis == "portofolio":
        table = tables_of.portfolio_by_product(day)
    elif jenis == "umur":
        table = tables_of.aging(day)
    else:
        table = tables_of.collection_list(day, show_phone=has_permission("member.personal"))
    name = f"pinjaman-{jenis}-{g.cooperative.slug}-{day.isoformat()}"
    return _respond([table], args["format"], name, KINDS[jenis], day, jenis=jenis)


@bp.get("/k/<tenant_slug>/pinjaman/laporan/kartu")
@requires("loans.view")
def member_card() -> Any:
    try:
        args = _query(CardQuerySchema())
    except ValidationError as err:
        return _index(_flat(err), 422)
    if args["anggota"] is None:
        return redirect(url_for("loans.reports"))
    member, tables = tables_of.member_card(args["anggota"], STATUS_LABELS)
    name = f"kartu-pinjaman-{g.cooperative.slug}-{member.member_number or member.id}"
    title = _("Kartu pinjaman %(name)s", name=member.name)
    return _respond(tables, args["format"], name, title, date.today(), member=member)


def _respond(
    tables: list[tables_of.Table], fmt: str, name: str, title: Any, day: date, **context: Any
) -> Any:
    heading = f"{g.cooperative.name} — {title} — {day.isoformat()}"
    if fmt == "csv":
        return _download(tables_of.to_csv(tables), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "xlsx":
        return _download(tables_of.to_xlsx(tables, heading), XLSX, f"{name}.xlsx")
    return render_template(
        "loans/report.html",
        tables=tables,
        title=title,
        day=day,
        money=(tables_of.MONEY, tables_of.COUNT, tables_of.PERCENT),
        pct=lambda value: format_decimal(value, format="#,##0.00"),
        **context,
    )


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- close of business ---------------------------------------------------------------------------


@bp.route("/k/<tenant_slug>/pinjaman/tutup-buku", methods=["GET", "POST"])
@requires("loans.cob")
def close_of_business() -> Any:
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if not has_permission("loans.cob_run"):
            abort(403)
        try:
            data = load_form(CobRunSchema())
            through = data["business_date"] or date.today() - timedelta(days=1)
            enqueue(
                "erp.loans.jobs.close_business",
                tenant_id=require_tenant(),
                cooperative_id=require_tenant(),
                through=through.isoformat(),
            )
            db.session.commit()
            flash(
                _(
                    "Tutup buku sampai %(day)s dijadwalkan; muat ulang halaman ini sebentar lagi.",
                    day=through.isoformat(),
                )
            )
            return redirect(url_for("loans.close_of_business"))
        except ValidationError as err:
            errors, status = form_messages(err), 422
    return render_template(
        "loans/cob.html",
        runs=cob.runs(),
        last_closed=cob.last_closed(),
        labels=COB_STATUS,
        errors=errors,
        form=request.form,
        yesterday=date.today() - timedelta(days=1),
        can_run=has_permission("loans.cob_run"),
    ), status
