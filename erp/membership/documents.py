"""The printable member card: ID-1 size (85.6 × 54 mm), the cooperative's name, the member's name,
number and joining date, the photo when there is one and the reader may see it, and a QR code that
names the cooperative and the member number (no NIK)."""

from __future__ import annotations

import io

import qrcode
from flask_babel import format_date
from flask_babel import gettext as _
from reportlab.lib.colors import HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from erp.membership.models import Member
from tenants.models import Cooperative

CARD = (85.6 * mm, 54 * mm)
RED = HexColor("#b3261e")
INK = HexColor("#1d1b1a")
MUTED = HexColor("#5f5955")


def qr_image(payload: str) -> ImageReader:
    code = qrcode.QRCode(border=1, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    buffer.seek(0)
    return ImageReader(buffer)


def card_payload(member: Member, cooperative: Cooperative) -> str:
    return f"KOPDES:{cooperative.slug}:{member.member_number}"


def _fit(canvas: Canvas, text: str, font: str, size: float, width: float) -> float:
    while size > 5 and canvas.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def member_card(member: Member, cooperative: Cooperative, photo_jpeg: bytes | None = None) -> bytes:
    """The card; with the member's photo at the left when one is given (the caller decides
    whether the reader may see it)."""
    buffer = io.BytesIO()
    width, height = CARD
    c = Canvas(buffer, pagesize=CARD)
    c.setTitle(f"{_('Kartu Anggota')} {member.member_number}")
    band = 13 * mm
    c.setFillColor(RED)
    c.rect(0, height - band, width, band, stroke=0, fill=1)
    c.setFillColor(white)
    c.setFont("Helvetica-Bold", 7)
    c.drawString(4 * mm, height - 5.5 * mm, _("KARTU ANGGOTA").upper())
    size = _fit(c, cooperative.name, "Helvetica", 7.5, width - 8 * mm)
    c.setFont("Helvetica", size)
    c.drawString(4 * mm, height - 10 * mm, cooperative.name)

    qr_size = (23 if photo_jpeg else 27) * mm
    c.drawImage(
        qr_image(card_payload(member, cooperative)), width - qr_size - 3 * mm, 4 * mm, qr_size, qr_size
    )
    left = 4 * mm
    if photo_jpeg:
        photo_w, photo_h = 18 * mm, 24 * mm
        top = height - band - 3 * mm
        c.drawImage(
            ImageReader(io.BytesIO(photo_jpeg)),
            left,
            top - photo_h,
            photo_w,
            photo_h,
            preserveAspectRatio=True,
            anchor="c",
        )
        c.setStrokeColor(MUTED)
        c.setLineWidth(0.3)
        c.rect(left, top - photo_h, photo_w, photo_h, stroke=1, fill=0)
        left += photo_w + 3 * mm

    text_width = width - qr_size - 6 * mm - left
    c.setFillColor(MUTED)
    c.setFont("Helvetica", 6)
    c.drawString(left, height - band - 6 * mm, _("Nama"))
    c.setFillColor(INK)
    size = _fit(c, member.name, "Helvetica-Bold", 10, text_width)
    c.setFont("Helvetica-Bold", size)
    c.drawString(left, height - band - 10.5 * mm, member.name)

    c.setFillColor(MUTED)
    c.setFont("Helvetica", 6)
    c.drawString(left, height - band - 16 * mm, _("Nomor anggota"))
    c.setFillColor(RED)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(left, height - band - 21.5 * mm, member.member_number or "")

    c.setFillColor(MUTED)
    c.setFont("Helvetica", 6)
    joined = format_date(member.joined_on, "d MMMM y") if member.joined_on else "-"
    c.drawString(4 * mm, 5 * mm, _("Anggota sejak %(date)s", date=joined))
    c.showPage()
    c.save()
    return buffer.getvalue()
