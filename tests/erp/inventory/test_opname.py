"""Stock opname: a snapshot when the count starts, counts entered, a variance report, approval by
a second person posting opname moves and one balanced entry, once; moves during the count are
neither lost nor counted twice; bad input changes nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import User
from erp.inventory import lots, opname, service
from erp.inventory.models import MoveKind, OpnameLine, StockMove
from erp.inventory.opname import InvalidOpname, OpnameTransition, OwnCount
from erp.ledger import service as ledger
from erp.ledger.models import JournalEntry
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative, make_user
from tests.erp.inventory.conftest import key, set_up_shop

TODAY = date.today()


def _lines(count_id: int) -> dict[tuple[str, str | None], OpnameLine]:
    rows, _ = opname.lines(count_id, page=1)
    return {(r.product.name, r.lot.code if r.lot else None): r.line for r in rows}


def _sell(shop, product, quantity):
    """A counter sale: stock out at cost and HPP posted, as erp.pos does."""
    balance = service.lock_balances([product.id], shop.gerai.id)[product.id]
    k = key()
    taken = service.take(
        balance, quantity, kind=MoveKind.SALE, on=TODAY, description="Jual", idempotency_key=k, user_id=None
    )
    ledger.post(
        ledger.NewEntry(
            TODAY,
            "Jual",
            "test",
            None,
            f"sale-{k}",
            [ledger.debit("5-1100", taken.cost), ledger.credit("1-1500", taken.cost)],
        )
    )
    db.session.commit()


def _users():
    return make_user("Penghitung"), make_user("Penyetuju")


def test_an_approved_count_posts_the_snapshot_difference_once(shop):
    counter, approver = _users()
    rice = shop.product(name="Beras")
    oil = shop.product(name="Minyak")
    shop.receive(rice, 10, 100_000)
    shop.receive(oil, 5, 75_000)
    count = opname.start_count(shop.gerai.id, user_id=counter.id)
    lines = _lines(count.id)
    assert (lines[("Beras", None)].expected, lines[("Minyak", None)].expected) == (10, 5)
    _sell(shop, rice, 3)  # sold while the shelf is being counted: 7 left on the books
    opname.record_counts(
        count.id, {lines[("Beras", None)].id: 9, lines[("Minyak", None)].id: 6}, user_id=counter.id
    )
    report = opname.variance(count.id)
    assert [(c.product.name, c.difference, c.value) for c in report.lines] == [
        ("Beras", -1, -10_000),
        ("Minyak", 1, 15_000),
    ]
    assert (report.loss, report.gain, report.net) == (10_000, 15_000, 5_000)
    opname.submit(count.id, user_id=counter.id)
    with pytest.raises(OwnCount):
        opname.approve(count.id, user_id=counter.id)
    db.session.rollback()
    done = opname.approve(count.id, user_id=approver.id)
    again = opname.approve(count.id, user_id=approver.id)
    assert done.status == again.status == "approved" and done.journal_entry_id is not None
    assert service.on_hand(rice.id) == 6 and service.on_hand(oil.id) == 6  # 10 − 3 sold − 1 lost; 5 + 1 found
    assert service.stock_value() == 60_000 + 90_000
    entries = db.session.scalars(select(JournalEntry).where(JournalEntry.source_module == "inventory")).all()
    assert sum(1 for e in entries if e.idempotency_key.startswith("inventory:opname:")) == 1
    assert ledger.account_balance(service.INVENTORY, TODAY) == service.stock_value()
    assert service.balances_match_moves()
    assert [m.kind for m in service.stock_card(rice.id)][-1] == "opname"


def test_a_lot_count_posts_per_lot_and_a_loss_beyond_the_lot_comes_first_expiry_first(shop):
    counter, approver = _users()
    milk = shop.product(name="Susu", tracks_lots=True)
    shop.receive(milk, 4, 40_000, lot="A", expires_on=TODAY + timedelta(days=5))
    shop.receive(milk, 6, 60_000, lot="B", expires_on=TODAY + timedelta(days=50))
    count = opname.start_count(shop.gerai.id, user_id=counter.id)
    lines = _lines(count.id)
    assert {k: v.expected for k, v in lines.items()} == {("Susu", "A"): 4, ("Susu", "B"): 6}
    _sell(shop, milk, 3)  # from A: 1 left in A
    opname.record_counts(
        count.id, {lines[("Susu", "A")].id: 1, lines[("Susu", "B")].id: 7}, user_id=counter.id
    )
    opname.submit(count.id, user_id=counter.id)
    opname.approve(count.id, user_id=approver.id)
    # A: −3 of which 1 from A and 2 first-expiry-first-out (B); B: +1
    assert {lot.code: lot.quantity for lot, _ in lots.lots_of(milk.id)} == {"B": 5}
    assert service.on_hand(milk.id) == 5
    assert lots.lots_match_moves() and service.balances_match_moves()
    assert ledger.account_balance(service.INVENTORY, TODAY) == service.stock_value()


def test_bad_counts_are_refused_and_change_nothing(shop):
    counter, _ = _users()
    rice = shop.product(name="Beras")
    shop.receive(rice, 10, 100_000)
    count = opname.start_count(shop.gerai.id, user_id=counter.id)
    line = _lines(count.id)[("Beras", None)]
    for entered, error in (
        ({line.id: -1}, InvalidOpname),
        ({line.id: "9"}, InvalidOpname),
        ({line.id + 999: 3}, InvalidOpname),
    ):
        with pytest.raises(error):
            opname.record_counts(count.id, entered, user_id=counter.id)
        db.session.rollback()
    assert db.session.scalar(select(OpnameLine.counted).where(OpnameLine.id == line.id)) is None
    with pytest.raises(InvalidOpname):
        opname.submit(count.id, user_id=counter.id)  # nothing counted yet
    db.session.rollback()
    with pytest.raises(OpnameTransition):
        opname.start_count(shop.gerai.id, user_id=counter.id)  # one open count per location
    db.session.rollback()
    with pytest.raises(OpnameTransition):
        opname.approve(count.id, user_id=counter.id)  # not submitted
    db.session.rollback()


def test_a_cancelled_count_posts_nothing_and_an_approved_one_cannot_be_cancelled(shop):
    counter, approver = _users()
    rice = shop.product(name="Beras")
    shop.receive(rice, 10, 100_000)
    moves = db.session.scalar(select(func.count()).select_from(StockMove))
    count = opname.start_count(shop.gerai.id, user_id=counter.id)
    opname.record_counts(count.id, {_lines(count.id)[("Beras", None)].id: 2}, user_id=counter.id)
    opname.submit(count.id, user_id=counter.id)
    opname.cancel(count.id, user_id=counter.id)
    with pytest.raises(OpnameTransition):
        opname.approve(count.id, user_id=approver.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMove)) == moves
    second = opname.start_count(shop.gerai.id, user_id=counter.id)
    opname.record_counts(second.id, {_lines(second.id)[("Beras", None)].id: 10}, user_id=counter.id)
    opname.submit(second.id, user_id=counter.id)
    assert opname.approve(second.id, user_id=approver.id).journal_entry_id is None  # no difference
    with pytest.raises(OpnameTransition):
        opname.cancel(second.id, user_id=counter.id)
    db.session.rollback()


def test_a_loss_larger_than_what_is_left_is_refused_with_a_message(shop):
    counter, approver = _users()
    rice = shop.product(name="Beras")
    shop.receive(rice, 5, 50_000)
    count = opname.start_count(shop.gerai.id, user_id=counter.id)
    opname.record_counts(count.id, {_lines(count.id)[("Beras", None)].id: 0}, user_id=counter.id)
    opname.submit(count.id, user_id=counter.id)
    _sell(shop, rice, 3)  # the books now hold 2, the count says 5 are missing
    with pytest.raises(InvalidOpname, match="hitung ulang"):
        opname.approve(count.id, user_id=approver.id)
    db.session.rollback()
    assert service.on_hand(rice.id) == 2 and opname.get_count(count.id).status == "submitted"


def test_the_gudang_counts_on_the_page_and_a_pengawas_approves(app, make_client):
    coop = make_cooperative()
    shop = set_up_shop(coop)
    gudang = add_staff(coop, "gudang")
    pengawas = add_staff(coop, "pengawas")
    with tenant(coop.id):
        rice = shop.product(name="Beras Medium")
        shop.product(name="Gula Pasir")
        service.receive(rice.id, shop.gerai.id, 10, 100_000, idempotency_key=key())
    staff = make_client()
    staff.login(db.session.get(User, gudang.id))
    base = f"/k/{coop.slug}/gudang/opname"
    assert staff.post(f"{base}/", {"location_id": "abc"}).status_code == 422
    started = staff.post(f"{base}/", {"location_id": str(shop.gerai.id)})
    assert started.status_code == 303
    page_url = started.headers["Location"]
    page = staff.get(page_url).get_data(as_text=True)
    ids = re.findall(r'name="lines" value="(\d+)"', page)
    assert len(ids) == 2 and "Beras Medium" in page
    found = staff.get(f"{page_url}?q=gula").get_data(as_text=True)
    assert "Gula Pasir" in found and "Beras Medium" not in found
    with tenant(coop.id):
        line = {r.product.name: r.line.id for r in opname.lines(int(page_url.rstrip("/").split("/")[-1]))[0]}
    bad = staff.post(
        f"{page_url}/hitung", {"lines": [str(line["Beras Medium"])], f"c{line['Beras Medium']}": "-3"}
    )
    assert bad.status_code == 422 and "0 sampai 1.000.000" in bad.get_data(as_text=True)
    ok = staff.post(
        f"{page_url}/hitung", {"lines": [str(line["Beras Medium"])], f"c{line['Beras Medium']}": "8"}
    )
    assert ok.status_code == 303
    report = staff.get(page_url).get_data(as_text=True)
    assert "Laporan selisih" in report and "-2 karung" in report
    assert staff.post(f"{page_url}/setujui").status_code == 403  # the gudang may not approve
    assert staff.post(f"{page_url}/ajukan").status_code == 303
    boss = make_client()
    boss.login(db.session.get(User, pengawas.id))
    assert boss.post(f"{page_url}/setujui").status_code == 303
    with tenant(coop.id):
        assert service.on_hand(rice.id) == 8


def test_two_counts_of_one_location_started_at_once_open_one(shop, app):
    import threading

    shop.receive(shop.product(), 5, 50_000)
    starter = add_staff(shop.coop, "gudang").id
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def start() -> None:
        with app.app_context(), tenant(shop.coop.id):
            barrier.wait()
            try:
                opname.start_count(shop.gerai.id, user_id=starter)
                outcomes.append("opened")
            except OpnameTransition as err:
                outcomes.append("refused" if "masih berjalan" in str(err.message) else repr(err))
            except Exception as err:
                db.session.rollback()
                outcomes.append(repr(err))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["opened", "refused"]
