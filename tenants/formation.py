"""Formation tracking: the six stages a cooperative goes through, each with its date, attendance,
notes and uploaded evidence, and the review by a satgas of the cooperative's region.

Invariants: stages are recorded in order (a stage needs the one before it, and no earlier date);
evidence is PDF, JPEG or PNG by its content (`filetype`), at most `MAX_EVIDENCE_BYTES`, stored
under `instance/evidence/` and never under `static/`; a satgas reviews only cooperatives inside
their region (`cooperative_for_satgas`, the one named cross-tenant path of this module); every
change is audited in the transaction that makes it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core import audit
from core.db import db
from core.errors import DomainError, NotFound
from core.models import PlatformRole
from tenants import context as tenant_context
from tenants.models import (
    STAGES,
    STAGES_WITH_ATTENDANCE,
    Cooperative,
    FormationEvidence,
    FormationStage,
)

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
MAX_EVIDENCE_PER_STAGE = 10
ALLOWED_TYPES = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}

STAGE_LABELS = {
    "sosialisasi": _l("Sosialisasi"),
    "musdesus": _l("Musyawarah desa khusus (musdesus)"),
    "rapat_pembentukan": _l("Rapat pembentukan"),
    "akta_notaris": _l("Akta notaris"),
    "pengesahan_badan_hukum": _l("Pengesahan badan hukum"),
    "operasional": _l("Operasional"),
}
STATUS_LABELS = {
    "kosong": _l("Belum dicatat"),
    "draf": _l("Belum lengkap"),
    "diajukan": _l("Menunggu verifikasi"),
    "terverifikasi": _l("Terverifikasi"),
    "dikembalikan": _l("Dikembalikan"),
}


class EvidenceRefused(DomainError):
    """An upload that is too large, empty, or not a PDF/JPEG/PNG by content."""


@dataclass
class StageView:
    """One stage as the cooperative and the satgas see it, with what it still lacks."""

    stage: str
    record: FormationStage | None
    evidence: list[FormationEvidence] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.record.status if self.record is not None else "kosong"

    @property
    def label(self) -> str:
        return str(STAGE_LABELS[self.stage])

    @property
    def needs_attendance(self) -> bool:
        return self.stage in STAGES_WITH_ATTENDANCE


def evidence_dir() -> Path:
    """Where evidence files live: private, under the instance folder (override for tests)."""
    configured = current_app.config.get("KOPDES_EVIDENCE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "evidence"


def _missing(stage: str, record: FormationStage | None, evidence_count: int) -> list[str]:
    if record is None:
        return (
            [str(_l("Tanggal pelaksanaan"))]
            + ([str(_l("Jumlah hadir"))] if stage in STAGES_WITH_ATTENDANCE else [])
            + [str(_l("Bukti (berita acara, foto, atau akta)"))]
        )
    missing = []
    if stage in STAGES_WITH_ATTENDANCE and record.attendance is None:
        missing.append(str(_l("Jumlah hadir")))
    if evidence_count == 0:
        missing.append(str(_l("Bukti (berita acara, foto, atau akta)")))
    if record.status == "dikembalikan" and record.return_reason:
        missing.append(str(_l("Perbaikan: %(reason)s", reason=record.return_reason)))
    return missing


def overview() -> list[StageView]:
    """Every stage of the current cooperative in order, with its evidence and what is missing."""
    records = {r.stage: r for r in db.session.scalars(select(FormationStage))}
    evidence: dict[int, list[FormationEvidence]] = {}
    for item in db.session.scalars(select(FormationEvidence).order_by(FormationEvidence.id)):
        evidence.setdefault(item.stage_id, []).append(item)
    views = []
    for stage in STAGES:
        record = records.get(stage)
        files = evidence.get(record.id, []) if record is not None else []
        views.append(StageView(stage, record, files, _missing(stage, record, len(files))))
    return views


def _sniff(stream: IO[bytes]) -> tuple[bytes, str]:
    data = stream.read(MAX_EVIDENCE_BYTES + 1)
    if not data:
        raise EvidenceRefused(_l("Berkas kosong."), {"evidence": [str(_l("Berkas kosong."))]})
    if len(data) > MAX_EVIDENCE_BYTES:
        message = _l("Berkas terlalu besar (maksimal %(mb)s MB).", mb=MAX_EVIDENCE_BYTES // (1024 * 1024))
        raise EvidenceRefused(message, {"evidence": [str(message)]})
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        message = _l("Jenis berkas tidak diterima: isinya harus PDF, JPG, atau PNG.")
        raise EvidenceRefused(message, {"evidence": [str(message)]})
    return data, kind.mime


def _store(tenant_id: int, data: bytes, mime: str) -> str:
    key = f"{tenant_id}/{secrets.token_hex(16)}.{ALLOWED_TYPES[mime]}"
    path = evidence_dir() / key
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    os.replace(partial, path)
    return key


def _clean_filename(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip() or "bukti"
    return "".join(c for c in base if c.isprintable())[:200]


def save_stage(
    stage: str,
    *,
    held_on: date,
    attendance: int | None,
    notes: str | None,
    upload: tuple[str | None, IO[bytes]] | None,
    user_id: int,
) -> FormationStage:
    """Record a stage (and maybe one evidence file). Complete stages go to the satgas for review;
    a change to a reviewed stage sends it back for review."""
    tenant_id = tenant_context.current_tenant_id()
    if tenant_id is None:
        raise tenant_context.TenantRequired("save_stage without a tenant")
    if held_on > date.today():
        message = _l("Tanggal tidak boleh di masa depan.")
        raise DomainError(message, {"held_on": [str(message)]})
    records = {r.stage: r for r in db.session.scalars(select(FormationStage).with_for_update())}
    index = STAGES.index(stage)
    if index > 0:
        previous = records.get(STAGES[index - 1])
        if previous is None:
            message = _l("Catat dulu tahap sebelumnya: %(stage)s.", stage=STAGE_LABELS[STAGES[index - 1]])
            raise DomainError(message, {"held_on": [str(message)]})
        if held_on < previous.held_on:
            message = _l(
                "Tanggal tidak boleh sebelum tahap sebelumnya (%(date)s).",
                date=previous.held_on.strftime("%d-%m-%Y"),
            )
            raise DomainError(message, {"held_on": [str(message)]})
    data = mime = None
    if upload is not None:
        data, mime = _sniff(upload[1])
    record = records.get(stage)
    before = None
    if record is None:
        record = FormationStage(stage=stage, held_on=held_on, status="draf")
        db.session.add(record)
    else:
        before = {
            "held_on": record.held_on.isoformat(),
            "attendance": record.attendance,
            "notes": record.notes,
            "status": record.status,
        }
    record.held_on, record.attendance, record.notes = held_on, attendance, notes
    record.updated_by, record.updated_at = user_id, datetime.now(UTC)
    db.session.flush()
    count = (
        db.session.scalar(
            select(func.count()).select_from(FormationEvidence).where(FormationEvidence.stage_id == record.id)
        )
        or 0
    )
    stored: Path | None = None
    if data is not None and mime is not None:
        if count >= MAX_EVIDENCE_PER_STAGE:
            message = _l("Paling banyak %(n)s berkas per tahap.", n=MAX_EVIDENCE_PER_STAGE)
            raise EvidenceRefused(message, {"evidence": [str(message)]})
        key = _store(tenant_id, data, mime)
        stored = evidence_dir() / key
        item = FormationEvidence(
            stage_id=record.id,
            filename=_clean_filename(upload[0] if upload else None),
            content_type=mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
            uploaded_by=user_id,
        )
        db.session.add(item)
        db.session.flush()
        count += 1
        audit.record(
            "formation_evidence_uploaded",
            "formation_evidence",
            item.id,
            after={"stage": stage, "filename": item.filename, "content_type": mime, "size": item.size},
        )
    complete = count > 0 and (stage not in STAGES_WITH_ATTENDANCE or attendance is not None)
    changed = (
        before is None
        or data is not None
        or before
        != {
            "held_on": held_on.isoformat(),
            "attendance": attendance,
            "notes": notes,
            "status": record.status,
        }
    )
    if changed:
        record.status = "diajukan" if complete else "draf"
        record.return_reason = None  # the reason stays in the audit log
    audit.record(
        "formation_stage_saved",
        "formation_stage",
        record.id,
        before=before,
        after={
            "stage": stage,
            "held_on": held_on.isoformat(),
            "attendance": attendance,
            "notes": notes,
            "status": record.status,
        },
    )
    _refresh_summary(tenant_id)
    try:
        db.session.commit()
    except Exception:
        if stored is not None:
            stored.unlink(missing_ok=True)
        raise
    return record


def evidence_file(evidence_id: int) -> tuple[FormationEvidence, Path]:
    """An evidence file of the current cooperative, with where it lies on disk."""
    item = db.session.scalar(select(FormationEvidence).where(FormationEvidence.id == evidence_id))
    if item is None:
        raise NotFound(_l("Berkas tidak ditemukan."))
    path = evidence_dir() / item.storage_key
    if not path.is_file():
        raise NotFound(_l("Berkas tidak ditemukan."))
    return item, path


def _refresh_summary(tenant_id: int) -> None:
    """Keep the cooperative's platform-side summary (furthest verified stage, stages awaiting
    review) in step with its stages, for lists across cooperatives."""
    statuses = {
        stage: status
        for stage, status in db.session.execute(select(FormationStage.stage, FormationStage.status))
    }
    verified = None
    for stage in STAGES:
        if statuses.get(stage) != "terverifikasi":
            break
        verified = stage
    coop = db.session.get(Cooperative, tenant_id)
    if coop is not None:
        coop.verified_stage = verified
        coop.stages_awaiting_review = sum(1 for s in statuses.values() if s == "diajukan")


# --- the satgas ------------------------------------------------------------------------------


def satgas_regions(user_id: int) -> list[str]:
    return sorted(
        set(
            db.session.scalars(
                select(PlatformRole.region_code).where(
                    PlatformRole.user_id == user_id,
                    PlatformRole.role == "satgas",
                    PlatformRole.region_code.is_not(None),
                )
            )
        )
    )


def in_regions(village_code: str, region_codes: Iterable[str]) -> bool:
    return any(village_code == code or village_code.startswith(code + ".") for code in region_codes)


def cooperative_for_satgas(user_id: int, cooperative_id: int) -> Cooperative:
    """The named cross-tenant path of a satgas: a cooperative inside one of their regions, made
    the current tenant so its formation data can be read and reviewed. Outside: NotFound."""
    coop = db.session.get(Cooperative, cooperative_id)
    if coop is None or not in_regions(coop.village_code, satgas_regions(user_id)):
        raise NotFound(_l("Koperasi tidak ditemukan di wilayah Anda."))
    tenant_context.activate(coop.id)
    return coop


def review_stage(user_id: int, cooperative_id: int, stage: str, *, verify: bool, reason: str | None) -> None:
    """A satgas verifies a submitted stage, or returns it to the cooperative with a reason."""
    coop = cooperative_for_satgas(user_id, cooperative_id)
    record = db.session.scalar(select(FormationStage).where(FormationStage.stage == stage).with_for_update())
    if record is None or record.status not in ("diajukan", "terverifikasi", "dikembalikan"):
        raise DomainError(_l("Tahap ini belum diajukan untuk verifikasi."))
    if not verify and not reason:
        message = _l("Tuliskan alasan pengembalian.")
        raise DomainError(message, {"reason": [str(message)]})
    before = {"status": record.status, "return_reason": record.return_reason}
    record.status = "terverifikasi" if verify else "dikembalikan"
    record.return_reason = None if verify else reason
    record.reviewed_by, record.reviewed_at = user_id, datetime.now(UTC)
    audit.record(
        "formation_stage_verified" if verify else "formation_stage_returned",
        "formation_stage",
        record.id,
        before=before,
        after={"stage": stage, "status": record.status, "return_reason": record.return_reason},
        actor_id=user_id,
        cooperative_id=coop.id,
    )
    _refresh_summary(coop.id)
    db.session.commit()


def public_progress() -> list[tuple[str, str, date | None]]:
    """(stage label, status, date) of the current cooperative, for its public microsite."""
    return [(view.label, view.status, view.record.held_on if view.record else None) for view in overview()]
