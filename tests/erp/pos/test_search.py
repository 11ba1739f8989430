"""The counter's search as you type: a scanned code first, then codes starting with what was typed
in code order, then names whose words start with the typed words; inactive goods and other
cooperatives' goods never; whatever is typed is only ever data."""

from __future__ import annotations

from sqlalchemy import event

from core.db import db
from erp.inventory import service as inventory
from erp.inventory.models import Product
from erp.pos import service
from tenants.context import tenant
from tests.conftest import make_cooperative
from tests.erp.inventory.conftest import set_up_shop


def _add(code: str, name: str) -> Product:
    return inventory.add_product(code=code, name=name, category="sembako", unit="pcs", price=10_000)


def _codes(query: str, limit: int = 8) -> list[str]:
    return [p.code for p in service.search_products(query, limit=limit)]


def test_codes_first_then_words_of_names_within_the_cooperative(shop):
    _add("GULA-1", "Gula Pasir Curah 1 kg")
    _add("GULA-10", "Gula Aren 10 kg")
    _add("GU-2", "Gula Pasir Premium 2 kg")
    _add("BRS-5", "Beras SPHP 5 kg")
    _add("4006381333931", "Minyak Goreng Sawit 1 L")
    hidden = _add("GULA-9", "Gula Pasir Lama")
    hidden.active = False
    other = make_cooperative()
    set_up_shop(other)
    with tenant(other.id):
        _add("GULA-3", "Gula Pasir Tetangga")
    with tenant(shop.coop.id):
        assert _codes("gula-1") == ["GULA-1", "GULA-10"]  # the code in full, then its prefix
        assert _codes("gula pas") == ["GULA-1", "GU-2"]  # both words' starts, by name
        assert _codes("GU") == ["GU-2", "GULA-1", "GULA-10"]
        assert _codes("pasir") == ["GULA-1", "GU-2"]
        assert _codes("4006381333931") == ["4006381333931"]
        assert _codes("sawit 1") == ["4006381333931"]
        assert _codes("gu", limit=1) == ["GU-2"]
        for typed in ("a & b | !c", "':*", "%", "_", "\\", "   ", "x" * 41, "koperasi"):
            assert "GULA-3" not in _codes(typed)
        assert _codes("%") == [] and _codes("") == []


def test_a_product_renamed_is_found_by_its_new_words_only(shop):
    product = _add("TPG-1", "Tepung Terigu Segitiga")
    _add("GLL-1", "Gulali Gula Kapas")
    db.session.flush()
    with tenant(shop.coop.id):
        assert _codes("segi") == ["TPG-1"]
        product.name = "Tepung Beras Rosebrand"
        db.session.flush()
        assert _codes("segi") == []
        assert _codes("tepung ros") == ["TPG-1"]
        assert _codes("gul") == ["GLL-1"]  # two words start with it: the product comes once


def test_the_search_reads_its_indexes_under_row_level_security(shop):
    """`LIKE` and full-text `@@` are not leakproof, so under forced row-level security PostgreSQL
    would read every product of the cooperative; the search's byte-order ranges use the indexes."""
    for n in range(30):
        _add(f"IDX-{n}", f"Kopi Bubuk {n}")
    db.session.flush()
    captured: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "pos_product_words" in statement:
            captured.append(statement)
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + statement, parameters)
            captured.append("\n".join(row[0] for row in cursor.fetchall()))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        with tenant(shop.coop.id):
            assert _codes("kopi bub") != []
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plan = captured[-1]
    conditions = "\n".join(line for line in plan.splitlines() if "Index Cond:" in line)
    for range_start in (">= 'kopi'::text", ">= 'bub'::text", ">= 'KOPI BUB'::text"):
        assert range_start in conditions, plan
    filters = [line for line in plan.splitlines() if "Filter:" in line]  # applied after reading rows
    assert not [f for f in filters if "~~" in f or ">=" in f or "<" in f], plan
