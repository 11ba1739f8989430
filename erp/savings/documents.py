"""Printed savings papers: the desk receipt (80 mm roll), the passbook page (buku tabungan) and the
account statement (A4), in whole rupiah as `Rp 1.234.567`."""

from __future__ import annotations

import io
from datetime import date
from html import escape

from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core.money import format_rupiah
from erp.membership.models import Member
from erp.savings.models import CREDITS, SavingsAccount, SavingsMovement, SavingsProduct
from tenants.models import Cooperative

RED = colors.HexColor("#b3261e")
LINE = colors.HexColor("#e3dcd8")
MUTED = colors.HexColor("#5f5955")
_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_styles["Heading2"], textColor=RED, spaceAfter=2 * mm)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9, leading=12)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8, leading=10)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=10, textColor=MUTED)


def _kind_label(kind: str) -> str:
    return {
        "deposit": _("Setoran"),
        "withdrawal": _("Penarikan"),
        "interest": _("Jasa"),
        "tax": _("Pajak"),
    }.get(kind, kind)


def _day(d: date) -> str:
    return format_date(d, "dd-MM-yyyy")


def receipt(
    movement: SavingsMovement,
    account: SavingsAccount,
    product: SavingsProduct,
    member: Member,
    coop: Cooperative,
) -> bytes:
    """A receipt for one desk movement, 80 mm wide, for a thermal or ordinary printer."""
    buffer = io.BytesIO()
    width = 80 * mm
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(width, 120 * mm),
        leftMargin=5 * mm,
        rightMargin=5 * mm,
        topMargin=5 * mm,
        bottomMargin=5 * mm,
        title=_("Bukti transaksi %(id)s", id=movement.id),
    )
    rows = [
        [_("No. bukti"), f"S-{movement.id:08d}"],
        [_("Tanggal"), _day(movement.occurred_on)],
        [_("Anggota"), Paragraph(f"{member.member_number} {escape(member.name)}", CELL)],
        [_("Rekening"), account.number],
        [_("Produk"), Paragraph(escape(product.name), CELL)],
        [_("Jenis"), _kind_label(movement.kind)],
        [_("Jumlah"), format_rupiah(movement.amount)],
        [_("Saldo"), format_rupiah(movement.balance_after)],
    ]
    table = Table(rows, colWidths=[20 * mm, 50 * mm])
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("FONTNAME", (1, 6), (1, 6), "Helvetica-Bold"),
                ("FONTSIZE", (1, 6), (1, 6), 11),
                ("LINEABOVE", (0, 6), (-1, 6), 0.5, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 6), (-1, 6), "MIDDLE"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    story = [
        Paragraph(
            escape(coop.name), ParagraphStyle("coop", parent=BODY, fontName="Helvetica-Bold", fontSize=9)
        ),
        Paragraph(_("Bukti transaksi simpanan"), SMALL),
        Spacer(1, 3 * mm),
        table,
        Spacer(1, 6 * mm),
        Paragraph(_("Simpan bukti ini. Saldo juga dapat dilihat di portal anggota."), SMALL),
    ]
    doc.build(story)
    return buffer.getvalue()


def _movement_rows(opening: int | None, rows: list[SavingsMovement]) -> list[list[str]]:
    table = [[_("Tanggal"), _("Keterangan"), _("Debit"), _("Kredit"), _("Saldo")]]
    if opening is not None:
        table.append(["", _("Saldo awal"), "", "", format_rupiah(opening)])
    for m in rows:
        money_in = m.kind in CREDITS
        table.append(
            [
                _day(m.occurred_on),
                m.description[:38],
                "" if money_in else format_rupiah(m.amount),
                format_rupiah(m.amount) if money_in else "",
                format_rupiah(m.balance_after),
            ]
        )
    return table


def _ledger_table(data: list[list[str]], widths: list[float]) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, RED),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, LINE),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _header(
    member: Member, account: SavingsAccount, product: SavingsProduct, coop: Cooperative
) -> list[object]:
    facts = Table(
        [
            [_("Anggota"), f"{member.member_number}  {member.name}"],
            [_("Rekening"), f"{account.number}  ({product.name})"],
        ],
        colWidths=[22 * mm, None],
        hAlign="LEFT",
    )
    facts.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [Paragraph(escape(coop.name), SMALL), facts, Spacer(1, 4 * mm)]


def passbook(
    member: Member,
    account: SavingsAccount,
    product: SavingsProduct,
    coop: Cooperative,
    rows: list[SavingsMovement],
) -> bytes:
    """The passbook (buku tabungan) on A5: every movement with the balance after it."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A5,
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=_("Buku tabungan %(number)s", number=account.number),
    )
    story: list[object] = [Paragraph(_("Buku Tabungan"), TITLE), *_header(member, account, product, coop)]
    story.append(_ledger_table(_movement_rows(None, rows), [19 * mm, 45 * mm, 21 * mm, 21 * mm, 22 * mm]))
    doc.build(story)
    return buffer.getvalue()


def statement(
    member: Member,
    account: SavingsAccount,
    product: SavingsProduct,
    coop: Cooperative,
    start: date,
    end: date,
    opening: int,
    rows: list[SavingsMovement],
) -> bytes:
    """The account statement for a period on A4: opening balance, movements, closing balance."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=_("Rekening koran %(number)s", number=account.number),
    )
    closing = rows[-1].balance_after if rows else opening
    story: list[object] = [
        Paragraph(_("Laporan Mutasi Simpanan"), TITLE),
        Paragraph(_("Periode %(start)s s.d. %(end)s", start=_day(start), end=_day(end)), BODY),
        Spacer(1, 2 * mm),
        *_header(member, account, product, coop),
        _ledger_table(_movement_rows(opening, rows), [24 * mm, 66 * mm, 26 * mm, 26 * mm, 30 * mm]),
        Spacer(1, 4 * mm),
        Paragraph(_("Saldo akhir: <b>%(amount)s</b>", amount=format_rupiah(closing)), BODY),
    ]
    doc.build(story)
    return buffer.getvalue()
