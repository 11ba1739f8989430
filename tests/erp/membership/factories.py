"""Members in one line: a valid application (NIK agreeing with birth date and gender) and an
active member."""

from __future__ import annotations

from datetime import date
from itertools import count
from typing import Any

from erp.membership import service
from erp.membership.models import Member

DISTRICT = "320412"  # Jawa Barat › Bandung › Banjaran
VILLAGE = "32.04.12.2003"
_serials = count(1)


def make_nik(
    born: date = date(1990, 1, 15), gender: str = "L", district: str = DISTRICT, serial: int | None = None
) -> str:
    day = born.day + (40 if gender == "P" else 0)
    serial = serial if serial is not None else next(_serials) % 9999 + 1
    return f"{district}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"


def application(**overrides: Any) -> dict[str, Any]:
    born = overrides.pop("birth_date", date(1990, 1, 15))
    gender = overrides.pop("gender", "P")
    data: dict[str, Any] = {
        "nik": make_nik(born, gender),
        "kk_number": "3204120101900001",
        "name": "Siti Aminah",
        "birth_place": "Bandung",
        "birth_date": born,
        "gender": gender,
        "address": "Jl. Raya Cangkuang No. 5",
        "village_code": VILLAGE,
        "phone": None,
        "occupation": "Petani",
    }
    data.update(overrides)
    return data


def form_of(data: dict[str, Any]) -> dict[str, str]:
    return {k: v.isoformat() if isinstance(v, date) else str(v) for k, v in data.items() if v is not None}


def make_member(**overrides: Any) -> Member:
    """An active member of the current cooperative."""
    member = service.apply(application(**overrides))
    return service.approve(member.id, on=date(2025, 1, 2))
