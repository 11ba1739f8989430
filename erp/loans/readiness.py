"""Kesiapan pembiayaan: what a Himbara bank asks of a cooperative before a PMK 49/2025 loan, in
one PDF and one XLSX — legal data, officers, formation evidence, members, twelve months of activity
from the books, financial statements, loan portfolio quality, business-unit results, the bank loans
already running — and a checklist of each requirement, present or missing with what to do.

Reads every other module through its service functions only; writes nothing.
"""

from __future__ import annotations

import calendar
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from core.money import InvariantViolation
from erp.ledger import reports, statements
from erp.ledger import service as ledger
from erp.ledger.schemas import UNIT_LABELS
from erp.loans import bank, service
from erp.membership import service as membership
from tenants import formation, regions
from tenants import service as tenants
from tenants.context import require_tenant
from tenants.models import Cooperative

# UU 25/1992 Pasal 6: a primary cooperative is founded by at least 20 people.
MIN_MEMBERS = 20
# DOMAIN.md §4: NPL up to 5 % is sehat.
HEALTHY_NPL = Decimal(5)
FORMATION_EVIDENCE = ("musdesus", "rapat_pembentukan", "akta_notaris", "pengesahan_badan_hukum")
MONTHS = 12


class Status:
    ADA = "ada"
    KURANG = "kurang"
    LUAR = "luar_sistem"  # a document the bank wants that the system does not keep


@dataclass(frozen=True)
class CheckItem:
    label: str
    status: str
    detail: str
    todo: str


@dataclass(frozen=True)
class Month:
    start: date
    end: date
    transactions: int
    more: bool
    cash_in: int
    cash_out: int
    closing: int

    @property
    def label(self) -> str:
        return format_date(self.start, "MMM y")


@dataclass
class Pack:
    as_of: date
    coop: Cooperative
    place: str
    legal: Any
    officers: list[Any]
    stages: list[Any]
    members: dict[str, int]
    months: list[Month]
    span: statements.Span
    quality: service.PortfolioQuality
    units: list[tuple[str | None, int, int, int]]
    bank_loans: list[Any]
    business_units: dict[str, Any]
    checklist: list[CheckItem] = field(default_factory=list)

    @property
    def active_members(self) -> int:
        return self.members.get("active", 0)

    @property
    def missing(self) -> int:
        return sum(1 for item in self.checklist if item.status != Status.ADA)


def build(coop: Cooperative, as_of: date | None = None) -> Pack:
    """The pack of `coop` (the current tenant) as of `as_of` (today): the twelve whole months
    before the month of `as_of`, and balances at their end."""
    if require_tenant() != coop.id:
        raise InvariantViolation("a pack is built for the current cooperative only")
    as_of = as_of or date.today()
    path = regions.path_of(coop.village_code)
    first = _add_months(date(as_of.year, as_of.month, 1), -MONTHS)
    months = [_month(_add_months(first, i)) for i in range(MONTHS)]
    span = statements.Span(months[0].start, months[-1].end)
    pack = Pack(
        as_of=as_of,
        coop=coop,
        place=path.label if path else coop.village_code,
        legal=tenants.legal_data(),
        officers=tenants.officers(),
        stages=formation.overview(),
        members=membership.counts_by_status(),
        months=months,
        span=span,
        quality=service.portfolio_quality(as_of),
        units=statements.unit_results(span),
        bank_loans=bank.bank_loans(),
        business_units=tenants.business_units(),
    )
    pack.checklist = _checklist(pack)
    return pack


def _month(start: date) -> Month:
    end = date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])
    book = ledger.cash_book(start, end)
    return Month(
        start, end, len(book.rows), book.truncated, book.total_debit, book.total_credit, book.closing
    )


def _checklist(pack: Pack) -> list[CheckItem]:
    legal = pack.legal
    items: list[CheckItem] = []

    def add(ok: bool, label: str, detail: str, todo: str) -> None:
        items.append(CheckItem(label, Status.ADA if ok else Status.KURANG, detail, "" if ok else todo))

    profile = _("Isi di Profil koperasi › Data legal.")
    add(
        bool(legal and legal.ahu_number),
        _("Badan hukum (SK AHU)"),
        legal.ahu_number if legal and legal.ahu_number else _("belum dicatat"),
        profile,
    )
    add(
        bool(legal and legal.nib),
        _("NIB atas nama koperasi"),
        (legal and legal.nib) or _("belum dicatat"),
        profile,
    )
    add(
        bool(legal and legal.npwp),
        _("NPWP atas nama koperasi"),
        (legal and legal.npwp) or _("belum dicatat"),
        profile,
    )
    add(
        bool(legal and legal.bank_account and legal.bank_name),
        _("Rekening bank atas nama koperasi"),
        f"{legal.bank_name} {legal.bank_account}" if legal and legal.bank_account else _("belum dicatat"),
        profile,
    )
    seats = {o.position for o in pack.officers}
    board = [p for p in ("ketua", "sekretaris", "bendahara") if p not in seats]
    add(
        not board,
        _("Pengurus lengkap (ketua, sekretaris, bendahara)"),
        _("lengkap") if not board else _("belum ada: %(seats)s", seats=", ".join(board)),
        _("Catat pengurus di Profil koperasi › Pengurus dan pengawas."),
    )
    add(
        "pengawas" in seats,
        _("Pengawas"),
        _("%(n)s orang", n=sum(1 for o in pack.officers if o.position == "pengawas")),
        _("Catat pengawas hasil rapat anggota."),
    )
    for stage in pack.stages:
        if stage.stage not in FORMATION_EVIDENCE:
            continue
        verified = stage.status == "terverifikasi"
        add(
            verified,
            _("Bukti pembentukan: %(stage)s", stage=stage.label),
            str(formation.STATUS_LABELS.get(stage.status, stage.status)),
            "; ".join(stage.missing) or _("Ajukan untuk diverifikasi satgas."),
        )
    add(
        pack.active_members >= MIN_MEMBERS,
        _("Anggota aktif (paling sedikit %(n)s)", n=MIN_MEMBERS),
        str(pack.active_members),
        _("Terima dan setujui pendaftaran anggota."),
    )
    running = [u for u, unit in pack.business_units.items() if getattr(unit, "status", None) == "beroperasi"]
    add(
        bool(running),
        _("Unit usaha beroperasi"),
        ", ".join(running) if running else _("belum ada"),
        _("Catat unit usaha yang sudah berjalan di Profil koperasi."),
    )
    active_months = sum(1 for m in pack.months if m.transactions)
    add(
        active_months == MONTHS,
        _("Pembukuan 12 bulan"),
        _("%(n)s dari 12 bulan ada transaksi kas/bank", n=active_months),
        _("Catat semua transaksi kas dan bank setiap bulan di Buku besar."),
    )
    q = pack.quality
    add(
        q.outstanding == 0 or q.npl_ratio <= HEALTHY_NPL,
        _("Kualitas pinjaman anggota (NPL paling tinggi 5%)"),
        _("tidak ada pinjaman berjalan") if q.outstanding == 0 else f"NPL {_percent(q.npl_ratio)}%",
        _("Tagih tunggakan (daftar kunjungan) atau restrukturisasi pinjaman yang bermasalah."),
    )
    for label, todo in (
        (
            _("Proposal usaha (capex/opex, tahap pencairan, rencana pengembalian)"),
            _("Susun bersama pengurus; lampirkan pada pengajuan ke bank."),
        ),
        (
            _("Persetujuan kepala desa berdasarkan musyawarah desa"),
            _("Minta surat persetujuan kepala desa (bupati/wali kota untuk kelurahan)."),
        ),
    ):
        items.append(CheckItem(label, Status.LUAR, _("dokumen di luar sistem"), todo))
    return items


STATUS_TEXT = {Status.ADA: "✓", Status.KURANG: "✗", Status.LUAR: "…"}


def _status_label(status: str) -> str:
    return {Status.ADA: _("Ada"), Status.KURANG: _("Kurang"), Status.LUAR: _("Siapkan")}[status]


def _tables(pack: Pack) -> list[tuple[str, list[str], list[Sequence[Any]], str | None]]:
    """Every part of the pack as (title, headers, rows, note): the PDF and the XLSX render these."""
    legal = pack.legal
    coop = pack.coop
    parts: list[tuple[str, list[str], list[Sequence[Any]], str | None]] = []
    parts.append(
        (
            _("Daftar periksa persyaratan"),
            [_("Persyaratan"), _("Status"), _("Keterangan"), _("Yang perlu dilakukan")],
            [(i.label, _status_label(i.status), i.detail, i.todo) for i in pack.checklist],
            _(
                "%(n)s dari %(total)s butir masih perlu dilengkapi.",
                n=pack.missing,
                total=len(pack.checklist),
            ),
        )
    )
    parts.append(
        (
            _("Data legal dan alamat"),
            [_("Keterangan"), _("Isi")],
            [
                (_("Nama koperasi"), coop.name),
                (_("Desa/kelurahan"), pack.place),
                (_("Kode wilayah"), coop.village_code),
                (_("Alamat"), coop.address or "–"),
                (_("Telepon"), coop.phone or "–"),
                (_("Tanggal berdiri"), format_date(coop.founded_on) if coop.founded_on else "–"),
                (_("SK badan hukum (AHU)"), (legal and legal.ahu_number) or "–"),
                (
                    _("Tanggal SK"),
                    format_date(legal.ahu_date) if legal and legal.ahu_date else "–",
                ),
                (_("NIB"), (legal and legal.nib) or "–"),
                (_("NPWP"), (legal and legal.npwp) or "–"),
                (_("Rekening bank"), _account_text(legal)),
            ],
            None,
        )
    )
    parts.append(
        (
            _("Pengurus dan pengawas"),
            [_("Jabatan"), _("Nama"), _("NIK")],
            [(o.position.capitalize(), o.name, tenants.mask_nik(o.nik)) for o in pack.officers]
            or [(_("Belum dicatat."), "", "")],
            _("NIK ditampilkan tersamar (UU PDP)."),
        )
    )
    parts.append(
        (
            _("Status pembentukan"),
            [_("Tahap"), _("Status"), _("Tanggal"), _("Bukti")],
            [
                (
                    s.label,
                    str(formation.STATUS_LABELS.get(s.status, s.status)),
                    format_date(s.record.held_on) if s.record is not None and s.record.held_on else "–",
                    _("%(n)s berkas", n=len(s.evidence)),
                )
                for s in pack.stages
            ],
            None,
        )
    )
    parts.append(
        (
            _("Anggota"),
            [_("Status"), _("Jumlah")],
            [
                (str(membership.status_label(k)).capitalize(), _count(v))
                for k, v in sorted(pack.members.items())
            ]
            or [(_("Belum ada anggota."), "")],
            None,
        )
    )
    parts.append(
        (
            _("Aktivitas 12 bulan (kas dan bank)"),
            [_("Bulan"), _("Transaksi"), _("Masuk"), _("Keluar"), _("Saldo akhir")],
            [
                (
                    m.label,
                    f"{_count(m.transactions)}{'+' if m.more else ''}",
                    m.cash_in,
                    m.cash_out,
                    m.closing,
                )
                for m in pack.months
            ],
            _("Dari buku kas dan bank: baris jurnal akun kas/bank per bulan."),
        )
    )
    q = pack.quality
    parts.append(
        (
            _("Kualitas pinjaman anggota per %(day)s", day=format_date(q.as_of)),
            [_("Ukuran"), _("Rupiah"), "%"],
            [
                (_("Pinjaman beredar"), q.outstanding, ""),
                *[(f"PAR {d}", q.at_risk[d], _percent(q.par(d))) for d in service.PAR_DAYS],
                (_("NPL (kurang lancar, diragukan, macet)"), q.npl, _percent(q.npl_ratio)),
                *[(str(_class_label(c)), q.by_class[c], "") for c in service.KOLEKTIBILITAS],
            ],
            None,
        )
    )
    parts.append(
        (
            _("Kinerja unit usaha %(span)s", span=pack.span.label()),
            [_("Unit usaha"), _("Pendapatan"), _("Biaya"), _("Hasil")],
            [(str(UNIT_LABELS.get(u or "", _("Tanpa unit"))), i, c, r) for u, i, c, r in pack.units]
            or [(_("Belum ada pendapatan atau beban."), 0, 0, 0)],
            None,
        )
    )
    parts.append(
        (
            _("Pinjaman bank berjalan"),
            [_("Bank"), _("Perjanjian"), _("Plafon"), _("Sisa pokok"), _("Status")],
            [(b.bank, b.contract_number, b.amount, b.outstanding_pokok, b.status) for b in pack.bank_loans]
            or [(_("Belum ada pinjaman bank."), "", 0, 0, "")],
            None,
        )
    )
    return parts


def _statements(pack: Pack) -> list[statements.Statement]:
    return [
        statements.build(statements.Kind.POSISI_KEUANGAN, pack.span),
        statements.build(statements.Kind.HASIL_USAHA, pack.span),
    ]


# Column shares of the page width per part, in the order of `_tables` (text wraps within them).
_WIDTHS: tuple[tuple[float, ...], ...] = (
    (0.3, 0.1, 0.25, 0.35),
    (0.35, 0.65),
    (0.25, 0.5, 0.25),
    (0.4, 0.25, 0.15, 0.2),
    (0.6, 0.4),
    (0.25, 0.15, 0.2, 0.2, 0.2),
    (0.6, 0.25, 0.15),
    (0.4, 0.2, 0.2, 0.2),
    (0.15, 0.3, 0.2, 0.2, 0.15),
)


def _flowables(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Any]],
    width: float,
    shares: Sequence[float],
    note: str | None,
) -> list[Flowable]:
    """A titled table whose text wraps in its column; amounts right-aligned in the locale's digits."""
    base = getSampleStyleSheet()
    cell = ParagraphStyle("cell", parent=base["Normal"], fontSize=8.4, leading=10.2)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    right = ParagraphStyle("right", parent=cell, alignment=TA_RIGHT)
    story: list[Flowable] = [
        Paragraph(_escape(title), ParagraphStyle("h2", parent=base["Heading2"], fontSize=12))
    ]
    if note:
        story.append(
            Paragraph(
                _escape(note), ParagraphStyle("note", parent=cell, textColor=colors.HexColor("#5f5955"))
            )
        )
        story.append(Spacer(1, 2 * mm))
    numeric = {j for j in range(len(headers)) if rows and all(isinstance(r[j], int) for r in rows)}
    head_right = ParagraphStyle("head_right", parent=head, alignment=TA_RIGHT)
    data: list[list[Any]] = [
        [Paragraph(_escape(h), head_right if j in numeric else head) for j, h in enumerate(headers)]
    ]
    for row in rows:
        data.append(
            [
                Paragraph(reports.amount_text(c), right)
                if isinstance(c, int) and not isinstance(c, bool)
                else Paragraph(_escape(c), cell)
                for c in row
            ]
        )
    table = Table(data, colWidths=[width * share for share in shares], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d9d2ce")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story.append(table)
    return story


def _escape(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def pdf(pack: Pack) -> bytes:
    width = A4[0] - 36 * mm
    tables = _tables(pack)
    first: list[Flowable] = []
    for (title, headers, rows, note), shares in zip(tables[:2], _WIDTHS[:2], strict=True):
        first += _flowables(title, headers, rows, width, shares, note)
    rest: list[Flowable] = []
    for (title, headers, rows, note), shares in zip(tables[2:], _WIDTHS[2:], strict=True):
        rest += _flowables(title, headers, rows, width, shares, note)
    parts: list[statements.Statement | list[Flowable]] = [first, rest, *_statements(pack)]
    cover = [
        pack.place,
        _("Per %(day)s · aktivitas %(span)s", day=format_date(pack.as_of), span=pack.span.label()),
        _(
            "%(n)s dari %(total)s persyaratan masih perlu dilengkapi.",
            n=pack.missing,
            total=len(pack.checklist),
        ),
    ]
    return reports.pack_pdf(_("Kesiapan pembiayaan"), pack.coop.name, parts, cover)


def xlsx(pack: Pack) -> bytes:
    book = Workbook()
    sheet = book.active
    if sheet is None:
        sheet = book.create_sheet()
    bold = Font(bold=True)
    shade = PatternFill("solid", fgColor="F6F1EE")
    first = True
    for title, headers, rows, note in _tables(pack):
        if not first:
            sheet = book.create_sheet()
        first = False
        sheet.title = _sheet_title(title)
        sheet["A1"] = pack.coop.name
        sheet["A1"].font = Font(bold=True, color="B3261E")
        sheet["A2"] = title
        sheet["A2"].font = Font(bold=True, size=13)
        if note:
            sheet["A3"] = note
        for j, header in enumerate(headers, start=1):
            cell = sheet.cell(5, j, str(header))
            cell.font = bold
            cell.fill = shade
        for i, row in enumerate(rows, start=6):
            for j, value in enumerate(row, start=1):
                cell = sheet.cell(
                    i, j, value if isinstance(value, int) and not isinstance(value, bool) else str(value)
                )
                if isinstance(value, int) and not isinstance(value, bool):
                    cell.number_format = "#,##0;(#,##0)"
                else:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.column_dimensions["A"].width = 46
        for letter in "BCDE":
            sheet.column_dimensions[letter].width = 24
        sheet.freeze_panes = "A6"
    for statement in _statements(pack):
        sheet = book.create_sheet(_sheet_title(str(statement.title)))
        sheet["A1"] = pack.coop.name
        sheet["A2"] = str(statement.title)
        sheet["A2"].font = Font(bold=True, size=13)
        sheet["A3"] = str(statement.period)
        for j, column in enumerate(statement.columns, start=2):
            sheet.cell(5, j, str(column)).font = bold
        for i, line in enumerate(statement.rows, start=6):
            label = sheet.cell(i, 1, str(line.label))
            if line.kind != "item":
                label.font = bold
            for j, value in enumerate(line.values, start=2):
                if value is not None:
                    sheet.cell(i, j, value).number_format = "#,##0;(#,##0)"
        sheet.column_dimensions["A"].width = 52
        sheet.column_dimensions["B"].width = 20
        sheet.column_dimensions["C"].width = 20
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _account_text(legal: Any) -> str:
    if not legal or not legal.bank_account:
        return "–"
    holder = f" a.n. {legal.bank_account_name}" if legal.bank_account_name else ""
    return f"{legal.bank_name or ''} {legal.bank_account}{holder}".strip()


def _sheet_title(title: str) -> str:
    for bad in "[]:*?/\\":
        title = title.replace(bad, " ")
    return title[:31]


def _percent(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.00")


def _count(n: int) -> str:
    return reports.amount_text(n) if n else "0"


def _class_label(name: str) -> Any:
    from erp.loans.views import KOLEKTIBILITAS_LABELS

    return KOLEKTIBILITAS_LABELS[name]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)
