"""The purchase order as an A4 PDF to send to the supplier: the cooperative, the supplier, the
lines with units and prices, the total in whole rupiah (`Rp 1.234.567`), the payment terms and
room to sign. A draft or a cancelled order says so across the top."""

from __future__ import annotations

import io
from html import escape

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_rupiah
from erp.inventory.models import Product
from erp.purchasing.models import OrderStatus, PurchaseOrder, PurchaseOrderLine, Supplier
from erp.purchasing.service import STATUS_LABELS
from tenants.models import Cooperative

RED = colors.HexColor("#b3261e")
LINE = colors.HexColor("#e3dcd8")
MUTED = colors.HexColor("#5f5955")
_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("po-title", parent=_styles["Heading2"], textColor=RED, spaceAfter=1 * mm)
BODY = ParagraphStyle("po-body", parent=_styles["BodyText"], fontSize=9, leading=12)
CELL = ParagraphStyle("po-cell", parent=BODY, fontSize=8.5, leading=11)
SMALL = ParagraphStyle("po-small", parent=BODY, fontSize=8, leading=10, textColor=MUTED)
STRONG = ParagraphStyle("po-strong", parent=BODY, fontName="Helvetica-Bold")
WARN = ParagraphStyle("po-warn", parent=BODY, fontName="Helvetica-Bold", textColor=RED, fontSize=11)


def _day(d: object) -> str:
    return format_date(d, "d MMMM y")


def _party(title: str, lines: list[str]) -> list[Paragraph]:
    return [Paragraph(title, SMALL), *[Paragraph(line, BODY) for line in lines if line]]


def purchase_order(
    order: PurchaseOrder,
    supplier: Supplier,
    lines: list[tuple[PurchaseOrderLine, Product]],
    coop: Cooperative,
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Pesanan pembelian %(number)s", number=order.number),
        author=coop.name,
    )
    width = doc.width - 12  # the frame's own padding, 6 pt each side
    story: list[object] = [
        Paragraph(escape(coop.name), STRONG),
        Paragraph(escape(coop.address or ""), SMALL),
        Paragraph(escape(coop.phone or ""), SMALL),
        Spacer(1, 5 * mm),
        Paragraph(_("PESANAN PEMBELIAN"), TITLE),
        Paragraph(
            f"{_('Nomor')}: <b>{escape(order.number)}</b> · {_('Tanggal')}: {_day(order.ordered_on)}", BODY
        ),
    ]
    if order.status in (OrderStatus.DRAFT, OrderStatus.DIBATALKAN):
        story.append(
            Paragraph(
                _("%(status)s — bukan pesanan yang berlaku", status=str(STATUS_LABELS[order.status]).upper()),
                WARN,
            )
        )
    supplier_lines = [
        f"<b>{escape(supplier.name)}</b>",
        escape(supplier.address or ""),
        f"{_('NPWP')}: {supplier.npwp}" if supplier.npwp else "",
        f"{_('Telepon')}: {supplier.phone}" if supplier.phone else "",
    ]
    delivery = [
        f"{_('Diharapkan tiba')}: {_day(order.expected_on)}" if order.expected_on else "",
        _("Pembayaran: %(days)s hari setelah tanggal tagihan", days=supplier.payment_terms_days)
        if supplier.payment_terms_days
        else _("Pembayaran: tunai saat barang diterima"),
    ]
    parties = Table(
        [[_party(_("Kepada"), supplier_lines), _party(_("Pengiriman dan pembayaran"), delivery)]],
        colWidths=[width * 0.55, width * 0.45],
    )
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [Spacer(1, 4 * mm), parties, Spacer(1, 5 * mm)]

    rows: list[list[object]] = [[_("No"), _("Barang"), _("Jumlah"), _("Harga satuan"), _("Nilai")]]
    for n, (line, product) in enumerate(lines, start=1):
        rows.append(
            [
                str(n),
                Paragraph(
                    f"{escape(product.name)}<br/><font color='#5f5955'>{escape(product.code)}</font>", CELL
                ),
                f"{line.quantity} {line.unit or product.unit}",
                format_rupiah(line.unit_price),
                format_rupiah(line.amount),
            ]
        )
    rows.append(["", Paragraph(f"<b>{_('Total')}</b>", CELL), "", "", format_rupiah(order.total)])
    table = Table(
        rows,
        colWidths=[10 * mm, width - 10 * mm - 30 * mm - 32 * mm - 34 * mm, 30 * mm, 32 * mm, 34 * mm],
        repeatRows=1,
    )
    last = len(rows) - 1
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8.5),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, RED),
                ("LINEBELOW", (0, 1), (-1, last - 1), 0.25, LINE),
                ("LINEABOVE", (0, last), (-1, last), 0.8, MUTED),
                ("FONTNAME", (4, last), (4, last), "Helvetica-Bold"),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    if order.note:
        story += [Spacer(1, 4 * mm), Paragraph(f"{_('Catatan')}: {escape(order.note)}", BODY)]
    story += [
        Spacer(1, 4 * mm),
        Paragraph(
            _(
                "Mohon cantumkan nomor pesanan ini pada surat jalan dan tagihan. Barang yang "
                "kedaluwarsa atau melebihi pesanan tidak diterima."
            ),
            SMALL,
        ),
        Spacer(1, 12 * mm),
    ]
    signatures = Table(
        [
            [_("Dipesan oleh"), _("Disetujui")],
            ["", ""],
            ["(................................)", "(................................)"],
            [_("Manajer"), _("Ketua")],
        ],
        colWidths=[width / 2, width / 2],
        rowHeights=[5 * mm, 18 * mm, 5 * mm, 5 * mm],
    )
    signatures.setStyle(
        TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
    )
    story.append(signatures)
    doc.build(story)
    return buffer.getvalue()
