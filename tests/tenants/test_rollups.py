"""Activity and region rollups, and the dashboards that read only them: counts per region level,
incremental activity from the audit log, drill-down, export, and a satgas kept to their province."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.db import db
from core.models import AuditEntry
from tenants import rollups, service
from tenants.context import tenant
from tenants.models import CooperativeActivity, RegionRollup, RollupWatermark
from tests.conftest import add_staff, grant_platform_role, make_cooperative, make_user


@pytest.fixture
def nation(app):
    jabar_1 = make_cooperative("32.04.12.2003", "cangkuang-wetan")
    jabar_2 = make_cooperative("32.04.12.2004", "desa-kedua")
    jateng = make_cooperative("33.07.07.1006", "kop-jateng")
    with tenant(jabar_1.id):
        service.save_legal_data({"ahu_number": "AHU-0012345.AH.01.29.TAHUN 2025", "nib": "1234567890123"})
        service.save_units({"sembako": ("beroperasi", None), "apotek": ("persiapan", None)})
    old = datetime.now(UTC) - timedelta(days=45)
    db.session.add(
        AuditEntry(action="journal_posted", entity="journal_entry", cooperative_id=jabar_2.id, at=old)
    )
    db.session.commit()
    return jabar_1, jabar_2, jateng


def test_the_rollup_counts_every_region_level_from_village_to_nation(nation):
    jabar_1, _jabar_2, _jateng = nation
    rollups.refresh()
    rows = {r.region_code: r for r in db.session.scalars(select(RegionRollup))}
    assert (rows["ID"].registered, rows["ID"].legal_entities, rows["ID"].active_30d) == (3, 1, 1)
    assert (rows["32"].registered, rows["32"].parent_code, rows["32"].level) == (2, "ID", 1)
    assert rows["32.04"].registered == 2 and rows["32.04.12"].registered == 2
    village = rows["32.04.12.2003"]
    assert (village.level, village.parent_code, village.legal_entities, village.active_30d) == (
        4,
        "32.04.12",
        1,
        1,
    )
    assert rows["ID"].by_unit["sembako"] == 1 and rows["ID"].by_unit["apotek"] == 0
    assert rows["ID"].by_model["pembentukan_baru"] == 3 and rows["ID"].by_stage["belum"] == 3
    assert rows["33"].registered == 1 and rows["33"].active_30d == 0


def test_activity_is_read_incrementally_and_refreshing_twice_changes_nothing(nation):
    _a, jabar_2, _c = nation
    rollups.refresh()
    first = db.session.get(RollupWatermark, "audit_log").last_id
    rollups.refresh()
    assert db.session.get(RollupWatermark, "audit_log").last_id == first
    assert db.session.get(RegionRollup, "ID").active_30d == 1
    db.session.add(AuditEntry(action="member_approved", entity="member", cooperative_id=jabar_2.id))
    db.session.commit()
    rollups.refresh()
    assert db.session.get(RollupWatermark, "audit_log").last_id > first
    db.session.expire_all()
    assert db.session.get(RegionRollup, "ID").active_30d == 2
    assert db.session.get(CooperativeActivity, jabar_2.id).last_activity_at > datetime.now(UTC) - timedelta(
        minutes=5
    )


def test_lagging_lists_the_cooperatives_without_recent_activity(nation):
    jabar_1, jabar_2, jateng = nation
    rollups.refresh()
    names = [c.slug for c, _last in rollups.lagging("32", 30)]
    assert names == ["desa-kedua"]
    assert [c.slug for c, _ in rollups.lagging("ID", 60)] == ["kop-jateng"]  # never active, 45 days is < 60


def test_a_satgas_sees_their_province_drills_down_and_exports_it(nation, make_client):
    rollups.refresh()
    satgas = make_user("Satgas Jabar")
    grant_platform_role(satgas, "satgas", region_code="32")
    http = make_client()
    http.login(satgas)
    page = http.get("/satgas/dasbor")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Jawa Barat" in body and "Kabupaten Bandung" in body
    district = http.get("/satgas/dasbor?region=32.04.12").get_data(as_text=True)
    assert "/satgas/koperasi/" in district
    lagging = http.get("/satgas/dasbor?region=32&lagging=30").get_data(as_text=True)
    assert "Koperasi Uji" in lagging and "kop-jateng" not in lagging
    csv_response = http.get("/satgas/dasbor?region=32&format=csv")
    lines = csv_response.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Kode wilayah,Wilayah,Terdaftar") and lines[1].startswith("32.04,")
    xlsx = http.get("/satgas/dasbor?region=32.04&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.cell(2, 1).value == "32.04.12" and sheet.cell(2, 3).value == 2


def test_a_satgas_of_one_province_never_sees_another_s_numbers(nation, make_client):
    rollups.refresh()
    satgas = make_user("Satgas Jateng")
    grant_platform_role(satgas, "satgas", region_code="33")
    http = make_client()
    http.login(satgas)
    for url in (
        "/satgas/dasbor?region=32",
        "/satgas/dasbor?region=ID",
        "/satgas/dasbor?region=32.04.12&format=csv",
    ):
        assert http.get(url).status_code == 404, url
    own = http.get("/satgas/dasbor?lagging=30").get_data(as_text=True)
    assert "Jawa Tengah" in own and "Cangkuang" not in own and "Jawa Barat" not in own


def test_the_platform_admin_sees_the_nation_and_others_are_refused(nation, make_client):
    rollups.refresh()
    admin = make_user("Admin")
    grant_platform_role(admin, "platform_admin")
    http = make_client()
    http.login(admin)
    body = http.get("/admin/dasbor").get_data(as_text=True)
    assert "Nasional" in body and "Jawa Barat" in body and "Jawa Tengah" in body
    ketua = add_staff(nation[0], "ketua")
    other = make_client()
    other.login(ketua)
    assert other.get("/admin/dasbor").status_code == 403
    assert other.get("/satgas/dasbor").status_code == 403


def test_the_dashboard_reads_only_rollups_not_live_tables(nation, make_client):
    admin = make_user("Admin")
    grant_platform_role(admin, "platform_admin")
    http = make_client()
    http.login(admin)
    assert "Belum ada rekap" in http.get("/admin/dasbor").get_data(as_text=True)  # not refreshed yet
