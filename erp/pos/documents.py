"""Printed counter papers as PDF: the sale receipt on a 58 or 80 mm roll (a copy marked SALINAN
with its number) and the day's Z report (A4 landscape), in whole rupiah as `Rp 1.234`."""

from __future__ import annotations

import io
from html import escape

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_rupiah
from erp.pos.service import Receipt, ZReport, ZRow, margin_percent, method_label
from tenants.models import Cooperative
from tenants.service import ppn_percent

_styles = getSampleStyleSheet()
MONO = "Courier"
MONO_BOLD = "Courier-Bold"
LINE = colors.HexColor("#e3dcd8")
MUTED = colors.HexColor("#5f5955")
RED = colors.HexColor("#b3261e")


def _style(size: float, bold: bool = False, align: int = 0) -> ParagraphStyle:
    return ParagraphStyle(
        f"r{size}{bold}{align}",
        parent=_styles["BodyText"],
        fontName=MONO_BOLD if bold else MONO,
        fontSize=size,
        leading=size * 1.25,
        alignment=align,
    )


def receipt(r: Receipt, coop: Cooperative, width: int) -> bytes:
    """The receipt on a `width` mm roll (58 or 80), as long as its lines need."""
    size = 7 if width == 58 else 8
    body, center, bold = _style(size), _style(size, align=1), _style(size + 1, bold=True, align=1)
    margin = 3 * mm
    inner = width * mm - 2 * margin
    rows: list[list[str]] = []
    for line, product in r.lines:
        rows.append([escape(product.name) + (" *" if line.ppn else ""), ""])
        rows.append(
            [
                f"{line.quantity} {escape(product.unit)} x {format_rupiah(line.price)}",
                format_rupiah(line.quantity * line.price),
            ]
        )
        if line.discount:
            rows.append([f"  {_('Potongan')}", f"-{format_rupiah(line.discount)}"])
    first_total = len(rows)
    if r.sale.discount:
        rows.append([_("Total potongan"), f"-{format_rupiah(r.sale.discount)}"])
    rows.append([_("Total"), format_rupiah(r.sale.total)])
    total_row = len(rows) - 1
    if r.sale.ppn_base and r.sale.ppn_rate is not None:
        rows.append([f"{_('DPP')} *", format_rupiah(r.sale.ppn_base - r.sale.ppn)])
        rows.append([f"{_('PPN')} {ppn_percent(r.sale.ppn_rate)}%", format_rupiah(r.sale.ppn)])
    for pay in r.payments:
        label = method_label(pay.method) + (f" ({pay.reference})" if pay.reference else "")
        rows.append([escape(label), format_rupiah(pay.amount)])
    if r.sale.change:
        rows.append([_("Kembali"), format_rupiah(r.sale.change)])
    table = Table(
        [[Paragraph(a, body), Paragraph(b, _style(size, align=2))] for a, b in rows],
        colWidths=[inner * 0.6, inner * 0.4],
    )
    table.setStyle(
        TableStyle(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("LINEABOVE", (0, first_total), (-1, first_total), 0.5, colors.black),
                ("LINEABOVE", (0, total_row), (-1, total_row), 0.5, colors.black),
                ("FONTNAME", (0, total_row), (-1, total_row), MONO_BOLD),
            ]
        )
    )
    copy = r.copy_number - 1
    story: list = []
    if copy > 0:
        story.append(Paragraph(f"*** {_('SALINAN')} {copy} ***", bold))
    story += [
        Paragraph(escape(coop.name), bold),
        Paragraph(
            f"{_('Struk')} #{r.sale.id} · {format_date(r.sale.sold_on, 'dd-MM-yyyy')}"
            f" {r.sale.recorded_at.astimezone().strftime('%H:%M')}",
            center,
        ),
        Paragraph(f"{_('Kasir')}: {escape(r.kasir_name or '-')}", center),
    ]
    if r.npwp:
        story.append(Paragraph(f"{_('NPWP')}: {escape(r.npwp)}", center))
    if r.member is not None:
        story.append(
            Paragraph(f"{_('Anggota')}: {escape(r.member.member_number or '')} {escape(r.member.name)}", body)
        )
    story += [Spacer(1, 2 * mm), table, Spacer(1, 2 * mm)]
    for ret in r.returns:
        kind = _("Void") if ret.kind == "void" else _("Retur")
        story.append(
            Paragraph(
                f"{kind} {format_date(ret.returned_on, 'dd-MM-yyyy')}: -{format_rupiah(ret.amount)}", center
            )
        )
    if r.sale.ppn_base:
        story.append(Paragraph("* " + escape(_("Barang kena PPN; harga sudah termasuk PPN.")), center))
    if r.member is not None:
        story.append(Paragraph(_("Belanja anggota dihitung untuk SHU."), center))
    story.append(Paragraph(_("Terima kasih"), center))
    if copy > 0:
        story.append(Paragraph(f"*** {_('SALINAN')} {copy} ***", bold))
    # a roll is as long as the receipt: measure what will be printed
    height = sum(f.wrap(inner, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in story)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(width * mm, height + 2 * margin + 6 * mm),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=f"{_('Struk')} #{r.sale.id}",
    )
    doc.build(story)
    return buffer.getvalue()


def z_report(report: ZReport, coop: Cooperative) -> bytes:
    """The day's Z report of a gerai: one row per kasir and the gerai's total."""
    cell = ParagraphStyle("cell", parent=_styles["BodyText"], fontSize=7.5, leading=9)
    title = ParagraphStyle("title", parent=_styles["Heading2"], textColor=RED)
    head = [
        _("Kasir"),
        _("Transaksi"),
        _("Penjualan kotor"),
        _("Potongan"),
        _("Retur/void"),
        _("Bersih"),
        _("Tunai"),
        "QRIS",
        _("Transfer"),
        _("Kasbon"),
        _("Modal awal"),
        _("Kas seharusnya"),
        _("Kas dihitung"),
        _("Selisih"),
    ]

    def money(value: int | None) -> str:
        return "-" if value is None else format_rupiah(value)

    has_ppn = bool(report.gerai.ppn or report.gerai.ppn_returned)
    if has_ppn:
        head.insert(6, _("PPN keluaran"))

    def row(r: ZRow) -> list:
        return [
            Paragraph(escape(r.label), cell),
            str(r.sales),
            money(r.gross),
            money(r.discount),
            money(r.returned),
            money(r.net - r.returned),
            *([money(r.ppn - r.ppn_returned)] if has_ppn else []),
            money(r.by_method["tunai"]),
            money(r.by_method["qris"]),
            money(r.by_method["transfer"]),
            money(r.by_method["kredit"]),
            money(r.opening_float),
            money(r.expected_cash),
            money(r.counted_cash),
            money(r.variance),
        ]

    data = [[Paragraph(h, cell) for h in head], *[row(r) for r in report.kasir], row(report.gerai)]
    columns = len(head) - 1
    table = Table(data, repeatRows=1, colWidths=[34 * mm] + [min(17.5 * mm, 243 * mm / columns)] * columns)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.25, LINE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    margin = margin_percent(report.gerai)
    note = _("Harga pokok penjualan") + f": {format_rupiah(report.gerai.cost)}"
    if margin is not None:
        note += f" · {_('Margin kotor')} {margin}%"
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=f"{_('Laporan Z')} {report.day.isoformat()}",
    )
    doc.build(
        [
            Paragraph(escape(coop.name), title),
            Paragraph(
                f"{_('Laporan Z')} · {escape(report.location.name)} · {format_date(report.day, 'd MMMM y')}",
                _styles["Heading3"],
            ),
            Spacer(1, 3 * mm),
            table,
            Spacer(1, 3 * mm),
            Paragraph(note, cell),
            Paragraph(_("Tunai sudah dikurangi kembalian. Retur dikurangkan pada tanggal retur."), cell),
        ]
    )
    return buffer.getvalue()
