"""Statements on paper and in spreadsheets: PDF (reportlab) and XLSX (openpyxl) from the same
`Statement` rows the pages show, and the RAT pack that binds them with the SHU distribution.
Amounts are whole rupiah in the locale's digits, negatives in brackets as accountants write them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from babel.numbers import format_decimal
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from erp.ledger.statements import Statement

if TYPE_CHECKING:
    from erp.ledger.shu import PortfolioLike

RED = colors.HexColor("#b3261e")
LINE = colors.HexColor("#d9d2ce")
SHADE = colors.HexColor("#f6f1ee")


def amount_text(value: int | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "–"
    digits = format_decimal(abs(value), format="#,##0", locale=str(get_locale() or "id"))
    return f"({digits})" if value < 0 else digits


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontSize=15, leading=19, spaceAfter=2, alignment=0
        ),
        "coop": ParagraphStyle("coop", parent=base["Normal"], fontSize=9.5, textColor=RED, spaceAfter=1),
        "sub": ParagraphStyle("sub", parent=base["Normal"], fontSize=9, textColor=colors.HexColor("#5f5955")),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=8.6, leading=10.5),
        "bold": ParagraphStyle(
            "bold", parent=base["Normal"], fontSize=8.6, leading=10.5, fontName="Helvetica-Bold"
        ),
        "head": ParagraphStyle(
            "head",
            parent=base["Normal"],
            fontSize=8,
            leading=10,
            fontName="Helvetica-Bold",
            alignment=TA_RIGHT,
        ),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "note": ParagraphStyle(
            "note", parent=base["Normal"], fontSize=8, textColor=colors.HexColor("#5f5955")
        ),
    }


def _escape(text: Any) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def statement_flowables(statement: Statement, coop_name: str, width: float) -> list[Flowable]:
    """A statement as a heading and one table that repeats its header on each page."""
    st = _styles()
    story: list[Flowable] = [
        Paragraph(_escape(coop_name), st["coop"]),
        Paragraph(_escape(statement.title), st["title"]),
        Paragraph(_escape(_period_text(statement)), st["sub"]),
        Spacer(1, 4 * mm),
    ]
    n = len(statement.columns)
    value_width = 30 * mm if n <= 2 else 25 * mm
    label_width = width - n * value_width
    data: list[list[Any]] = [
        [Paragraph("", st["cell"])] + [Paragraph(_escape(c), st["head"]) for c in statement.columns]
    ]
    style: list[tuple[Any, ...]] = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTSIZE", (0, 0), (-1, -1), 8.6),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
    ]
    for i, row in enumerate(statement.rows, start=1):
        bold = row.kind in ("section", "total", "grand")
        indent = "" if row.kind in ("section", "grand") else "&nbsp;&nbsp;&nbsp;"
        label = f"{indent}{_escape(row.label)}"
        data.append(
            [Paragraph(label, st["bold"] if bold else st["cell"])] + [amount_text(v) for v in row.values]
        )
        if bold:
            style.append(("FONTNAME", (1, i), (-1, i), "Helvetica-Bold"))
        if row.kind == "section":
            style.append(("BACKGROUND", (0, i), (-1, i), SHADE))
        elif row.kind == "total":
            style.append(("LINEABOVE", (1, i), (-1, i), 0.5, colors.black))
        elif row.kind == "grand":
            style += [
                ("LINEABOVE", (0, i), (-1, i), 0.8, colors.black),
                ("LINEBELOW", (0, i), (-1, i), 1.6, colors.black),
            ]
        else:
            style.append(("LINEBELOW", (0, i), (-1, i), 0.25, LINE))
    table = Table(data, colWidths=[label_width] + [value_width] * n, repeatRows=1)
    table.setStyle(TableStyle(style))
    story.append(table)
    if statement.note:
        story += [Spacer(1, 3 * mm), Paragraph(_escape(statement.note), st["note"])]
    return story


def _period_text(statement: Statement) -> str:
    """`Periode: 2024 · dalam rupiah`, and the business unit when the statement is cut to one."""
    from erp.ledger.schemas import UNIT_LABELS

    text = _("Periode: %(period)s · dalam rupiah", period=statement.period)
    if statement.unit:
        text += " · " + _("Unit usaha: %(unit)s", unit=UNIT_LABELS.get(statement.unit, statement.unit))
    return text


def _document(buffer: io.BytesIO, title: str, coop_name: str) -> SimpleDocTemplate:
    printed = format_datetime(datetime.now(), "d MMM y HH:mm")
    footer = _("%(coop)s · dicetak %(when)s dengan Kopdes", coop=coop_name, when=printed)

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#5f5955"))
        canvas.drawString(18 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, _("Halaman %(n)s", n=doc.page))
        canvas.setStrokeColor(RED)
        canvas.setLineWidth(2)
        canvas.line(18 * mm, A4[1] - 12 * mm, A4[0] - 18 * mm, A4[1] - 12 * mm)
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=coop_name,
    )
    doc.onFirstPage = on_page
    doc.onLaterPages = on_page
    return doc


def statement_pdf(statement: Statement, coop_name: str) -> bytes:
    buffer = io.BytesIO()
    doc = _document(buffer, str(statement.title), coop_name)
    story = statement_flowables(statement, coop_name, doc.width)
    doc.build(story, onFirstPage=doc.onFirstPage, onLaterPages=doc.onLaterPages)
    return buffer.getvalue()


def table_flowables(
    title: Any, headers: Sequence[Any], rows: Sequence[Sequence[Any]], width: float, note: Any = None
) -> list[Flowable]:
    """A titled plain table (member list, statistics); int cells are amounts, right-aligned."""
    st = _styles()
    story: list[Flowable] = [Paragraph(_escape(title), st["h2"])]
    if note:
        story.append(Paragraph(_escape(note), st["note"]))
        story.append(Spacer(1, 2 * mm))
    n = len(headers)
    numeric = [
        i for i in range(1, n) if all(not isinstance(row[i], str) or _numeric_text(row[i]) for row in rows)
    ]
    data: list[list[Any]] = [
        [Paragraph(_escape(h), st["head"] if i in numeric else st["bold"]) for i, h in enumerate(headers)]
    ]
    for row in rows:
        data.append(
            [amount_text(c) if isinstance(c, int) and not isinstance(c, bool) else str(c) for c in row]
        )
    first = width * (0.4 if n > 3 else 0.5)
    widths = [first] + [(width - first) / (n - 1)] * (n - 1) if n > 1 else [width]
    table = Table(data, colWidths=widths, repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE),
        ("FONTSIZE", (0, 0), (-1, -1), 8.6),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
    ]
    style += [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric]
    table.setStyle(TableStyle(style))
    story.append(table)
    return story


def pack_pdf(
    title: str, coop_name: str, parts: Sequence[Statement | list[Flowable]], cover: Sequence[str]
) -> bytes:
    """Several statements and tables in one document, each statement on its own page."""
    buffer = io.BytesIO()
    doc = _document(buffer, title, coop_name)
    st = _styles()
    story: list[Flowable] = [
        Spacer(1, 40 * mm),
        Paragraph(_escape(coop_name), st["coop"]),
        Paragraph(_escape(title), st["title"]),
    ]
    story += [Paragraph(_escape(line), st["sub"]) for line in cover]
    for part in parts:
        story.append(PageBreak())
        story += statement_flowables(part, coop_name, doc.width) if isinstance(part, Statement) else part
    doc.build(story, onFirstPage=doc.onFirstPage, onLaterPages=doc.onLaterPages)
    return buffer.getvalue()


def statement_xlsx(statement: Statement, coop_name: str) -> bytes:
    """One sheet: the cooperative, title and period on top, the rows below with numbers as numbers."""
    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook always has its first sheet
        sheet = book.create_sheet()
    sheet.title = str(statement.title)[:31]
    bold = Font(bold=True)
    sheet["A1"] = coop_name
    sheet["A1"].font = Font(bold=True, color="B3261E")
    sheet["A2"] = str(statement.title)
    sheet["A2"].font = Font(bold=True, size=14)
    sheet["A3"] = _period_text(statement)
    header_row = 5
    sheet.cell(header_row, 1, _("Pos"))
    for j, column in enumerate(statement.columns, start=2):
        cell = sheet.cell(header_row, j, str(column))
        cell.alignment = Alignment(horizontal="right", wrap_text=True)
    for cell in sheet[header_row]:
        cell.font = bold
        cell.border = Border(bottom=Side(style="medium"))
    shade = PatternFill("solid", fgColor="F6F1EE")
    for i, row in enumerate(statement.rows, start=header_row + 1):
        label = sheet.cell(i, 1, str(row.label))
        if row.kind == "item":
            label.alignment = Alignment(indent=1)
        for j, value in enumerate(row.values, start=2):
            if value is not None:
                cell = sheet.cell(i, j, value)
                cell.number_format = "#,##0;(#,##0)"
        if row.kind != "item":
            for cell in sheet[i]:
                cell.font = bold
        if row.kind == "section":
            for cell in sheet[i]:
                cell.fill = shade
        if row.kind in ("total", "grand"):
            for cell in sheet[i][1:]:
                cell.border = Border(
                    top=Side(style="thin"), bottom=Side(style="double" if row.kind == "grand" else None)
                )
    if statement.note:
        note = sheet.cell(header_row + len(statement.rows) + 2, 1, str(statement.note))
        note.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[note.row].height = 60
    sheet.column_dimensions["A"].width = 52
    for j in range(2, len(statement.columns) + 2):
        sheet.column_dimensions[sheet.cell(1, j).column_letter].width = 20
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rat_pack(year: int, coop_name: str) -> bytes:
    """The RAT pack of `year`: the four statements with the year before, results per business
    unit, member statistics (from the membership module, when it provides them), and the SHU
    distribution with every member's share."""
    from erp.ledger import shu, statements
    from erp.ledger.schemas import POOL_LABELS, UNIT_LABELS

    span = statements.Span.of(year)
    width = A4[0] - 36 * mm
    parts: list[Statement | list[Flowable]] = [statements.build(kind, span) for kind in statements.Kind]
    units = [
        (UNIT_LABELS.get(unit or "", _("Tanpa unit")), income, costs, result)
        for unit, income, costs, result in statements.unit_results(span)
    ]
    extra: list[Flowable] = table_flowables(
        _("Kinerja unit usaha %(year)s", year=year),
        [_("Unit usaha"), _("Pendapatan"), _("Biaya"), _("SHU")],
        units or [(_("Belum ada pendapatan atau beban."), 0, 0, 0)],
        width,
    )
    stats = shu.sources.statistics(year)
    extra += table_flowables(
        _("Statistik anggota"),
        [_("Keterangan"), _("Jumlah")],
        [(str(label), _count_text(n)) for label, n in stats] or [(_("Belum tersedia."), "")],
        width,
    )
    extra += portfolio_flowables(shu.sources.portfolios(date(year, 12, 31)), year, width)
    distribution = shu.preview(year)
    parts.append(extra)
    share_part: list[Flowable] = table_flowables(
        _("Pembagian SHU tahun %(year)s", year=year),
        [_("Pos"), "%", _("Jumlah")],
        [(str(POOL_LABELS[p.name]), f"{p.percent.normalize():f}", p.amount) for p in distribution.pools]
        + (
            [(_("Jumlah"), "100", distribution.shu)] if distribution.pools else [(_("Tidak ada SHU."), "", 0)]
        ),
        width,
        note=_("Status: %(status)s", status=_("diposting") if distribution.entry else _("pratinjau")),
    )
    members = [
        (f"{m.member_number} {m.name}", m.equity, m.transactions, m.jasa_modal, m.jasa_usaha, m.total)
        for m in distribution.members
    ]
    share_part += table_flowables(
        _("Daftar pembagian SHU anggota"),
        [_("Anggota"), _("Simpanan"), _("Transaksi"), _("Jasa modal"), _("Jasa usaha"), _("Jumlah")],
        members or [(_("Belum ada data anggota."), 0, 0, 0, 0, 0)],
        width,
        note=_(
            "Dibulatkan ke rupiah dengan metode sisa terbesar; tidak terbagi (masuk cadangan): %(n)s",
            n=amount_text(distribution.undistributed),
        ),
    )
    parts.append(share_part)
    cover = [
        _("Tahun buku %(year)s", year=year),
        _("Laporan keuangan, kinerja unit usaha, statistik anggota dan pembagian SHU."),
    ]
    return pack_pdf(_("Paket Rapat Anggota Tahunan (RAT) %(year)s", year=year), coop_name, parts, cover)


KOLEKTIBILITAS_LABELS = {
    "lancar": _l("Lancar"),
    "kurang_lancar": _l("Kurang lancar"),
    "diragukan": _l("Diragukan"),
    "macet": _l("Macet"),
}


def portfolio_flowables(portfolios: Sequence[PortfolioLike], year: int, width: float) -> list[Flowable]:
    """The loan portfolio's quality at the end of `year`: outstanding principal, PAR 1/30/90,
    NPL and each kolektibilitas class, in rupiah and as a share of the outstanding."""
    title = _("Kualitas portofolio pinjaman per 31 Desember %(year)s", year=year)
    outstanding = sum(p.outstanding for p in portfolios)
    if not outstanding:
        return table_flowables(
            title, [_("Keterangan"), _("Jumlah")], [(_("Tidak ada pinjaman berjalan."), "")], width
        )

    def share(part: int) -> str:
        percent = (Decimal(part) * 100 / outstanding).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return format_decimal(percent, format="#,##0.00", locale=str(get_locale() or "id"))

    def at_risk(days: int) -> int:
        return sum(p.at_risk.get(days, 0) for p in portfolios)

    classes: dict[str, int] = {}
    for p in portfolios:
        for name, amount in p.by_class.items():
            classes[name] = classes.get(name, 0) + amount
    rows: list[tuple[Any, ...]] = [(_("Pinjaman beredar (pokok)"), outstanding, share(outstanding))]
    rows += [
        (_("PAR %(days)s (menunggak %(days)s hari atau lebih)", days=d), at_risk(d), share(at_risk(d)))
        for d in (1, 30, 90)
    ]
    npl = outstanding - classes.get("lancar", 0)
    rows.append((_("NPL (pinjaman bermasalah: selain Lancar)"), npl, share(npl)))
    rows += [
        (_("Kolektibilitas: %(name)s", name=KOLEKTIBILITAS_LABELS.get(name, name)), amount, share(amount))
        for name, amount in classes.items()
    ]
    return table_flowables(
        title,
        [_("Keterangan"), _("Jumlah"), _("Porsi dari beredar")],
        rows,
        width,
        note=" ".join(
            (
                str(
                    _("Angka menurut tutup buku harian 31 Desember %(year)s.", year=year)
                    if all(p.closed for p in portfolios)
                    else _(
                        "Tutup buku harian 31 Desember %(year)s tidak tercatat: angka dihitung dari "
                        "keadaan pinjaman saat laporan ini dibuat.",
                        year=year,
                    )
                ),
                str(
                    _(
                        "PAR: porsi pokok pinjaman yang angsurannya terlambat dibayar; "
                        "NPL sehat bila paling tinggi 5 persen."
                    )
                ),
            )
        ),
    )


def _numeric_text(text: str) -> bool:
    return text == "" or text.replace(".", "").replace(",", "").isdigit()


def _count_text(n: int) -> str:
    return format_decimal(n, format="#,##0", locale=str(get_locale() or "id"))
