"""The `manual` payment adapter: bank transfer or QRIS paid by the buyer to the cooperative, with a
proof (photo or PDF of the receipt) the bendahara checks and confirms; cash on delivery collected
by the courier and recorded after shipping.

A proof is accepted by its content (PDF, JPEG or PNG, sniffed, never by its name) up to
`MAX_PROOF_BYTES`, stored privately under the instance folder by a random key, and served only to
the order's buyer and the cooperative's staff.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import IO, Any

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import DomainError, ErrorCode
from marketplace.orders import service as orders
from marketplace.orders.models import Order, OrderStatus, PaymentMethod
from marketplace.payments.models import MAX_PROOF_BYTES, Payment, PaymentStatus

ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class ProofRefused(DomainError):
    code = ErrorCode.INVALID_INPUT
    status = 422


def proof_dir() -> Path:
    """Where payment proofs live: private, under the instance folder (override for tests)."""
    configured = current_app.config.get("KOPDES_PROOF_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "kophub-proofs"


def sniff(stream: IO[bytes] | Any | None) -> tuple[bytes, str]:
    """The upload's bytes and type, or ProofRefused saying why (empty, too big, not PDF/JPG/PNG)."""
    data = stream.read(MAX_PROOF_BYTES + 1) if stream is not None else b""
    if not data:
        raise ProofRefused(_l("Pilih berkas bukti pembayaran."), {"proof": [str(_l("Berkas kosong."))]})
    if len(data) > MAX_PROOF_BYTES:
        message = _l("Berkas terlalu besar (maksimal %(mb)s MB).", mb=MAX_PROOF_BYTES // (1024 * 1024))
        raise ProofRefused(message, {"proof": [str(message)]})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        message = _l("Bukti harus foto (JPG/PNG) atau PDF.")
        raise ProofRefused(message, {"proof": [str(message)]})
    return data, kind.mime


def _store(tenant_id: int, data: bytes, mime: str) -> str:
    key = f"{tenant_id}/{secrets.token_hex(16)}.{ALLOWED_TYPES[mime]}"
    path = proof_dir() / key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return key


def proof_path(payment: Payment) -> Path | None:
    if not payment.proof_key:
        return None
    path = proof_dir() / payment.proof_key
    return path if path.is_file() else None


def submit_proof(order: Order, stream: IO[bytes] | Any | None, note: str | None, *, user_id: int) -> Payment:
    """The buyer's proof of a transfer or QRIS payment (under the order's cooperative). Replaces
    a refused proof; refused once the order is paid or no longer waiting."""
    from core.db import db

    locked = orders._locked(order.id)
    if locked.payment_method not in (PaymentMethod.TRANSFER, PaymentMethod.QRIS):
        raise ProofRefused(_l("Pesanan ini tidak dibayar dengan transfer atau QRIS."))
    if locked.status != OrderStatus.MENUNGGU_PEMBAYARAN:
        raise ProofRefused(_l("Pesanan ini tidak lagi menunggu pembayaran."))
    payment = orders._payment(locked)
    if payment.status not in (PaymentStatus.MENUNGGU, PaymentStatus.GAGAL, PaymentStatus.BUKTI_DIKIRIM):
        raise ProofRefused(_l("Pembayaran pesanan ini sudah dicatat."))
    note = (note or "").strip()[:200] or None
    data, mime = sniff(stream)
    key = _store(locked.tenant_id, data, mime)
    payment.proof_key, payment.proof_type, payment.proof_size = key, mime, len(data)
    payment.proof_sha256 = hashlib.sha256(data).hexdigest()
    payment.payer_note, payment.refusal_reason = note, None
    payment.status = PaymentStatus.BUKTI_DIKIRIM.value
    orders._event(locked, OrderStatus.MENUNGGU_PEMBAYARAN, user_id, str(_l("Bukti pembayaran dikirim")))
    orders._notify_cooperative(
        locked,
        _l("Bukti bayar pesanan %(number)s", number=locked.number),
        _l(
            "Pembeli mengirim bukti pembayaran pesanan %(number)s. Periksa lalu konfirmasi.",
            number=locked.number,
        ),
    )
    db.session.commit()
    return payment


def confirm(order_id: int, *, user_id: int) -> Order:
    """The bendahara saw the money arrive (transfer or QRIS): the order is paid."""
    from core.db import db

    try:
        order = orders._locked(order_id)
        if order.payment_method not in (PaymentMethod.TRANSFER, PaymentMethod.QRIS):
            raise ProofRefused(_l("Pesanan ini tidak dibayar dengan transfer atau QRIS."))
        if order.status != OrderStatus.MENUNGGU_PEMBAYARAN:
            raise orders.InvalidTransition(_l("Pesanan ini tidak lagi menunggu pembayaran."))
        payment = orders._payment(order)
        orders.mark_paid(
            order,
            payment,
            actor_id=user_id,
            account=orders.BANK,
            note=str(_l("Pembayaran dikonfirmasi bendahara")),
        )
        db.session.commit()
        return order
    except Exception:
        db.session.rollback()
        raise


def refuse_proof(order_id: int, reason: str, *, user_id: int) -> Payment:
    """The money did not arrive or the proof is wrong: the buyer is told why and may send another."""
    from core.db import db

    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise ProofRefused(_l("Tuliskan alasan penolakan."), {"reason": [str(_l("Wajib diisi."))]})
    order = orders._locked(order_id)
    payment = orders._payment(order)
    if payment.status != PaymentStatus.BUKTI_DIKIRIM:
        raise orders.InvalidTransition(_l("Tidak ada bukti pembayaran yang menunggu diperiksa."))
    payment.status, payment.refusal_reason = PaymentStatus.GAGAL.value, reason
    orders._event(order, OrderStatus.MENUNGGU_PEMBAYARAN, user_id, str(_l("Bukti ditolak: %(r)s", r=reason)))
    orders._notify_buyer(
        order,
        _l("Bukti bayar pesanan %(number)s ditolak", number=order.number),
        _l("Bukti pembayaran ditolak: %(reason)s. Kirim bukti yang benar.", reason=reason),
    )
    db.session.commit()
    return payment


class ManualAdapter:
    name = "manual"

    def refund(self, order: Order, payment: Payment) -> None:
        """The bendahara returns the money by transfer (or in cash for COD): recorded and posted now."""
        account = orders.CASH if order.payment_method == PaymentMethod.COD else orders.BANK
        orders.post_refund(order, payment, payment.amount - payment.refunded, account=account, actor_id=None)
        payment.refunded = payment.amount
        payment.status = PaymentStatus.DIKEMBALIKAN.value


ADAPTER = ManualAdapter()
