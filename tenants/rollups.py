"""Activity and region rollups: the only path by which dashboards read across cooperatives.

`refresh()` (scheduled) first advances each cooperative's last activity from the audit log past a
watermark (incremental: only new entries are read), then rebuilds the counts of every region, from
village to nation, from the cooperatives' registry rows, their activity and the member counts in
one statement, in one transaction: readers see the previous rollup until it commits.
"Aktif memperbarui" = at least one recorded business event in the last `ACTIVE_DAYS` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, or_, select, text

from core.db import db
from core.models import AuditEntry
from tenants.models import (
    FORMATION_MODELS,
    STAGES,
    UNIT_TYPES,
    Cooperative,
    CooperativeActivity,
    RegionRollup,
    RollupSnapshot,
    RollupWatermark,
)

ACTIVE_DAYS = 30
NATION = "ID"
# audit ids are taken at insert and may commit out of order: re-read a margin behind the watermark
REREAD_MARGIN = 10_000
LAGGING_LIMIT = 500

_ACTIVITY = """
INSERT INTO cooperative_activity (cooperative_id, last_activity_at)
SELECT cooperative_id, max(at) FROM audit_log
WHERE id > :after AND id <= :upto AND cooperative_id IS NOT NULL
GROUP BY cooperative_id
ON CONFLICT (cooperative_id) DO UPDATE
SET last_activity_at = greatest(cooperative_activity.last_activity_at, EXCLUDED.last_activity_at)
"""


def _json(column: str, values: tuple[str, ...], test: str) -> str:
    pairs = ", ".join(f"'{v}', count(*) FILTER (WHERE {test.format(column=column, value=v)})" for v in values)
    return f"jsonb_build_object({pairs})"


_REBUILD = f"""
INSERT INTO region_rollups (region_code, parent_code, level, registered, legal_entities, microsite_filled,
                            active_30d, members, by_stage, by_model, by_unit, refreshed_at)
WITH coop AS (
    SELECT c.village_code, c.formation_model, coalesce(c.verified_stage, 'belum') AS stage,
           c.legal_entity, c.operating_units,
           (c.address IS NOT NULL AND (c.phone IS NOT NULL OR c.email IS NOT NULL)
            AND c.founded_on IS NOT NULL) AS filled,
           coalesce(a.last_activity_at >= now() - interval '{ACTIVE_DAYS} days', false) AS active,
           coalesce(m.members, 0) AS members
    FROM cooperatives c
    LEFT JOIN cooperative_activity a ON a.cooperative_id = c.id
    LEFT JOIN rollup_member_counts() m ON m.tenant_id = c.id
)
SELECT r.code, r.parent, r.level, count(*),
       count(*) FILTER (WHERE legal_entity), count(*) FILTER (WHERE filled),
       count(*) FILTER (WHERE active), sum(members),
       {_json("stage", ("belum", *STAGES), "{column} = '{value}'")},
       {_json("formation_model", FORMATION_MODELS, "{column} = '{value}'")},
       {_json("operating_units", UNIT_TYPES, "'{value}' = ANY({column})")},
       now()
FROM coop CROSS JOIN LATERAL (VALUES
    ('{NATION}', NULL, 0),
    (left(village_code, 2), '{NATION}', 1),
    (left(village_code, 5), left(village_code, 2), 2),
    (left(village_code, 8), left(village_code, 5), 3),
    (village_code, left(village_code, 8), 4)
) AS r(code, parent, level)
GROUP BY r.code, r.parent, r.level
"""  # noqa: S608 - built from the constant tuples above, never from input

_SNAPSHOT = """
INSERT INTO rollup_snapshots (day, region_code, registered, legal_entities, active_30d)
SELECT current_date, region_code, registered, legal_entities, active_30d FROM region_rollups WHERE level <= 1
ON CONFLICT (day, region_code) DO UPDATE
SET registered = EXCLUDED.registered, legal_entities = EXCLUDED.legal_entities,
    active_30d = EXCLUDED.active_30d
"""


def refresh() -> str:
    """Advance activity from the audit log, then rebuild every region's counts (one transaction)."""
    session = db.session
    upto = session.scalar(select(func.coalesce(func.max(AuditEntry.id), 0))) or 0
    mark = session.get(RollupWatermark, "audit_log", with_for_update=True)
    if mark is None:
        mark = RollupWatermark(source="audit_log", last_id=0)
        session.add(mark)
    after = max(0, mark.last_id - REREAD_MARGIN)
    session.execute(text(_ACTIVITY), {"after": after, "upto": upto})
    mark.last_id = max(mark.last_id, upto)
    session.execute(text("DELETE FROM region_rollups"))
    session.execute(text(_REBUILD))
    session.execute(text(_SNAPSHOT))
    regions = session.scalar(select(func.count()).select_from(RegionRollup))
    session.commit()
    return f"{regions} regions, audit log read to id {upto}"


# --- reads for the dashboards -----------------------------------------------------------------


@dataclass(frozen=True)
class RegionDashboard:
    row: RegionRollup | None
    children: list[RegionRollup]
    trend: list[RollupSnapshot]


def region_dashboard(region_code: str) -> RegionDashboard:
    """One region's counts, its child regions' counts, and its trend (from the rollups only)."""
    row = db.session.get(RegionRollup, region_code)
    children = list(
        db.session.scalars(
            select(RegionRollup)
            .where(RegionRollup.parent_code == region_code)
            .order_by(RegionRollup.region_code)
        )
    )
    trend = list(
        db.session.scalars(
            select(RollupSnapshot)
            .where(RollupSnapshot.region_code == region_code)
            .order_by(RollupSnapshot.day.desc())
            .limit(90)
        )
    )
    return RegionDashboard(row, children, list(reversed(trend)))


def lagging(region_code: str, days: int) -> list[tuple[Cooperative, datetime | None]]:
    """Cooperatives of a region with no recorded activity for `days` days (or ever), oldest first."""
    since = datetime.now(UTC) - timedelta(days=days)
    stmt = (
        select(Cooperative, CooperativeActivity.last_activity_at)
        .outerjoin(CooperativeActivity, CooperativeActivity.cooperative_id == Cooperative.id)
        .where(
            or_(CooperativeActivity.last_activity_at.is_(None), CooperativeActivity.last_activity_at < since)
        )
        .order_by(CooperativeActivity.last_activity_at.asc().nulls_first(), Cooperative.name)
        .limit(LAGGING_LIMIT)
    )
    if region_code != NATION:
        stmt = stmt.where(Cooperative.village_code.startswith(region_code + ".", autoescape=True))
    return [(coop, last) for coop, last in db.session.execute(stmt)]


def cooperatives_of_villages(codes: list[str]) -> dict[str, Cooperative]:
    """The cooperative of each village (for the village level of the drill-down)."""
    rows = db.session.scalars(select(Cooperative).where(Cooperative.village_code.in_(codes)))
    return {c.village_code: c for c in rows}


def last_refreshed() -> date | None:
    row = db.session.get(RegionRollup, NATION)
    return row.refreshed_at.date() if row else None
