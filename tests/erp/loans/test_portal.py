"""A member sees their own loans on the portal: status, amount and what is left to repay."""

from core.db import db
from erp.membership import service as register


def test_a_member_sees_their_loan_and_what_is_left_on_the_portal(office, make_client):
    loan = office.disbursed(10_000_000, 12, phone="+6281377770002")
    register.grant_portal_access(loan.member_id, "112233")
    db.session.commit()
    client = make_client()
    assert client.post("/masuk", {"identifier": "081377770002", "password": "112233"}).status_code == 302
    body = client.get(f"/k/{office.coop.slug}/saya/").get_data(as_text=True)
    assert "Pinjaman saya" in body and "Rp 10.000.000" in body and "sisa Rp 10.000.000" in body
