"""Loan reports (portfolio by product, aging, collection list, member loan card) as pages, CSV and
XLSX, and the close-of-business page: figures, ordering, masking by role, bad input, permissions."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from core.db import db
from core.models import OutboxMessage, User
from erp.loans import cob, reports
from erp.loans.views import STATUS_LABELS
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.loans.conftest import set_up_office
from tests.erp.membership.factories import make_member

DAY = date(2026, 5, 10)  # first installments fell due 28 Feb: a loan never repaid is 71 days late


def _book(office):
    """Three loans: one never repaid, one repaid up to date, one only the first installment."""
    late = office.disbursed(amount=5_000_000, name="Budi Telat", phone="+6281234567001")
    good = office.disbursed(amount=8_000_000, name="Sari Rajin", phone="+6281234567002")
    some = office.disbursed(amount=3_000_000, name="Joko Sedang", phone="+6281234567003")
    from erp.loans import service

    for loan, upto in ((good, 3), (some, 1)):
        for inst in service.installments(loan.id)[:upto]:
            office.repay(loan, inst.angsuran, inst.due_date)
    return late, good, some


def test_aging_puts_each_loan_in_its_bucket_and_totals_the_portfolio(office):
    late, good, some = _book(office)
    table = reports.aging(DAY)
    by_label = {row[0]: row for row in table.rows}
    assert by_label[reports.bucket_label("61-90")][1:3] == (1, late.outstanding_pokok)
    assert by_label[reports.bucket_label("31-60")][1] == 1  # some: second installment due 31 Mar
    assert by_label[reports.bucket_label("current")][1] == 1
    db.session.refresh(good)
    db.session.refresh(some)
    assert table.total[1:3] == (3, late.outstanding_pokok + good.outstanding_pokok + some.outstanding_pokok)
    assert [reports.bucket(d) for d in (0, 1, 30, 31, 90, 91, 180, 181)] == [
        "current",
        "1-30",
        "1-30",
        "31-60",
        "61-90",
        "91-180",
        "91-180",
        ">180",
    ]


def test_the_collection_list_puts_the_latest_first_with_what_is_due(office):
    late, good, some = _book(office)
    table = reports.collection_list(DAY, show_phone=False)
    names = [row[2] for row in table.rows]
    assert names == ["Budi Telat", "Joko Sedang"]  # Sari is up to date
    from erp.loans import service

    due = service.amount_due(late.id, DAY)
    first = table.rows[0]
    assert first[6] == 71 and first[7:11] == (
        due.denda,
        due.bunga,
        due.pokok,
        due.denda + due.bunga + due.pokok,
    )
    assert first[5] == "+62812•••••001"
    assert reports.collection_list(DAY, show_phone=True).rows[0][5] == "+6281234567001"


def test_portfolio_by_product_sums_running_loans_with_par_and_npl(office):
    late, good, some = _book(office)
    [row] = reports.portfolio_by_product(DAY).rows
    assert row[0] == "PJ-UMUM" and row[2] == 3 and row[3] == 16_000_000
    assert row[5] == late.outstanding_pokok + some.outstanding_pokok  # beyond 30 days
    assert row[7] == 0  # none is past 90 days: all lancar


def test_the_member_card_lists_every_loan_its_schedule_and_repayments(office):
    _late, good, _some = _book(office)
    member, tables = reports.member_card(good.member_id, STATUS_LABELS)
    assert member.name == "Sari Rajin"
    assert [t.title for t in tables] == [
        f"Pinjaman {member.name}",
        f"Jadwal angsuran pinjaman #{good.id}",
        f"Pembayaran pinjaman #{good.id}",
    ]
    assert tables[1].total[2] == 8_000_000  # principal sums to the loan
    assert len(tables[2].rows) == 3


def test_report_pages_and_exports_for_staff(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        _book(office)
    base = f"/k/{coop.slug}/pinjaman/laporan"
    client.login(db.session.get(User, office.teller))  # a kasir: masked phones
    assert "Laporan pinjaman" in client.get(f"{base}/").get_data(as_text=True)
    page = client.get(f"{base}/tagihan?per={DAY.isoformat()}").get_data(as_text=True)
    assert "Budi Telat" in page and "+62812•••••001" in page and "+6281234567001" not in page
    assert "Sari Rajin" not in page
    for kind in ("portofolio", "umur", "tagihan"):
        assert client.get(f"{base}/{kind}?per={DAY.isoformat()}").status_code == 200
        response = client.get(f"{base}/{kind}?per={DAY.isoformat()}&format=csv")
        assert response.status_code == 200 and response.mimetype == "text/csv"
        rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
        assert len(rows) >= 2
        response = client.get(f"{base}/{kind}?per={DAY.isoformat()}&format=xlsx")
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        assert coop.name in sheet["A1"].value
    response = client.get(f"{base}/tagihan?per={DAY.isoformat()}&format=csv")
    text = response.get_data().decode("utf-8-sig")
    assert "Budi Telat" in text and "+6281234567001" not in text
    with tenant(coop.id):
        member_id = db.session.scalar(select(reports.Member.id).where(reports.Member.name == "Sari Rajin"))
    card = client.get(f"{base}/kartu?anggota={member_id}").get_data(as_text=True)
    assert "Jadwal angsuran" in card and "Sari Rajin" in card
    assert client.get(f"{base}/kartu?anggota={member_id}&format=xlsx").status_code == 200


def test_bad_report_input_is_422_in_indonesian(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    base = f"/k/{coop.slug}/pinjaman/laporan"
    client.login(db.session.get(User, office.maker))
    bad = client.get(f"{base}/umur?per=31-02-2026")
    assert bad.status_code == 422 and "Tanggal tidak sah" in bad.get_data(as_text=True)
    assert client.get(f"{base}/umur?format=pdf").status_code == 422
    assert client.get(f"{base}/tidak-ada").status_code == 404
    assert client.get(f"{base}/kartu?anggota=abc").status_code == 422
    assert client.get(f"{base}/kartu?anggota=999999").status_code == 404


def test_a_member_of_another_cooperative_has_no_card_here(app, client):
    coop, other = make_cooperative(), make_cooperative()
    office = set_up_office(coop)
    with tenant(other.id):
        stranger = make_member(name="Orang Lain")
    client.login(db.session.get(User, office.maker))
    response = client.get(f"/k/{coop.slug}/pinjaman/laporan/kartu?anggota={stranger.id}")
    assert response.status_code == 404 and "Orang Lain" not in response.get_data(as_text=True)


def test_the_close_of_business_page_shows_runs_and_queues_a_run(app, client):
    coop = make_cooperative()
    office = set_up_office(coop)
    with tenant(coop.id):
        office.disbursed()
        cob.close_business(date(2026, 2, 28))
    url = f"/k/{coop.slug}/pinjaman/tutup-buku"
    client.login(db.session.get(User, office.teller))  # a kasir does not see it
    assert client.get(url).status_code == 403
    bendahara = add_staff(coop, "bendahara")
    client.login(bendahara)
    page = client.get(url).get_data(as_text=True)
    assert "Selesai" in page and "28 Feb 2026" in page
    future = client.post(url, {"business_date": "2999-01-01"})
    assert future.status_code == 422 and "setelah hari ini" in future.get_data(as_text=True)
    assert client.post(url, {"business_date": "2026-03-02"}).status_code == 302
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.job == "erp.loans.jobs.close_business")
    )
    assert message.tenant_id == coop.id and message.args["through"] == "2026-03-02"
    pengawas = add_staff(coop, "pengawas")
    client.login(pengawas)
    assert client.get(url).status_code == 200
    assert client.post(url, {"business_date": "2026-03-02"}).status_code == 403
