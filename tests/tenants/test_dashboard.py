"""The home page shows each role the figures that concern it, read through the modules' services."""

import re

from core.db import db
from tenants.context import tenant
from tests.conftest import add_staff
from tests.erp.savings.conftest import set_up_desk


def _tiles(page: str) -> dict[str, str]:
    pairs = re.findall(r'<span class="label">([^<]+)</span>\s*<strong>(?:<a [^>]+>)?([^<]+)', page)
    return {label.strip(): value.strip() for label, value in pairs}


def test_a_kasir_sees_the_savings_total_but_not_the_staff_figures(app, client):
    from tests.conftest import make_cooperative

    coop = make_cooperative()
    desk = set_up_desk(coop)
    with tenant(coop.id):
        account = desk.account()
        desk.deposit(account, 125_000)
        db.session.commit()
    kasir = add_staff(coop, "kasir")
    client.login(kasir)
    tiles = _tiles(client.get(f"/k/{coop.slug}/").get_data(as_text=True))
    assert tiles["Simpanan anggota"] == "Rp 125.000"
    assert "Staf" not in tiles and "Permohonan menunggu" not in tiles


def test_a_ketua_sees_members_and_staff(app, client):
    from tests.conftest import make_cooperative

    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    client.login(ketua)
    tiles = _tiles(client.get(f"/k/{coop.slug}/").get_data(as_text=True))
    assert tiles["Staf"] == "1"
    assert tiles["Anggota aktif"] == "0"
    assert tiles["Permohonan menunggu"] == "0"


def test_a_member_lands_on_their_own_savings(app, client):
    from tests.conftest import make_cooperative

    coop = make_cooperative()
    member = add_staff(coop, "anggota")
    client.login(member)
    response = client.get(f"/k/{coop.slug}/")
    assert response.status_code == 302 and response.location.endswith(f"/k/{coop.slug}/saya/")
