"""Buyer pages: signing up (a person, or a business with a valid NPWP), addresses with the region
picker, and bad input that changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from core.models import PlatformRole, User
from marketplace.buyers.models import Address, Buyer
from tests.conftest import PASSWORD, make_user


def test_a_business_signs_up_with_its_npwp_and_gets_the_buyer_role(app, client):
    response = client.post(
        "/kophub/daftar",
        {
            "name": "Dewi Lestari",
            "email": "dewi@warung.id",
            "password": PASSWORD,
            "kind": "usaha",
            "company_name": "Warung Makan Sederhana",
            "npwp": "01.234.567.8-901.000",
        },
    )
    assert response.status_code == 302
    buyer = db.session.scalar(select(Buyer))
    assert (buyer.kind, buyer.company_name, buyer.npwp) == (
        "usaha",
        "Warung Makan Sederhana",
        "0012345678901000",
    )
    assert (
        db.session.scalar(select(PlatformRole.role).where(PlatformRole.user_id == buyer.user_id)) == "buyer"
    )


def test_a_business_without_npwp_or_with_a_bad_one_is_refused_and_nothing_is_written(app, client):
    base = {"name": "Dewi", "email": "dewi@warung.id", "password": PASSWORD, "kind": "usaha"}
    response = client.post("/kophub/daftar", {**base, "company_name": "Warung"})
    assert response.status_code == 422 and "NPWP" in response.get_data(as_text=True)
    response = client.post("/kophub/daftar", {**base, "company_name": "Warung", "npwp": "12345"})
    assert response.status_code == 422 and "15 atau 16 angka" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Buyer)) == 0


def test_a_staff_member_signed_in_becomes_a_buyer_with_the_same_account(app, client):
    user = make_user("Pak Kades")
    client.login(user)
    assert client.post("/kophub/daftar", {"kind": "perorangan"}).status_code == 302
    assert db.session.scalar(select(Buyer.user_id)) == user.id


def test_an_address_needs_a_village_and_a_valid_phone(app, client):
    client.post(
        "/kophub/daftar",
        {"name": "Rina", "email": "rina@example.id", "password": PASSWORD, "kind": "perorangan"},
    )
    client.get("/kophub/akun")
    bad = client.post(
        "/kophub/akun/alamat",
        {
            "label": "Rumah",
            "recipient": "Rina",
            "phone": "12345",
            "street": "Jl. Mawar 1",
            "village_code": "32.04",
        },
    )
    assert bad.status_code == 422 and "Nomor HP tidak sah" in bad.get_data(as_text=True)
    no_village = client.post(
        "/kophub/akun/alamat",
        {
            "label": "Rumah",
            "recipient": "Rina",
            "phone": "0812 3456 7890",
            "street": "Jl. Mawar 1",
            "village_code": "32.04",
        },
    )
    assert no_village.status_code == 422 and "desa" in no_village.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Address)) == 0
    good = client.post(
        "/kophub/akun/alamat",
        {
            "label": "Rumah",
            "recipient": "Rina",
            "phone": "0812 3456 7890",
            "street": "Jl. Mawar 1",
            "village_code": "32.04.12.2003",
            "postal_code": "40375",
        },
    )
    assert good.status_code == 302
    page = client.get("/kophub/akun").get_data(as_text=True)
    assert "Jl. Mawar 1" in page and "Cangkuang" in page


def test_buyer_pages_ask_a_stranger_to_sign_in(app, client):
    assert client.get("/kophub/keranjang").status_code == 302
    assert client.get("/kophub/pesanan").status_code == 302
