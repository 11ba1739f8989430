"""Bulk import of an existing cooperative registry (CSV or XLSX) by the platform admin.

Every row is validated (village code known and free, name, model, legal number and date, founding
date, officers' NIKs) and every problem is reported with its line number; only a file without a
single problem is imported, all rows in one transaction, each cooperative with its legal data and
officers under its own tenant. A village registered meanwhile makes the whole import fail cleanly.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db
from core.errors import DomainError
from core.identifiers import Nik
from core.models import User
from core.schemas import FormSchema, Trimmed
from tenants import service
from tenants.context import tenant
from tenants.models import FORMATION_MODELS, Cooperative, LegalData, Officer, Region
from tenants.schemas import AHU_NUMBER, VILLAGE_CODE, _past_date

MAX_ROWS = 20_000
MAX_BYTES = 8 * 1024 * 1024
SEATS = ("ketua", "sekretaris", "bendahara")
COLUMNS = (
    "village_code",
    "name",
    "formation_model",
    "ahu_number",
    "ahu_date",
    "founded_on",
    *[f"{seat}_{part}" for seat in SEATS for part in ("name", "nik")],
)
REQUIRED_COLUMNS = ("village_code", "name")


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str


class ImportRejected(DomainError):
    """The file has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            _l("Impor dibatalkan: %(n)s masalah. Tidak ada data yang disimpan.", n=len(problems))
        )
        self.problems = problems


class RegistryRowSchema(FormSchema):
    village_code = Trimmed(required=True, validate=VILLAGE_CODE)
    name = Trimmed(
        required=True, validate=validate.Length(min=5, max=160, error=_l("Nama koperasi 5–160 karakter."))
    )
    formation_model = fields.String(
        load_default="pembentukan_baru",
        validate=validate.OneOf(FORMATION_MODELS, error=_l("Model pembentukan tidak dikenal.")),
    )
    ahu_number = Trimmed(load_default=None, validate=AHU_NUMBER)
    ahu_date = _past_date(load_default=None)
    founded_on = _past_date(load_default=None)

    @validates_schema
    def _pairs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("ahu_number")) != bool(data.get("ahu_date")):
            raise ValidationError(_l("Isi nomor dan tanggal SK badan hukum bersama-sama."), "ahu_date")
        for seat in SEATS:
            if bool(data.get(f"{seat}_name")) != bool(data.get(f"{seat}_nik")):
                raise ValidationError(_l("Isi nama dan NIK bersama-sama."), f"{seat}_nik")
        niks = [data[f"{seat}_nik"] for seat in SEATS if data.get(f"{seat}_nik")]
        if len(niks) != len(set(niks)):
            raise ValidationError(_l("Satu orang hanya boleh memegang satu jabatan."), "ketua_nik")


for _seat in SEATS:
    RegistryRowSchema._declared_fields[f"{_seat}_name"] = Trimmed(
        load_default=None, validate=validate.Length(min=2, max=120)
    )
    RegistryRowSchema._declared_fields[f"{_seat}_nik"] = Nik(load_default=None)


def read_file(filename: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """(line number, row by column name) of a CSV or XLSX file whose first row names the columns."""
    if len(content) > MAX_BYTES:
        raise ImportRejected([Problem(0, "file", str(_l("Berkas terlalu besar (maksimal 8 MB).")))])
    lower = filename.lower()
    rows: list[list[str]]
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as err:
            raise ImportRejected([Problem(0, "file", str(_l("Berkas XLSX tidak dapat dibaca.")))]) from err
        rows = [
            ["" if v is None else (v.isoformat()[:10] if hasattr(v, "isoformat") else str(v)) for v in row]
            for row in (sheet.iter_rows(values_only=True) if sheet is not None else [])
        ]
    elif lower.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise ImportRejected([Problem(0, "file", str(_l("Berkas CSV harus UTF-8.")))]) from err
        delimiter = ";" if text[:2000].count(";") > text[:2000].count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise ImportRejected([Problem(0, "file", str(_l("Gunakan berkas .csv atau .xlsx.")))])
    if not rows:
        raise ImportRejected([Problem(0, "file", str(_l("Berkas kosong.")))])
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportRejected(
            [Problem(1, "header", str(_l("Kolom tidak ada: %(cols)s", cols=", ".join(missing))))]
        )
    body = [
        (
            line,
            {
                header[i]: v.strip()
                for i, v in enumerate(row)
                if i < len(header) and header[i] in COLUMNS and v.strip()
            },
        )
        for line, row in enumerate(rows[1:], start=2)
        if any(v.strip() for v in row)
    ]
    if len(body) > MAX_ROWS:
        raise ImportRejected(
            [Problem(0, "file", str(_l("Paling banyak %(n)s baris per berkas.", n=MAX_ROWS)))]
        )
    return body


def validate_rows(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, Any]]]:
    """Every row checked; all problems of all rows raised together, or the clean rows returned."""
    problems: list[Problem] = []
    clean: list[tuple[int, dict[str, Any]]] = []
    schema = RegistryRowSchema()
    for line, raw in rows:
        try:
            clean.append((line, schema.load(raw)))
        except ValidationError as err:
            for column, messages in sorted(err.normalized_messages().items()):
                for message in messages if isinstance(messages, list) else [messages]:
                    problems.append(Problem(line, column, str(message)))
    codes = [row["village_code"] for _line, row in clean]
    villages = set(db.session.scalars(select(Region.code).where(Region.code.in_(codes), Region.level == 4)))
    taken = {
        code: name
        for code, name in db.session.execute(
            select(Cooperative.village_code, Cooperative.name).where(Cooperative.village_code.in_(codes))
        )
    }
    first_line: dict[str, int] = {}
    for line, row in clean:
        code = row["village_code"]
        if code not in villages:
            problems.append(
                Problem(
                    line,
                    "village_code",
                    str(_l("Desa/kelurahan tidak ditemukan dalam daftar wilayah resmi.")),
                )
            )
        elif code in taken:
            problems.append(
                Problem(
                    line,
                    "village_code",
                    str(_l("Desa ini sudah memiliki koperasi: %(name)s.", name=taken[code])),
                )
            )
        elif code in first_line:
            problems.append(
                Problem(
                    line,
                    "village_code",
                    str(_l("Desa yang sama sudah ada di baris %(line)s.", line=first_line[code])),
                )
            )
        first_line.setdefault(code, line)
    if problems:
        raise ImportRejected(sorted(problems, key=lambda p: (p.line, p.column)))
    return clean


def import_registry(filename: str, content: bytes, by: User) -> int:
    """Import every row of the file, or none: returns how many cooperatives were registered."""
    rows = validate_rows(read_file(filename, content))
    try:
        for _line, row in rows:
            coop = service._insert_cooperative(
                row["village_code"],
                {k: row.get(k) for k in ("name", "formation_model", "founded_on")},
                by,
            )
            with tenant(coop.id):
                if row.get("ahu_number"):
                    db.session.add(LegalData(ahu_number=row["ahu_number"].upper(), ahu_date=row["ahu_date"]))
                    coop.legal_entity = True
                for seat in SEATS:
                    if row.get(f"{seat}_nik"):
                        db.session.add(
                            Officer(position=seat, name=row[f"{seat}_name"], nik=row[f"{seat}_nik"])
                        )
                db.session.flush()
        audit.record("registry_imported", "cooperative", None, after={"file": filename, "rows": len(rows)})
        db.session.commit()
    except (IntegrityError, DomainError) as err:
        db.session.rollback()
        message = err.message if isinstance(err, DomainError) else _l("Data berubah selama impor; coba lagi.")
        raise ImportRejected([Problem(0, "file", str(message))]) from None
    return len(rows)
