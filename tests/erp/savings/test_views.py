from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from erp.membership import service as membership
from erp.savings import service
from erp.savings.models import ProductKind, SavingsMovement
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.membership.factories import make_member
from tests.erp.savings.conftest import set_up_desk


def _key(page: str, account_id: int) -> str:
    form = page.split(f"/rekening/{account_id}/setor")[1]
    return re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)


def test_the_kasir_deposits_at_the_desk_prints_a_receipt_and_a_repeat_submit_records_once(app, client):
    coop = make_cooperative()
    desk = set_up_desk(coop)
    with tenant(coop.id):
        member = make_member(phone="+6281234567890")
        account = service.account_for(member.id, ProductKind.SUKARELA)
        db.session.commit()
    client.login(db.session.get(__import__("core.models", fromlist=["User"]).User, desk.teller_id))
    page = client.get(f"/k/{coop.slug}/simpanan/anggota/{member.id}").get_data(as_text=True)
    form = {"amount": "150.000", "idempotency_key": _key(page, account.id)}
    first = client.post(f"/k/{coop.slug}/simpanan/rekening/{account.id}/setor", form)
    again = client.post(f"/k/{coop.slug}/simpanan/rekening/{account.id}/setor", form)
    assert first.status_code == again.status_code == 302
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_account(account.id).balance == 150_000
        movement = db.session.scalar(select(SavingsMovement))
    receipt = client.get(f"/k/{coop.slug}/simpanan/transaksi/{movement.id}/bukti.pdf")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")
    for pdf in ("buku.pdf", "mutasi.pdf"):
        assert client.get(f"/k/{coop.slug}/simpanan/rekening/{account.id}/{pdf}").data.startswith(b"%PDF")


def test_bad_amounts_at_the_desk_get_422_and_write_nothing(app, client):
    coop = make_cooperative()
    desk = set_up_desk(coop)
    with tenant(coop.id):
        member = make_member()
        account = service.account_for(member.id, ProductKind.SUKARELA)
        db.session.commit()
    from core.models import User

    client.login(db.session.get(User, desk.teller_id))
    url = f"/k/{coop.slug}/simpanan/rekening/{account.id}"
    for amount in ("-5000", "10,5", "abc", "0"):
        response = client.post(f"{url}/setor", {"amount": amount, "idempotency_key": "abcdefgh12"})
        assert response.status_code == 422, amount
    response = client.post(f"{url}/tarik", {"amount": "1000", "idempotency_key": "abcdefgh13"})
    assert response.status_code == 422 and "Saldo tidak cukup" in response.get_data(as_text=True)
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(SavingsMovement)) == 0


def test_a_member_signs_in_with_phone_and_pin_and_sees_only_their_own_savings(app, client, make_client):
    coop = make_cooperative()
    desk = set_up_desk(coop)
    with tenant(coop.id):
        mine = make_member(name="Siti Aminah", phone="+6281234567890")
        theirs = make_member(name="Tetangga Sebelah", phone="+6281299999999")
        my_account = service.account_for(mine.id, ProductKind.SUKARELA)
        their_account = service.account_for(theirs.id, ProductKind.SUKARELA)
        db.session.commit()
        service.deposit(my_account.id, 75_000, idempotency_key="p-1", teller_id=desk.teller_id)
        service.deposit(their_account.id, 99_000, idempotency_key="p-2", teller_id=desk.teller_id)
        membership.grant_portal_access(mine.id, "246810")
    wrong = make_client().post("/masuk", {"identifier": "0812 3456 7890", "password": "000000"})
    assert wrong.status_code == 401
    response = client.post("/masuk", {"identifier": "0812 3456 7890", "password": "246810"})
    assert response.status_code == 302
    page = client.get(f"/k/{coop.slug}/saya/")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and len(page.data) < 50_000 and "<script" not in body
    assert "Rp 75.000" in body and "Tetangga" not in body and "Rp 99.000" not in body
    assert client.get(f"/k/{coop.slug}/saya/rekening/{their_account.id}/buku.pdf").status_code == 404
    assert client.get(f"/k/{coop.slug}/saya/rekening/{my_account.id}/buku.pdf").data.startswith(b"%PDF")
    assert client.get(f"/k/{coop.slug}/simpanan/anggota/{theirs.id}").status_code == 403
    data = client.get(f"/k/{coop.slug}/saya/data.json").json
    assert data["nik"] == mine.nik and data["savings"][0]["balance"] == 75_000
    assert data["photo"] is None  # no photo kept; when there is one it travels in the JSON
    assert "nik," + mine.nik in client.get(f"/k/{coop.slug}/saya/data.csv").get_data(as_text=True)
    assert client.get(f"/k/{coop.slug}/saya/kartu.pdf").data.startswith(b"%PDF")


def test_large_withdrawals_wait_for_a_second_person_at_the_desk(app, client, make_client):
    coop = make_cooperative()
    desk = set_up_desk(coop)
    bendahara = add_staff(coop, "bendahara")
    with tenant(coop.id):
        member = make_member()
        account = service.account_for(member.id, ProductKind.SUKARELA)
        db.session.commit()
        service.deposit(account.id, 8_000_000, idempotency_key="big-1", teller_id=desk.teller_id)
    from core.models import User

    client.login(db.session.get(User, desk.teller_id))
    url = f"/k/{coop.slug}/simpanan/rekening/{account.id}/tarik"
    assert client.post(url, {"amount": "6.000.000", "idempotency_key": "big-withdraw"}).status_code == 302
    with tenant(coop.id):
        (request,) = service.pending_withdrawals()
        request_id = request.id
        db.session.expire_all()
        assert service.get_account(account.id).balance == 8_000_000
    assert client.post(f"/k/{coop.slug}/simpanan/penarikan/{request_id}/setujui").status_code == 403
    checker = make_client()
    checker.login(bendahara)
    checker.post(f"/k/{coop.slug}/simpanan/penarikan/{request_id}/setujui")
    assert client.post(f"/k/{coop.slug}/simpanan/penarikan/{request_id}/bayar").status_code == 302
    with tenant(coop.id):
        db.session.expire_all()
        assert service.get_account(account.id).balance == 2_000_000


def test_the_bendahara_sets_a_product_and_sees_arrears_and_the_control_check(app, client):
    coop = make_cooperative()
    set_up_desk(coop)
    bendahara = add_staff(coop, "bendahara")
    with tenant(coop.id):
        product = service.product_by_kind(ProductKind.SUKARELA)
        make_member()
    client.login(bendahara)
    page = client.get(f"/k/{coop.slug}/simpanan/produk")
    assert page.status_code == 200 and "Jasa per tahun (%)" in page.get_data(as_text=True)
    form = {"product_id": str(product.id), "name": "Tabungan Sukarela", "interest_rate": "4,5"}
    form["approval_threshold"] = "2.000.000"
    bad = client.post(f"/k/{coop.slug}/simpanan/produk", form)
    assert bad.status_code == 422
    form["interest_rate"] = "4.5"
    assert client.post(f"/k/{coop.slug}/simpanan/produk", form).status_code == 302
    with tenant(coop.id):
        db.session.expire_all()
        changed = service.get_product(product.id)
        assert (changed.name, str(changed.interest_rate), changed.approval_threshold) == (
            "Tabungan Sukarela",
            "4.5000",
            2_000_000,
        )
    assert "A-0001" in client.get(f"/k/{coop.slug}/simpanan/tunggakan").get_data(as_text=True)
    assert "cocok" in client.get(f"/k/{coop.slug}/simpanan/rekonsiliasi").get_data(as_text=True)
    assert client.get(f"/k/{coop.slug}/simpanan/").status_code == 200
