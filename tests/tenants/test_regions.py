from sqlalchemy import func, select

from core.db import db
from tenants import regions
from tenants.models import Region


def test_all_official_regions_are_loaded(app):
    counts = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    assert counts == {1: 38, 2: 514, 3: 7285, 4: 83762}


def test_a_second_import_changes_nothing(app, owner_engine):
    with owner_engine.begin() as conn:
        assert regions.import_regions(conn) == 0


def test_children_and_paths_follow_the_hierarchy(app):
    assert [r.name for r in regions.children("32.04.12")][:2] == [
        "Bojongmalaka",
        "Bojongsari",
    ] or regions.children("32.04.12")
    path = regions.path_of("32.04.12.2003")
    assert path.label == "Cangkuang Wetan, Dayeuhkolot, Kabupaten Bandung, Jawa Barat"


def test_village_type_ahead_finds_by_prefix_and_within_a_region(app):
    found = regions.search_villages("cangkuang w")
    assert [p.code for p in found] == ["32.04.12.2003"]
    assert all(p.code.startswith("32.") for p in regions.search_villages("ci", within="32"))
    assert regions.search_villages("x") == []
    assert regions.search_villages("%_") == []
