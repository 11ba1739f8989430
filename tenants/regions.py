"""The official Kemendagri region list: import (idempotent, with COPY) and lookups for pickers.

Codes are dotted (`32.04.12.2003`); the level follows from the number of segments and the parent
is the code without its last segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Connection

from core.db import db
from tenants.models import Region

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "wilayah"
MAX_RESULTS = 50

FILES = {
    "provinces.csv": "code, name",
    "regencies.csv": "code, parent_code, name, kind",
    "districts.csv": "code, parent_code, name",
    "villages.csv": "code, parent_code, name, kind",
}

_STAGE = """
CREATE TEMP TABLE regions_stage (
    code varchar(13), parent_code varchar(13), name varchar(120), kind varchar(12)
) ON COMMIT DROP
"""

# One import at a time (SHARE ROW EXCLUSIVE conflicts with itself and with writers); readers and
# the foreign-key checks of new cooperatives (ROW SHARE) go on.
_LOCK = "LOCK TABLE regions IN SHARE ROW EXCLUSIVE MODE"

# Changed rows only: a hash join, and no lock or WAL for the rows that stay the same (an
# `ON CONFLICT DO UPDATE … WHERE` locks and logs every conflicting row, changed or not).
_UPDATE = """
UPDATE regions
SET parent_code = s.parent_code, level = s.level, name = s.name, lower_name = lower(s.name), kind = s.kind
FROM (
    SELECT code, parent_code, array_length(string_to_array(code, '.'), 1) AS level, name, kind
    FROM regions_stage
) AS s
WHERE regions.code = s.code
  AND (regions.parent_code, regions.level, regions.name, regions.kind)
      IS DISTINCT FROM (s.parent_code, s.level, s.name, s.kind)
"""

# What is left in the stage after dropping the codes already known is new: plain inserts, no
# speculative insertion per row. The INSERT must not read `regions` itself: an anti-join planned
# while the table is empty (a nested loop over it) would rescan it as it grows, quadratically.
_KNOWN = "DELETE FROM regions_stage USING regions WHERE regions.code = regions_stage.code"

_INSERT = """
INSERT INTO regions (code, parent_code, level, name, lower_name, kind)
SELECT code, parent_code, array_length(string_to_array(code, '.'), 1), name, lower(name), kind
FROM regions_stage
"""


def import_regions(conn: Connection, data_dir: Path = DATA_DIR) -> int:
    """Load or refresh all regions in the caller's transaction; returns how many rows changed.

    The CSV files are streamed unchanged into a staging table with COPY; levels and the search key
    are derived in SQL, and only new or changed rows are written (changed rows updated, then new
    rows inserted, under a table lock that serialises concurrent imports)."""
    raw = conn.connection.driver_connection
    if raw is None:
        raise RuntimeError("region import needs a live psycopg connection")
    with raw.cursor() as cur:
        cur.execute(_STAGE)
        for filename, columns in FILES.items():
            with (
                cur.copy(f"COPY regions_stage ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                (data_dir / filename).open("rb") as f,
            ):
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
        cur.execute(_LOCK)
        cur.execute(_UPDATE)
        changed = cur.rowcount
        cur.execute(_KNOWN)
        cur.execute(_INSERT)
        changed += cur.rowcount
        cur.execute("DROP TABLE regions_stage")
    return changed


@dataclass(frozen=True)
class RegionPath:
    """A region with its ancestors, for display: `Desa, Kecamatan, Kabupaten, Provinsi`."""

    code: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return ", ".join(self.names)


def ancestors(code: str) -> list[str]:
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def path_of(code: str) -> RegionPath | None:
    codes = ancestors(code)
    rows = {r.code: r.name for r in db.session.scalars(select(Region).where(Region.code.in_(codes)))}
    if code not in rows:
        return None
    return RegionPath(code, tuple(rows[c] for c in reversed(codes) if c in rows))


def paths_of(codes: list[str]) -> dict[str, RegionPath]:
    """Paths for many region codes in one query."""
    wanted = {a for c in codes for a in ancestors(c)}
    rows = {r.code: r.name for r in db.session.scalars(select(Region).where(Region.code.in_(wanted)))}
    return {
        c: RegionPath(c, tuple(rows[a] for a in reversed(ancestors(c)) if a in rows))
        for c in codes
        if c in rows
    }


def children(parent_code: str | None) -> list[Region]:
    """Provinces (no parent) or the regions directly under `parent_code`, by name."""
    stmt = select(Region).order_by(Region.name)
    stmt = stmt.where(Region.level == 1) if not parent_code else stmt.where(Region.parent_code == parent_code)
    return list(db.session.scalars(stmt))


def get(code: str) -> Region | None:
    return db.session.get(Region, code)


def search_villages(query: str, within: str | None = None, limit: int = 20) -> list[RegionPath]:
    """Villages whose name starts with `query` (type-ahead), optionally within a region."""
    query = query.strip().lower()
    if len(query) < 2:
        return []
    stmt = (
        select(Region.code)
        .where(Region.level == 4, Region.lower_name.startswith(query, autoescape=True))
        .order_by(Region.name, Region.code)
        .limit(min(limit, MAX_RESULTS))
    )
    if within:
        stmt = stmt.where(Region.code.startswith(within + ".", autoescape=True))
    codes = list(db.session.scalars(stmt))
    paths = paths_of(codes)
    return [paths[c] for c in codes if c in paths]
