"""SHU distribution, with member figures from real providers: members and equity savings from the
membership and savings services, transactions from a real table made for the test. The worked
example of DOMAIN.md §10 is reproduced to the rupiah."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import make_url, select, text

from core.db import db
from core.money import split
from erp.ledger import service, shu
from erp.ledger.models import EquityBasis, ShuAllocation
from erp.ledger.service import credit, debit
from erp.savings import service as savings
from erp.savings.models import ProductKind
from tests.erp.ledger.conftest import entry
from tests.erp.membership.factories import make_member
from tests.erp.savings.conftest import Desk, set_up_desk

SHU_2025 = 12_345_679
EXAMPLE_SHARES = {
    "cadangan": Decimal(30),
    "jasa_modal": Decimal(15),
    "jasa_usaha": Decimal(25),
    "pembangunan_desa": Decimal(20),
    "pengurus": Decimal(4),
    "karyawan": Decimal(3),
    "pendidikan": Decimal(2),
    "sosial": Decimal(1),
}


@pytest.fixture
def transactions_table(owner_engine, config) -> Iterator[str]:
    """A real table of members' transactions with the cooperative, as a POS would keep."""
    role = make_url(config.database_url).username
    with owner_engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE shu_test_transactions (tenant_id bigint NOT NULL, member_id bigint NOT NULL, "
                "amount bigint NOT NULL, occurred_on date NOT NULL)"
            )
        )
        conn.execute(text(f'GRANT SELECT, INSERT ON shu_test_transactions TO "{role}"'))
    yield "shu_test_transactions"
    with owner_engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '20s'"))
        conn.execute(text("DROP TABLE shu_test_transactions"))


def _purchases(start: date, end: date) -> dict[int, int]:
    from tenants.context import current_tenant_id

    rows = db.session.execute(
        text(
            "SELECT member_id, sum(amount) FROM shu_test_transactions "
            "WHERE tenant_id = :t AND occurred_on BETWEEN :s AND :e GROUP BY member_id"
        ),
        {"t": current_tenant_id(), "s": start, "e": end},
    )
    return {member_id: int(total) for member_id, total in rows}


@pytest.fixture
def wired() -> Iterator[None]:
    # Members and jasa modal are wired by the membership and savings modules themselves; the test
    # adds a source of members' transactions for jasa usaha.
    providers = [("jasa_usaha", _purchases)]
    for kind, fn in providers:
        shu.sources.register(kind, fn)
    yield
    for kind, fn in providers:
        shu.sources.unregister(kind, fn)


@pytest.fixture
def desk(transactions_table, app, wired) -> Iterator[Desk]:
    """The table is made before the app context and dropped after it has let go of the table."""
    from tenants.context import tenant
    from tests.conftest import make_cooperative

    coop = make_cooperative()
    d = set_up_desk(coop)
    with tenant(coop.id):
        service.update_settings(
            approval_threshold=10_000_000, shares=EXAMPLE_SHARES, equity_basis=EquityBasis.YEAR_END
        )
        db.session.commit()
        yield d


def _member_with(desk: Desk, name: str, equity: int, purchases: int):
    from tenants.context import current_tenant_id

    member = make_member(name=name)
    on = date(2025, 6, 1)
    pokok = savings.account_for(member.id, ProductKind.POKOK, on=on)
    wajib = savings.account_for(member.id, ProductKind.WAJIB, on=on)
    db.session.commit()
    desk.deposit(pokok, 50_000, on=on)
    desk.deposit(wajib, equity - 50_000, on=on)
    if purchases:
        db.session.execute(
            text("INSERT INTO shu_test_transactions VALUES (:t, :m, :a, :d)"),
            {"t": current_tenant_id(), "m": member.id, "a": purchases, "d": date(2025, 8, 17)},
        )
    db.session.commit()
    return member


def _example_year(desk: Desk):
    members = [
        _member_with(desk, "Ahmad", 500_000, 2_000_000),
        _member_with(desk, "Budi", 300_000, 5_000_000),
        _member_with(desk, "Citra", 300_000, 0),
    ]
    service.post(
        entry("jual-2025", debit("1-1100", SHU_2025), credit("4-2100", SHU_2025), on=date(2025, 11, 30))
    )
    db.session.commit()
    return members


def test_the_domain_worked_example_is_reproduced_to_the_rupiah(desk):
    members = _example_year(desk)
    d = shu.preview(2025)
    assert d.shu == SHU_2025 and not d.year_closed
    assert {p.name: p.amount for p in d.pools} == {
        "cadangan": 3_703_704,
        "jasa_modal": 1_851_852,
        "jasa_usaha": 3_086_420,
        "pembangunan_desa": 2_469_136,
        "pengurus": 493_827,
        "karyawan": 370_370,
        "pendidikan": 246_913,
        "sosial": 123_457,
    }
    assert [m.member_number for m in d.members] == sorted(m.member_number for m in members)
    assert [(m.equity, m.transactions) for m in d.members] == [
        (500_000, 2_000_000),
        (300_000, 5_000_000),
        (300_000, 0),
    ]
    assert [(m.jasa_modal, m.jasa_usaha, m.total) for m in d.members] == [
        (841_751, 881_834, 1_723_585),
        (505_051, 2_204_586, 2_709_637),
        (505_050, 0, 505_050),
    ]
    assert d.undistributed == 0


def test_the_distribution_is_posted_once_after_the_year_is_closed(desk):
    _example_year(desk)
    with pytest.raises(shu.ShuRefused):
        shu.distribute(2025, on=date(2026, 3, 15))
    db.session.rollback()
    service.close_year(2025)
    db.session.commit()
    with pytest.raises(shu.ShuRefused):
        shu.distribute(2025, on=date(2025, 12, 31))
    db.session.rollback()
    posted = shu.distribute(2025, on=date(2026, 3, 15))
    db.session.commit()
    assert posted.entry is not None and posted.entry.entry_date == date(2026, 3, 15)
    on = date(2026, 3, 31)
    assert service.account_balance("3-5000", on) == 0
    assert service.account_balance("3-4000", on) == 3_703_704
    assert service.account_balance("2-1330", on) == 1_851_852 + 3_086_420
    assert service.account_balance("2-1380", on) == 2_469_136
    rows = db.session.scalars(select(ShuAllocation).order_by(ShuAllocation.member_number)).all()
    assert [(r.jasa_modal, r.jasa_usaha) for r in rows] == [
        (841_751, 881_834),
        (505_051, 2_204_586),
        (505_050, 0),
    ]
    again = shu.distribute(2025, on=date(2026, 4, 1))
    assert again.entry.id == posted.entry.id
    assert [m.total for m in shu.preview(2025).members] == [1_723_585, 2_709_637, 505_050]


def test_a_members_pool_nobody_can_share_goes_to_cadangan_explicitly(desk):
    _member_with(desk, "Ahmad", 500_000, 0)
    service.post(entry("jual", debit("1-1100", 1_000_001), credit("4-2100", 1_000_001), on=date(2025, 5, 1)))
    service.close_year(2025)
    db.session.commit()
    d = shu.preview(2025)
    assert d.undistributed == d.pool("jasa_usaha") and d.members[0].jasa_usaha == 0
    shu.distribute(2025, on=date(2026, 2, 1))
    db.session.commit()
    assert service.account_balance("3-4000", date(2026, 2, 1)) == d.pool("cadangan") + d.pool("jasa_usaha")


def test_the_average_basis_weighs_savings_by_month_ends(desk):
    early = _member_with(desk, "Awal", 300_000, 0)  # saved from June: seven month-ends
    late = make_member(name="Akhir")
    pokok = savings.account_for(late.id, ProductKind.POKOK, on=date(2025, 12, 1))
    wajib = savings.account_for(late.id, ProductKind.WAJIB, on=date(2025, 12, 1))
    db.session.commit()
    desk.deposit(pokok, 50_000, on=date(2025, 12, 1))
    desk.deposit(wajib, 250_000, on=date(2025, 12, 1))
    service.post(entry("jual", debit("1-1100", 8_000_000), credit("4-2100", 8_000_000), on=date(2025, 5, 1)))
    db.session.commit()
    year_end = shu.preview(2025)
    assert year_end.members[0].jasa_modal == year_end.members[1].jasa_modal  # equal at 31 December
    service.update_settings(approval_threshold=0, shares=EXAMPLE_SHARES, equity_basis=EquityBasis.AVERAGE)
    average = shu.preview(2025)
    shares = {m.member_id: m for m in average.members}
    assert shares[early.id].equity == 7 * 300_000 and shares[late.id].equity == 300_000
    assert shares[early.id].jasa_modal == 7 * shares[late.id].jasa_modal


def test_a_loss_year_distributes_nothing(desk):
    service.post(entry("rugi", debit("6-1000", 100_000), credit("1-1100", 100_000), on=date(2025, 5, 1)))
    service.close_year(2025)
    db.session.commit()
    assert shu.preview(2025).pools == []
    with pytest.raises(shu.ShuRefused):
        shu.distribute(2025, on=date(2026, 2, 1))
    db.session.rollback()


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(min_value=0, max_value=10**13),
    weights=st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=40),
)
def test_members_shares_always_sum_to_their_pool_and_follow_the_weights(total, weights):
    parts = split(total, weights)
    if sum(weights) == 0:
        assert parts == [0] * len(weights)
        return
    assert sum(parts) == total and all(p >= 0 for p in parts)
    for w, p in zip(weights, parts, strict=True):
        exact = Decimal(total) * w / sum(weights)
        assert exact - 1 < p < exact + 1


def test_the_shu_page_previews_and_the_ketua_posts_it_and_the_rat_pack_lists_every_member(desk, make_client):
    from tests.conftest import add_staff

    _example_year(desk)
    service.close_year(2025)
    db.session.commit()
    ketua, pengawas = add_staff(desk.coop, "ketua"), add_staff(desk.coop, "pengawas")
    reader = make_client()
    reader.login(pengawas)
    page = reader.get(f"/k/{desk.coop.slug}/buku/shu?tahun=2025").get_data(as_text=True)
    assert "Rp 1.723.585" in page and "Rp 3.703.704" in page and "Pratinjau" in page
    assert (
        reader.post(f"/k/{desk.coop.slug}/buku/shu", {"year": "2025", "on": "2026-03-15"}).status_code == 403
    )
    http = make_client()
    http.login(ketua)
    http.get(f"/k/{desk.coop.slug}/buku/shu?tahun=2025")
    bad = http.post(f"/k/{desk.coop.slug}/buku/shu", {"year": "2025", "on": "2025-12-01"})
    assert bad.status_code == 422 and "sesudah tahun buku 2025" in bad.get_data(as_text=True)
    assert http.post(f"/k/{desk.coop.slug}/buku/shu", {"year": "2025", "on": "2026-03-15"}).status_code == 302
    assert "Sudah dibagikan" in http.get(f"/k/{desk.coop.slug}/buku/shu?tahun=2025").get_data(as_text=True)
    page = http.get(f"/k/{desk.coop.slug}/buku/shu?tahun=2025").get_data(as_text=True)
    assert "Kreditkan ke simpanan sukarela" in page
    bad = http.post(f"/k/{desk.coop.slug}/buku/shu/kreditkan", {"year": "2025", "on": "bukan-tanggal"})
    assert bad.status_code == 422
    paid = http.post(f"/k/{desk.coop.slug}/buku/shu/kreditkan", {"year": "2025", "on": "2026-03-20"})
    assert paid.status_code == 302
    pack = http.get(f"/k/{desk.coop.slug}/buku/rat?tahun=2025")
    assert pack.mimetype == "application/pdf" and pack.data.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        return
    text_of_pack = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pack.data, capture_output=True, check=True
    ).stdout.decode()
    for figure in ("1.723.585", "2.709.637", "505.050", "3.703.704", "Laporan Arus Kas"):
        assert figure in text_of_pack


def test_a_member_sees_the_shu_they_received_on_the_portal(desk, make_client):
    from erp.membership import service as register

    ahmad, *_ = _example_year(desk)
    service.close_year(2025)
    db.session.commit()
    shu.distribute(2025, on=date(2026, 3, 15))
    db.session.commit()
    assert [(s.year, s.jasa_modal + s.jasa_usaha) for s in shu.member_shares(ahmad.id)] == [(2025, 1_723_585)]
    ahmad.phone = "+6281377770001"
    db.session.commit()
    register.grant_portal_access(ahmad.id, "135790")
    db.session.commit()
    client = make_client()
    assert client.post("/masuk", {"identifier": "081377770001", "password": "135790"}).status_code == 302
    body = client.get(f"/k/{desk.coop.slug}/saya/").get_data(as_text=True)
    assert "SHU yang saya terima" in body and "Rp 1.723.585" in body


def test_members_shares_are_credited_to_their_voluntary_savings_once(desk):
    members = _example_year(desk)
    service.close_year(2025)
    db.session.commit()
    shu.distribute(2025, on=date(2026, 3, 15))
    db.session.commit()
    paid_on = date(2026, 3, 20)
    assert savings.pay_shu_into_savings(2025, on=paid_on) == 3
    assert savings.pay_shu_into_savings(2025, on=paid_on) == 0, "nobody is paid twice"
    sukarela = [savings.member_balances(m.id) for m in members]
    assert [b.get("sukarela") for b in sukarela] == [1_723_585, 2_709_637, 505_050]
    assert service.account_balance("2-1330", paid_on) == 0, "the members' SHU payable is cleared"
    assert all(check.ok for check in savings.reconcile(paid_on))


def test_jasa_usaha_adds_a_members_gerai_purchases_and_the_loan_interest_they_paid(app):
    """A member who bought at the gerai and paid jasa on a loan has both counted; one who only
    bought has their purchases; pokok and denda paid are not transactions for SHU."""
    from erp.loans import service as loans
    from erp.pos import service as pos
    from erp.pos.service import CartLine
    from tenants.context import tenant
    from tests.conftest import add_staff, make_cooperative
    from tests.erp.inventory.conftest import key, set_up_shop
    from tests.erp.loans.conftest import set_up_office

    coop = make_cooperative()
    shop = set_up_shop(coop)
    office = set_up_office(coop)
    with tenant(coop.id):
        # Rp 10.000.000 over 12 months, efektif 1,5 % (DOMAIN.md §10): jasa 150.000 then 137.500.
        loan = office.disbursed(10_000_000, 12)
        first = office.repay(loan, 150_000, on=date(2026, 2, 10))  # all jasa of the first month
        second = office.repay(loan, 983_333, on=date(2026, 2, 20))  # its pokok, then month two
        assert (first.bunga, first.pokok) == (150_000, 0)
        assert (second.bunga, second.pokok) == (137_500, 833_333 + 12_500)
        borrower = db.session.get(type(loan), loan.id).member_id
        shopper = make_member()
        from erp.membership.models import Member

        number = db.session.get(Member, borrower).member_number
        rice = shop.product(price=13_000)
        shop.receive(rice, 10, 100_000)
        kasir = add_staff(coop, "kasir")
        pos.open_shift(kasir_id=kasir.id, location_id=shop.gerai.id, opening_float=0)
        for member_number, quantity in ((number, 3), (shopper.member_number, 1)):
            pos.checkout(
                [CartLine(rice.id, quantity)],
                location_id=shop.gerai.id,
                idempotency_key=key(),
                kasir_id=kasir.id,
                payment_method="tunai",
                member_number=member_number,
            )
        db.session.commit()
        today = date.today()
        year = (date(2026, 1, 1), max(today, date(2026, 12, 31)))
        assert loans.interest_paid_between(*year) == {borrower: 287_500}
        assert loans.interest_paid_between(date(2026, 2, 11), date(2026, 2, 28)) == {borrower: 137_500}
        assert loans.interest_paid_between(date(2025, 1, 1), date(2025, 12, 31)) == {}
        assert shu.sources.sum("jasa_usaha", *year) == {borrower: 287_500 + 39_000, shopper.id: 13_000}
