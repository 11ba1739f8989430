"""The register's use cases: apply, approve or refuse, suspend and reinstate, resign, record a
death, import a register, read personal data (audited), and look members up for other modules.

Invariants: a NIK is registered once per cooperative; member numbers (`A-0001`, …) follow one
sequence per cooperative, given under a lock so two approvals never share one; only pengurus
decide; every change and every view of full personal data leaves an audit entry in the same
transaction; an import writes every row or none.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import Integer, cast, func, insert, select
from sqlalchemy.exc import IntegrityError

from core import audit, images
from core.auth import hash_password
from core.db import db
from core.errors import AlreadyExists, DomainError, ErrorCode, NotFound, plain
from core.images import PhotoRefused as PhotoRefused
from core.models import User
from erp.ledger import shu
from erp.membership.models import PHOTO_MAX_BYTES, PHOTO_MAX_SIDE, Member, MemberPhoto, MemberStatus
from erp.membership.schemas import MemberOutSchema, MemberSchema
from tenants.context import current_tenant_id, require_tenant
from tenants.models import Membership, Region

NUMBER_PREFIX = "A-"
MAX_IMPORT_ROWS = 20_000
IMPORT_COLUMNS = (
    "nik",
    "kk_number",
    "name",
    "birth_place",
    "birth_date",
    "gender",
    "address",
    "village_code",
    "phone",
    "occupation",
)


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION
    status = 422


class ImportRejected(DomainError):
    """An import refused as a whole; `problems` lists every bad row (line, field, message)."""

    code = ErrorCode.IMPORT_REJECTED
    status = 422

    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(
            _l("Impor dibatalkan: %(n)s kesalahan, tidak ada data yang disimpan.", n=len(problems))
        )
        self.problems = problems


@dataclass(frozen=True)
class ImportProblem:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class MemberRef:
    """What other modules need of an active member."""

    id: int
    member_number: str
    name: str


# --- look-ups for other modules ------------------------------------------------------------------


def get_member(member_id: int) -> Member:
    require_tenant()
    member = db.session.get(Member, member_id) if isinstance(member_id, int) else None
    if member is None or member.tenant_id != current_tenant_id():
        raise NotFound(_l("Anggota tidak ditemukan."))
    return member


def member_by_number(member_number: str) -> Member | None:
    require_tenant()
    return db.session.scalar(select(Member).where(Member.member_number == member_number.strip().upper()))


def active_members() -> list[MemberRef]:
    """Active members with their numbers, in number order (for SHU, billing, lists)."""
    require_tenant()
    rows = db.session.execute(
        select(Member.id, Member.member_number, Member.name)
        .where(Member.status == MemberStatus.ACTIVE.value)
        .order_by(Member.member_number)
    )
    return [MemberRef(id_, number or "", name) for id_, number, name in rows]


def member_of_user(user_id: int) -> Member | None:
    """The member record of a portal user in the current cooperative."""
    require_tenant()
    return db.session.scalar(select(Member).where(Member.user_id == user_id))


def list_members(status: str | None = None, query: str | None = None, limit: int = 200) -> list[Member]:
    require_tenant()
    stmt = select(Member).order_by(Member.member_number.nulls_first(), Member.name).limit(min(limit, 1000))
    if status:
        stmt = stmt.where(Member.status == status)
    if query:
        pattern = f"%{query.strip()[:80]}%"
        stmt = stmt.where(Member.name.ilike(pattern) | Member.member_number.ilike(pattern))
    return list(db.session.scalars(stmt))


def counts_by_status() -> dict[str, int]:
    require_tenant()
    rows = db.session.execute(select(Member.status, func.count()).group_by(Member.status))
    return {status: int(n) for status, n in rows}


# --- lifecycle -----------------------------------------------------------------------------------


def apply(data: dict[str, Any]) -> Member:
    """Register an application to join (data already passed `MemberSchema`)."""
    require_tenant()
    member = Member(status=MemberStatus.APPLIED.value, **{k: data.get(k) for k in IMPORT_COLUMNS})
    db.session.add(member)
    try:
        db.session.flush()
    except IntegrityError as err:
        db.session.rollback()
        if "uq_members_tenant_id_nik" in str(err.orig):
            raise AlreadyExists(
                _l("NIK ini sudah terdaftar di koperasi."), fields={"nik": [str(_l("NIK sudah terdaftar."))]}
            ) from err
        raise
    audit.record("member.applied", "member", member.id, after={"name": member.name})
    db.session.commit()
    return member


def approve(member_id: int, *, on: date | None = None) -> Member:
    """Admit an applicant: the next member number of the cooperative, and active from `on`."""
    member = _locked(member_id)
    _expect(member, MemberStatus.APPLIED)
    member.member_number = _next_numbers(1)[0]
    member.status = MemberStatus.ACTIVE.value
    member.joined_on = on or date.today()
    member.decided_by = audit_actor()
    _touch(member)
    audit.record("member.approved", "member", member.id, after={"member_number": member.member_number})
    db.session.commit()
    return member


def refuse(member_id: int, reason: str) -> Member:
    member = _locked(member_id)
    _expect(member, MemberStatus.APPLIED)
    member.status = MemberStatus.REFUSED.value
    member.refusal_reason = reason
    member.decided_by = audit_actor()
    _touch(member)
    audit.record("member.refused", "member", member.id, after={"reason": reason})
    db.session.commit()
    return member


def suspend(member_id: int, reason: str) -> Member:
    member = _locked(member_id)
    _expect(member, MemberStatus.ACTIVE)
    member.status = MemberStatus.SUSPENDED.value
    member.status_reason = reason
    _touch(member)
    audit.record("member.suspended", "member", member.id, after={"reason": reason})
    db.session.commit()
    return member


def reinstate(member_id: int) -> Member:
    member = _locked(member_id)
    _expect(member, MemberStatus.SUSPENDED)
    member.status = MemberStatus.ACTIVE.value
    member.status_reason = None
    _touch(member)
    audit.record("member.reinstated", "member", member.id)
    db.session.commit()
    return member


def resign(member_id: int, reason: str, *, on: date | None = None) -> Member:
    """A member leaves (keluar): every savings balance is paid out and the accounts closed, in the
    same transaction as the change of status."""
    member = _locked(member_id)
    _expect(member, MemberStatus.ACTIVE, MemberStatus.SUSPENDED)
    on = on or date.today()
    settled = _settle_savings(member, on, payee=member.name)
    member.status = MemberStatus.RESIGNED.value
    member.status_reason = reason
    member.left_on = on
    _touch(member)
    audit.record("member.resigned", "member", member.id, after={"reason": reason, "paid_out": settled})
    db.session.commit()
    return member


def record_death(member_id: int, heir_name: str, heir_nik: str | None, on: date) -> Member:
    """A member died: savings are paid out to the heir, and the member leaves the register."""
    member = _locked(member_id)
    _expect(member, MemberStatus.ACTIVE, MemberStatus.SUSPENDED)
    settled = _settle_savings(member, on, payee=heir_name)
    member.status = MemberStatus.DECEASED.value
    member.heir_name = heir_name
    member.heir_nik = heir_nik
    member.left_on = on
    _touch(member)
    audit.record("member.deceased", "member", member.id, after={"heir": heir_name, "paid_out": settled})
    db.session.commit()
    return member


def _settle_savings(member: Member, on: date, payee: str) -> int:
    from erp.savings import service as savings  # savings depends on the register, not the reverse

    return savings.settle_on_exit(member.id, on=on, payee=payee)


# --- personal data (UU PDP) ----------------------------------------------------------------------


def view_personal_data(member_id: int, purpose: str) -> Member:
    """The full record, for a role that needs it; the view itself is audited."""
    member = get_member(member_id)
    audit.record("member.personal_viewed", "member", member.id, after={"purpose": purpose[:100]})
    db.session.commit()
    return member


def export_own_data(member: Member) -> dict[str, Any]:
    """Everything the register holds about the member, for the member's own download, the photo
    included (a base64 JPEG under `photo`, or None)."""
    audit.record("member.data_exported", "member", member.id)
    db.session.commit()
    data: dict[str, Any] = MemberOutSchema().dump(member)
    photo = db.session.scalar(select(MemberPhoto).where(MemberPhoto.member_id == member.id))
    data["photo"] = (
        None
        if photo is None
        else {
            "format": "image/jpeg",
            "width": photo.width,
            "height": photo.height,
            "base64": base64.b64encode(photo.jpeg).decode("ascii"),
        }
    )
    return data


def export_csv(data: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["field", "value"])
    for key, value in data.items():
        writer.writerow([key, "" if value is None else value])
    return out.getvalue()


def grant_portal_access(member_id: int, pin: str) -> User:
    """Let a member sign in to the portal with their phone number and a 6-digit PIN: links (or
    creates) the user with that phone and gives it the `anggota` role in this cooperative."""
    tenant_id = require_tenant()
    member = _locked(member_id)
    _expect(member, MemberStatus.ACTIVE, MemberStatus.SUSPENDED)
    if not member.phone:
        raise InvalidTransition(_l("Anggota belum punya nomor HP untuk masuk portal."))
    user = db.session.scalar(select(User).where(User.phone == member.phone))
    if user is None:
        user = User(name=member.name, phone=member.phone, password_hash=hash_password(pin))
        db.session.add(user)
        db.session.flush()
    else:
        user.password_hash = hash_password(pin)
    membership = db.session.scalar(
        select(Membership).where(Membership.cooperative_id == tenant_id, Membership.user_id == user.id)
    )
    if membership is None:
        db.session.add(Membership(cooperative_id=tenant_id, user_id=user.id, roles=["anggota"]))
    elif "anggota" not in membership.roles:
        membership.roles = [*membership.roles, "anggota"]
    member.user_id = user.id
    _touch(member)
    audit.record("member.portal_access", "member", member.id, after={"user_id": user.id})
    db.session.commit()
    return user


# --- import --------------------------------------------------------------------------------------


def read_import_file(filename: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX register as dicts by column name (header row first)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as err:
            raise ImportRejected(
                [ImportProblem(0, "file", str(_l("Berkas XLSX tidak dapat dibaca.")))]
            ) from err
        rows_iter: Iterable[Iterable[Any]] = sheet.iter_rows(values_only=True) if sheet is not None else []
        rows = [[_cell(v) for v in row] for row in rows_iter]
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ImportRejected([ImportProblem(0, "file", str(_l("Berkas CSV harus UTF-8.")))]) from err
        sample = text[:2000]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Gunakan berkas .csv atau .xlsx.")))])
    if not rows:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Berkas kosong.")))])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in IMPORT_COLUMNS if c not in header and c not in ("phone", "occupation")]
    if missing:
        raise ImportRejected(
            [ImportProblem(1, "header", str(_l("Kolom tidak ada: %(cols)s", cols=", ".join(missing))))]
        )
    return [
        {header[i]: value.strip() for i, value in enumerate(row) if i < len(header) and value.strip()}
        for row in rows[1:]
        if any(v.strip() for v in row)
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def import_members(rows: list[dict[str, str]], *, on: date | None = None, first_line: int = 2) -> int:
    """Add a register of existing members, all active and numbered in file order, or nothing:
    every row is checked (line numbers count the header as line 1) and every problem reported."""
    require_tenant()
    if len(rows) > MAX_IMPORT_ROWS:
        raise ImportRejected(
            [ImportProblem(0, "file", str(_l("Paling banyak %(n)s baris per impor.", n=MAX_IMPORT_ROWS)))]
        )
    districts = set(db.session.scalars(select(Region.code).where(Region.level == 3)))
    villages_wanted = {r.get("village_code", "") for r in rows}
    villages = set(db.session.scalars(select(Region.code).where(Region.code.in_(villages_wanted))))
    schema = MemberSchema(district_exists=districts.__contains__, village_exists=villages.__contains__)
    problems: list[ImportProblem] = []
    valid: list[dict[str, Any]] = []
    first_seen: dict[str, int] = {}
    for offset, row in enumerate(rows):
        line = first_line + offset
        try:
            data = schema.load(row)
        except ValidationError as err:
            for field, messages in sorted(plain(err.normalized_messages()).items()):
                problems.extend(ImportProblem(line, field, str(m)) for m in messages)
            continue
        if data["nik"] in first_seen:
            problems.append(
                ImportProblem(
                    line, "nik", str(_l("NIK ganda: sama dengan baris %(n)s.", n=first_seen[data["nik"]]))
                )
            )
            continue
        first_seen[data["nik"]] = line
        valid.append(data)
    known = set(db.session.scalars(select(Member.nik).where(Member.nik.in_(list(first_seen)))))
    for nik in sorted(known, key=first_seen.__getitem__):
        problems.append(ImportProblem(first_seen[nik], "nik", str(_l("NIK sudah terdaftar di koperasi."))))
    if problems:
        db.session.rollback()
        raise ImportRejected(sorted(problems, key=lambda p: (p.line, p.field)))
    if not valid:
        raise ImportRejected([ImportProblem(0, "file", str(_l("Tidak ada baris data.")))])
    numbers = _next_numbers(len(valid))
    joined = on or date.today()
    tenant_id = current_tenant_id()
    db.session.execute(
        insert(Member),
        [
            {
                "tenant_id": tenant_id,
                **{k: data.get(k) for k in IMPORT_COLUMNS},
                "member_number": number,
                "status": MemberStatus.ACTIVE.value,
                "joined_on": joined,
            }
            for data, number in zip(valid, numbers, strict=True)
        ],
    )
    audit.record("member.imported", "member", None, after={"rows": len(valid), "first": numbers[0]})
    db.session.commit()
    return len(valid)


# --- internals -----------------------------------------------------------------------------------


def format_number(n: int) -> str:
    return f"{NUMBER_PREFIX}{n:04d}"


def _next_numbers(count: int) -> list[str]:
    """The next `count` member numbers of the cooperative, reserved until the transaction ends."""
    tenant_id = require_tenant()
    db.session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"members.number:{tenant_id}", 0)))
    )
    highest = db.session.scalar(
        select(func.max(cast(func.substr(Member.member_number, len(NUMBER_PREFIX) + 1), Integer)))
    )
    start = int(highest or 0) + 1
    return [format_number(n) for n in range(start, start + count)]


def _locked(member_id: int) -> Member:
    require_tenant()
    member = db.session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise NotFound(_l("Anggota tidak ditemukan."))
    return member


_STATUS_LABELS = {
    MemberStatus.APPLIED: _l("permohonan"),
    MemberStatus.REFUSED: _l("ditolak"),
    MemberStatus.ACTIVE: _l("aktif"),
    MemberStatus.SUSPENDED: _l("diberhentikan sementara"),
    MemberStatus.RESIGNED: _l("keluar"),
    MemberStatus.DECEASED: _l("meninggal dunia"),
}


def status_label(status: str) -> Any:
    return _STATUS_LABELS.get(MemberStatus(status), status)


def _expect(member: Member, *allowed: MemberStatus) -> None:
    if member.status not in allowed:
        raise InvalidTransition(
            _l(
                "Tindakan ini tidak berlaku untuk anggota berstatus %(status)s.",
                status=status_label(member.status),
            )
        )


def _touch(member: Member) -> None:
    member.updated_at = func.now()


def audit_actor() -> int | None:
    from flask import has_request_context
    from flask_login import current_user

    if has_request_context() and current_user.is_authenticated:
        return int(current_user.id)
    return None


def rat_statistics(year: int) -> list[tuple[Any, int]]:
    """The member figures of the annual members' meeting (RAT): joined and left in `year`, and the
    members at its end."""
    require_tenant()
    start, end = date(year, 1, 1), date(year, 12, 31)

    def count(*where: Any) -> int:
        return int(db.session.scalar(select(func.count()).select_from(Member).where(*where)) or 0)

    return [
        (_l("Anggota baru"), count(Member.joined_on.between(start, end))),
        (_l("Anggota keluar"), count(Member.left_on.between(start, end))),
        (
            _l("Jumlah anggota akhir tahun"),
            count(Member.joined_on <= end, (Member.left_on.is_(None)) | (Member.left_on > end)),
        ),
    ]


# --- photo ---------------------------------------------------------------------------------------

# What a phone camera sends is a few MB; anything larger is refused before it is decoded, and so is
# an image whose pixel count could exhaust memory (a "decompression bomb"). The register keeps
# JPEG or PNG only.
PHOTO_UPLOAD_LIMIT = images.MAX_BYTES
PHOTO_MAX_PIXELS = images.MAX_PIXELS
PHOTO_MIN_SIDE = 64


def _photo_jpeg(content: bytes) -> images.Jpeg:
    """The upload checked by its content (JPEG or PNG, whatever its name says), turned upright,
    flattened onto white, shrunk to fit the register's size and re-encoded as a JPEG that carries
    no EXIF or other metadata (no GPS position, no camera)."""
    image = images.decode(
        content,
        min_side=PHOTO_MIN_SIDE,
        accept=images.JPEG_PNG,
        max_bytes=PHOTO_UPLOAD_LIMIT,
        max_pixels=PHOTO_MAX_PIXELS,
        largest=PHOTO_MAX_SIDE,
    )
    return images.to_jpeg(image, PHOTO_MAX_SIDE, max_bytes=PHOTO_MAX_BYTES)


def set_photo(member_id: int, content: bytes, *, by: int | None = None) -> MemberPhoto:
    """Give a member a photo, or replace it. Bad files are refused and nothing changes."""
    member = get_member(member_id)
    jpeg = _photo_jpeg(content)
    photo = db.session.scalar(select(MemberPhoto).where(MemberPhoto.member_id == member.id).with_for_update())
    replaced = photo is not None
    if photo is None:
        photo = MemberPhoto(member_id=member.id)
        db.session.add(photo)
    photo.jpeg, photo.width, photo.height = jpeg.data, jpeg.width, jpeg.height
    photo.updated_at = datetime.now(UTC)
    photo.updated_by = by
    db.session.flush()
    audit.record(
        "member.photo_set",
        "member",
        member.id,
        after={"bytes": len(jpeg.data), "width": jpeg.width, "height": jpeg.height, "replaced": replaced},
        actor_id=by,
    )
    db.session.commit()
    return photo


def remove_photo(member_id: int, *, by: int | None = None) -> bool:
    """Delete a member's photo; False when there was none."""
    member = get_member(member_id)
    photo = db.session.scalar(select(MemberPhoto).where(MemberPhoto.member_id == member.id))
    if photo is None:
        return False
    db.session.delete(photo)
    audit.record("member.photo_removed", "member", member.id, actor_id=by)
    db.session.commit()
    return True


def photo_of(member_id: int) -> MemberPhoto | None:
    member = get_member(member_id)
    return db.session.scalar(select(MemberPhoto).where(MemberPhoto.member_id == member.id))


def has_photo(member_id: int) -> bool:
    member = get_member(member_id)
    return db.session.scalar(select(MemberPhoto.id).where(MemberPhoto.member_id == member.id)) is not None


# SHU: the members and the RAT's member figures come from the register.
shu.sources.register("members", active_members)
shu.sources.register("member_statistics", rat_statistics)
