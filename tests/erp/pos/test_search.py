"""The counter's search as you type: a scanned code first, then codes starting with what was typed
in code order, then names whose words start with the typed words; inactive goods and other
cooperatives' goods never; whatever is typed is only ever data."""

from __future__ import annotations

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
        assert _codes("gula pas") == ["GU-2", "GULA-1"]  # both words' starts, by name
        assert _codes("GU") == ["GU-2", "GULA-1", "GULA-10"]
        assert _codes("pasir") == ["GU-2", "GULA-1"]
        assert _codes("4006381333931") == ["4006381333931"]
        assert _codes("sawit 1") == ["4006381333931"]
        assert _codes("gu", limit=1) == ["GU-2"]
        for typed in ("a & b | !c", "':*", "%", "_", "\\", "   ", "x" * 41, "koperasi"):
            assert "GULA-3" not in _codes(typed)
        assert _codes("%") == [] and _codes("") == []
