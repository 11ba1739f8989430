from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from erp.membership.models import Member
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.membership.factories import application, form_of, make_member


def _setup(*roles: str):
    coop = make_cooperative()
    return coop, add_staff(coop, *roles)


def test_an_application_form_with_a_bad_nik_is_refused_with_a_field_message_and_writes_nothing(app, client):
    coop, user = _setup("sekretaris")
    client.login(user)
    form = form_of(application())
    form["nik"] = "3204121501900001"  # born 15 Jan 1990, a man; the form says a woman
    response = client.post(f"/k/{coop.slug}/anggota/daftar", form)
    assert response.status_code == 422
    assert "NIK tidak cocok dengan jenis kelamin" in response.get_data(as_text=True)
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_the_sekretaris_registers_and_the_ketua_approves_then_prints_the_card(app, client, make_client):
    coop, sekretaris = _setup("sekretaris")
    ketua = add_staff(coop, "ketua")
    client.login(sekretaris)
    response = client.post(f"/k/{coop.slug}/anggota/daftar", form_of(application(phone="081234567890")))
    assert response.status_code == 302, response.data[:400]
    member_url = response.location
    boss = make_client()
    boss.login(ketua)
    page = boss.get(member_url).get_data(as_text=True)
    assert "Setujui sebagai anggota" in page
    assert "+62812•••••890" in page and "3204125501900" not in page  # masked NIK and phone
    assert boss.post(member_url + "/setujui").status_code == 302
    assert "A-0001" in boss.get(member_url).get_data(as_text=True)
    card = boss.get(member_url + "/kartu.pdf")
    assert card.status_code == 200 and card.data.startswith(b"%PDF")


def test_a_refusal_without_reason_is_refused(app, client):
    coop, ketua = _setup("ketua")
    with tenant(coop.id):
        from erp.membership import service

        member = service.apply(application())
    client.login(ketua)
    response = client.post(f"/k/{coop.slug}/anggota/{member.id}/tolak", {})
    assert response.status_code == 422 and "Wajib diisi" in response.get_data(as_text=True)


def test_full_personal_data_is_for_pengurus_only_and_each_view_is_audited(app, client, make_client):
    coop, ketua = _setup("ketua")
    kasir = add_staff(coop, "kasir")
    with tenant(coop.id):
        member = make_member(phone="+6281234567890")
    client.login(ketua)
    page = client.get(f"/k/{coop.slug}/anggota/{member.id}/lengkap").get_data(as_text=True)
    assert member.nik in page and "+6281234567890" in page
    other = make_client()
    other.login(kasir)
    assert other.get(f"/k/{coop.slug}/anggota/{member.id}/lengkap").status_code == 403
    assert member.nik not in other.get(f"/k/{coop.slug}/anggota/{member.id}").get_data(as_text=True)
    viewed = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "member.personal_viewed")
    )
    assert viewed == 1


def test_an_import_with_errors_lists_them_by_line(app, client):
    import io

    coop, user = _setup("sekretaris")
    client.login(user)
    csv_text = (
        "nik,kk_number,name,birth_place,birth_date,gender,address,village_code\n"
        "3204121501900001,3204120101900001,Budi,Bandung,1990-01-15,L,Jl. Desa,32.04.12.2003\n"
        "123,3204120101900001,Ani,Bandung,1990-01-15,P,Jl. Desa,32.04.12.2003\n"
        "3204121501900001,3204120101900001,Budi Lagi,Bandung,1990-01-15,L,Jl. Desa,32.04.12.2003\n"
    )
    response = client.post(
        f"/k/{coop.slug}/anggota/impor",
        {"file": (io.BytesIO(csv_text.encode()), "anggota.csv")},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "NIK harus 16 angka" in body and "NIK ganda: sama dengan baris 2" in body
    with tenant(coop.id):
        assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_the_api_lists_members_with_the_nik_masked(app, make_client):
    from core.auth import issue_api_token

    coop, user = _setup("ketua")
    with tenant(coop.id):
        member = make_member()
    _token, secret = issue_api_token(user, "uji", cooperative_id=coop.id)
    response = make_client().get("/api/v1/members", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json[0]["member_number"] == "A-0001" and member.nik not in response.get_data(as_text=True)
    bad = make_client().open(
        "/api/v1/members", method="POST", json={"nik": "1"}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert bad.status_code == 422 and "nik" in bad.json["error"]["fields"]
    assert date.today()
