"""Self-registration, the registry entry (legal data, officers, units), formation with evidence and
satgas review, and the public microsite: through HTTP as people use them, against the real database."""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.db import db
from core.models import AuditEntry, User
from tenants import formation, service
from tenants.context import tenant
from tenants.models import Cooperative, FormationEvidence, FormationStage, LegalData, Membership, Officer
from tests.conftest import PASSWORD, add_staff, grant_platform_role, make_cooperative, make_user

VILLAGE = "32.04.12.2003"  # Cangkuang Wetan, Dayeuhkolot, Bandung, Jawa Barat
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def evidence_dir(app, tmp_path):
    app.config["KOPDES_EVIDENCE_DIR"] = str(tmp_path)
    yield tmp_path
    app.config.pop("KOPDES_EVIDENCE_DIR", None)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def register(client, village=VILLAGE, **extra):
    data = {"village_code": village, "formation_model": "pembentukan_baru", **extra}
    client.get("/daftar-koperasi")
    return client.post("/daftar-koperasi", data)


# --- sign up and registration ---------------------------------------------------------------


def test_anyone_signs_up_registers_their_village_s_cooperative_and_becomes_its_ketua(app, client):
    client.get("/daftar")
    response = client.post(
        "/daftar", {"name": "Siti Aminah", "phone": "0812 3456 7890", "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location.endswith("/daftar-koperasi")

    page = client.get("/daftar-koperasi?province=32&regency=32.04&district=32.04.12&village_code=" + VILLAGE)
    assert "Koperasi Desa Merah Putih Cangkuang Wetan" in page.get_data(as_text=True)

    response = register(client, address="Jl. Raya Banjaran 1", founded_on="2025-06-01", phone="081298765432")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    coop = db.session.scalar(select(Cooperative).where(Cooperative.village_code == VILLAGE))
    assert coop.name == "Koperasi Desa Merah Putih Cangkuang Wetan"
    assert (coop.formation_model, coop.founded_on, coop.phone) == (
        "pembentukan_baru",
        date(2025, 6, 1),
        "+6281298765432",
    )
    assert response.location.endswith(f"/k/{coop.slug}/profil")
    user = db.session.scalar(select(User).where(User.phone == "+6281234567890"))
    membership = service.membership_of(user.id, coop.id)
    assert membership.roles == ["ketua"]
    assert client.get(f"/k/{coop.slug}/profil").status_code == 200


def test_a_second_registration_for_the_same_village_is_refused_naming_the_first(app, client):
    first = make_cooperative(VILLAGE)
    client.login(make_user())
    response = register(client, name="Koperasi Saingan Cangkuang")
    assert response.status_code == 422
    assert f"Desa ini sudah memiliki koperasi: {first.name}." in response.get_data(as_text=True)
    assert count(Cooperative) == 1 and count(Membership) == 0


def test_an_unknown_village_or_a_bad_model_is_refused_with_field_messages_and_nothing_written(app, client):
    client.login(make_user())
    response = register(client, village="99.99.99.9999")
    assert response.status_code == 404 or response.status_code == 422
    assert "Pilih desa/kelurahan dari daftar." in response.get_data(as_text=True)
    response = register(client, formation_model="merger", email="bukan-email")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Pilih model pembentukan." in body and "Alamat e-mail tidak sah." in body
    assert count(Cooperative) == 0


def test_two_registrations_of_one_village_at_once_exactly_one_wins(app, _app):
    users = [make_user(), make_user()]
    user_ids = [u.id for u in users]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(user_id: int) -> None:
        with _app.app_context():
            user = db.session.get(User, user_id)
            barrier.wait()
            try:
                service.register_cooperative(user, VILLAGE, formation_model="revitalisasi")
                outcomes.append("won")
            except service.AlreadyExists as err:
                db.session.rollback()
                outcomes.append(str(err.message))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(uid,)) for uid in user_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "won"
    assert "Desa ini sudah memiliki koperasi: Koperasi Desa Merah Putih Cangkuang Wetan." in outcomes
    assert count(Cooperative) == 1 and count(Membership) == 1


# --- legal data, officers, units --------------------------------------------------------------


@pytest.fixture
def ketua_client(app, client):
    coop = make_cooperative(VILLAGE, "cangkuang-wetan")
    user = add_staff(coop, "ketua")
    client.login(user)
    client.get("/k/cangkuang-wetan/profil")
    return coop, client


def test_legal_data_with_invalid_nib_and_npwp_is_refused_and_nothing_is_written(ketua_client):
    coop, client = ketua_client
    response = client.post(
        "/k/cangkuang-wetan/profil",
        {"section": "legal", "nib": "12345", "npwp": "12.345", "bank_account": "12-AB", "bank_name": "BRI"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "NIB harus 13 angka." in body and "NPWP harus 15 atau 16 angka." in body
    assert "Nomor rekening hanya angka" in body
    with tenant(coop.id):
        assert count(LegalData) == 0


def test_legal_data_is_normalised_and_audited(ketua_client):
    coop, client = ketua_client
    response = client.post(
        "/k/cangkuang-wetan/profil",
        {
            "section": "legal",
            "ahu_number": "ahu-0012345.ah.01.29.tahun 2025",
            "ahu_date": "2025-07-21",
            "nib": "1234567890123",
            "npwp": "01.234.567.8-901.234",
            "bank_name": "BRI",
            "bank_account": "0123-01-000456-50-9",
        },
    )
    assert response.status_code == 302
    with tenant(coop.id):
        legal = service.legal_data()
    assert (legal.ahu_number, legal.npwp, legal.bank_account) == (
        "AHU-0012345.AH.01.29.TAHUN 2025",
        "0012345678901234",
        "012301000456509",
    )
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "legal_data_changed")) is not None


def test_officers_need_a_valid_nik_one_seat_each_and_one_ketua(ketua_client):
    coop, client = ketua_client
    url = "/k/cangkuang-wetan/profil"
    bad = client.post(
        url, {"section": "officer", "position": "ketua", "name": "Budi", "nik": "3204123201900001"}
    )
    assert bad.status_code == 422 and "Tanggal lahir dalam NIK tidak sah" in bad.get_data(as_text=True)
    bad = client.post(
        url, {"section": "officer", "position": "ketua", "name": "Budi", "nik": "9904120501900001"}
    )
    assert bad.status_code == 422 and "daftar kecamatan resmi" in bad.get_data(as_text=True)
    ok = client.post(
        url, {"section": "officer", "position": "ketua", "name": "Budi", "nik": "3204120501900002"}
    )
    assert ok.status_code == 302
    second = client.post(
        url, {"section": "officer", "position": "ketua", "name": "Ani", "nik": "3204124501900001"}
    )
    assert second.status_code == 422 and "Jabatan ini sudah terisi" in second.get_data(as_text=True)
    twice = client.post(
        url, {"section": "officer", "position": "pengawas", "name": "Budi", "nik": "3204120501900002"}
    )
    assert twice.status_code == 422
    page = client.get(url).get_data(as_text=True)
    assert "320412••••••0002" in page and "3204120501900002" not in page
    with tenant(coop.id):
        assert [(o.position, o.name) for o in db.session.scalars(select(Officer))] == [("ketua", "Budi")]


def test_only_operating_units_switch_erp_modules_on(ketua_client):
    coop, client = ketua_client
    url = "/k/cangkuang-wetan/profil"
    missing_date = client.post(url, {"section": "units", "status_sembako": "beroperasi"})
    assert missing_date.status_code == 422
    assert "Unit yang beroperasi perlu tanggal mulai." in missing_date.get_data(as_text=True)
    response = client.post(
        url,
        {
            "section": "units",
            "status_sembako": "beroperasi",
            "started_sembako": "2025-08-01",
            "status_apotek": "persiapan",
            "status_klinik": "direncanakan",
        },
    )
    assert response.status_code == 302
    assert service.operating_units(coop.id) == frozenset({"sembako"})


def test_a_kasir_sees_the_profile_but_cannot_change_it(app, client):
    coop = make_cooperative(VILLAGE, "cangkuang-wetan")
    client.login(add_staff(coop, "kasir"))
    assert client.get("/k/cangkuang-wetan/profil").status_code == 403
    coop2 = make_cooperative("33.07.07.1006", "kop-b")
    client2_user = add_staff(coop2, "bendahara")
    client.login(client2_user)
    assert client.get("/k/kop-b/profil").status_code == 200
    assert client.post("/k/kop-b/profil", {"section": "legal", "nib": "1234567890123"}).status_code == 403


# --- formation --------------------------------------------------------------------------------


def upload(client, stage, content, filename="berita-acara.pdf", **fields):
    data = {"held_on": "2025-05-10", "attendance": "120", **fields}
    if content is not None:
        data["evidence"] = (io.BytesIO(content), filename)
    return client.post(f"/k/cangkuang-wetan/pembentukan/{stage}", data, content_type="multipart/form-data")


def test_stages_go_in_order_and_a_complete_stage_awaits_review(ketua_client, evidence_dir):
    coop, client = ketua_client
    early = upload(client, "musdesus", PDF)
    assert early.status_code == 422 and "Catat dulu tahap sebelumnya: Sosialisasi." in early.get_data(
        as_text=True
    )

    assert upload(client, "sosialisasi", None).status_code == 302  # a date only: a draft
    page = client.get("/k/cangkuang-wetan/pembentukan").get_data(as_text=True)
    assert "Belum lengkap" in page and "Bukti (berita acara, foto, atau akta)" in page

    before = upload(client, "musdesus", PDF, held_on="2025-05-01")
    assert before.status_code == 422 and "sebelum tahap sebelumnya" in before.get_data(as_text=True)

    assert (
        upload(client, "musdesus", PDF, held_on="2025-06-01", filename="BA musdesus.pdf").status_code == 302
    )
    with tenant(coop.id):
        stage = db.session.scalar(select(FormationStage).where(FormationStage.stage == "musdesus"))
        item = db.session.scalar(select(FormationEvidence))
    assert (stage.status, stage.attendance) == ("diajukan", 120)
    assert (item.filename, item.content_type, item.size) == ("BA musdesus.pdf", "application/pdf", len(PDF))
    stored, item_id = evidence_dir / item.storage_key, item.id
    assert stored.read_bytes() == PDF
    assert "static" not in stored.parts
    db.session.expire_all()
    assert db.session.get(Cooperative, coop.id).stages_awaiting_review == 1

    served = client.get(f"/k/cangkuang-wetan/pembentukan/bukti/{item_id}")
    assert served.status_code == 200 and served.data == PDF
    assert served.headers["Content-Type"] == "application/pdf"
    assert "no-store" in served.headers["Cache-Control"]
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"formation_stage_saved", "formation_evidence_uploaded"} <= actions


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (EXE, "berita-acara.pdf", "isinya harus PDF, JPG, atau PNG"),
        (b"just some text pretending", "foto.png", "isinya harus PDF, JPG, atau PNG"),
        (PDF + b"0" * (formation.MAX_EVIDENCE_BYTES), "besar.pdf", "Berkas terlalu besar"),
    ],
)
def test_a_disguised_or_oversize_file_is_refused_and_nothing_is_written(
    ketua_client, evidence_dir, content, filename, message
):
    coop, client = ketua_client
    response = upload(client, "sosialisasi", content, filename=filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with tenant(coop.id):
        assert count(FormationStage) == 0 and count(FormationEvidence) == 0
    assert not any(Path(evidence_dir).rglob("*.*"))


def test_a_png_photo_is_accepted_by_its_content(ketua_client, evidence_dir):
    coop, client = ketua_client
    assert upload(client, "sosialisasi", PNG, filename="foto.jpeg").status_code == 302
    with tenant(coop.id):
        assert db.session.scalar(select(FormationEvidence.content_type)) == "image/png"


# --- satgas -----------------------------------------------------------------------------------


@pytest.fixture
def submitted(ketua_client, evidence_dir):
    coop, client = ketua_client
    upload(client, "sosialisasi", PDF)
    with tenant(coop.id):
        item = db.session.scalar(select(FormationEvidence))
    return coop, item


def test_a_satgas_of_the_region_verifies_a_stage_and_the_microsite_shows_it(app, make_client, submitted):
    coop, item = submitted
    satgas = make_user("Satgas Jabar")
    grant_platform_role(satgas, "satgas", region_code="32.04")
    http = make_client()
    http.login(satgas)
    listing = http.get("/satgas").get_data(as_text=True)
    assert f"/satgas/koperasi/{coop.id}" in listing
    page = http.get(f"/satgas/koperasi/{coop.id}")
    assert page.status_code == 200 and "Menunggu verifikasi" in page.get_data(as_text=True)
    assert http.get(f"/satgas/koperasi/{coop.id}/bukti/{item.id}").data == PDF

    response = http.post(f"/satgas/koperasi/{coop.id}/tahap/sosialisasi", {"decision": "verify"})
    assert response.status_code == 302
    with tenant(coop.id):
        assert db.session.scalar(select(FormationStage.status)) == "terverifikasi"
    db.session.expire_all()
    refreshed = db.session.get(Cooperative, coop.id)
    assert (refreshed.verified_stage, refreshed.stages_awaiting_review) == ("sosialisasi", 0)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "formation_stage_verified"))
    assert (entry.actor_id, entry.cooperative_id) == (satgas.id, coop.id)

    site = make_client().get("/koperasi/cangkuang-wetan").get_data(as_text=True)
    assert "Sosialisasi</span> <small>Terverifikasi" in site


def test_a_returned_stage_shows_the_cooperative_the_reason(app, make_client, submitted, ketua_client):
    coop, _item = submitted
    satgas = make_user()
    grant_platform_role(satgas, "satgas", region_code="32")
    http = make_client()
    http.login(satgas)
    empty = http.post(f"/satgas/koperasi/{coop.id}/tahap/sosialisasi", {"decision": "return"})
    assert empty.status_code == 422 and "Tuliskan alasan pengembalian." in empty.get_data(as_text=True)
    http.post(
        f"/satgas/koperasi/{coop.id}/tahap/sosialisasi",
        {"decision": "return", "reason": "Foto kegiatan belum ada"},
    )
    _coop, client = ketua_client
    page = client.get("/k/cangkuang-wetan/pembentukan").get_data(as_text=True)
    assert "Dikembalikan" in page and "Perbaikan: Foto kegiatan belum ada" in page


def test_a_satgas_of_another_province_sees_neither_the_cooperative_nor_its_evidence(
    app, make_client, submitted
):
    coop, item = submitted
    other = make_user("Satgas Jateng")
    grant_platform_role(other, "satgas", region_code="33")
    http = make_client()
    http.login(other)
    assert coop.name not in http.get("/satgas").get_data(as_text=True)
    assert http.get(f"/satgas/koperasi/{coop.id}").status_code == 404
    assert http.get(f"/satgas/koperasi/{coop.id}/bukti/{item.id}").status_code == 404
    assert (
        http.post(f"/satgas/koperasi/{coop.id}/tahap/sosialisasi", {"decision": "verify"}).status_code == 404
    )
    with tenant(coop.id):
        assert db.session.scalar(select(FormationStage.status)) == "diajukan"
    # nor through another cooperative of their own province, using this one's evidence id
    own = make_cooperative("33.07.07.1006", "kop-jateng")
    assert http.get(f"/satgas/koperasi/{own.id}/bukti/{item.id}").status_code == 404


def test_a_stranger_cannot_fetch_evidence_without_signing_in(app, make_client, submitted):
    _coop, item = submitted
    response = make_client().get(f"/k/cangkuang-wetan/pembentukan/bukti/{item.id}")
    assert response.status_code == 302 and "/masuk" in response.location


# --- microsite and directory ------------------------------------------------------------------


def test_the_microsite_is_light_without_javascript_and_has_opengraph_tags(app, make_client, ketua_client):
    coop, client = ketua_client
    client.post(
        "/k/cangkuang-wetan/profil",
        {"section": "officer", "position": "ketua", "name": "Budi Santoso", "nik": "3204120501900002"},
    )
    client.post(
        "/k/cangkuang-wetan/profil",
        {"section": "units", "status_sembako": "beroperasi", "started_sembako": "2025-08-01"},
    )
    response = make_client().get("/koperasi/cangkuang-wetan")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(response.data) < 30_000
    assert "<script" not in body
    assert f'<meta property="og:title" content="{coop.name}">' in body
    assert 'property="og:url" content="http://localhost/koperasi/cangkuang-wetan"' in body
    assert "Budi Santoso" in body and "3204120501900002" not in body and "320412" not in body
    assert "Gerai sembako" in body and "Cangkuang Wetan, Dayeuhkolot, Kabupaten Bandung, Jawa Barat" in body
    assert "Belum berbadan hukum" in body
    assert make_client().get("/koperasi/tidak-ada").status_code == 404


def test_the_qr_poster_links_to_the_microsite(app, make_client):
    make_cooperative(VILLAGE, "cangkuang-wetan")
    http = make_client()
    poster = http.get("/koperasi/cangkuang-wetan/poster").get_data(as_text=True)
    assert (
        "/koperasi/cangkuang-wetan/qr.svg" in poster and "http://localhost/koperasi/cangkuang-wetan" in poster
    )
    svg = http.get("/koperasi/cangkuang-wetan/qr.svg")
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and svg.data.startswith(b"<svg")


def test_the_directory_searches_by_name_and_filters_by_region(app, make_client):
    make_cooperative(VILLAGE, "cangkuang-wetan")
    make_cooperative("33.07.07.1006", "kop-jateng")
    with db.engine.begin() as conn:  # names as registered
        conn.execute(
            text(
                "UPDATE cooperatives SET name = 'Koperasi Desa Merah Putih Cangkuang Wetan' WHERE slug = 'cangkuang-wetan'"
            )
        )
    http = make_client()
    by_name = http.get("/koperasi?q=cangkuang").get_data(as_text=True)
    assert "/koperasi/cangkuang-wetan" in by_name and "/koperasi/kop-jateng" not in by_name
    by_region = http.get("/koperasi?region=33").get_data(as_text=True)
    assert "/koperasi/kop-jateng" in by_region and "/koperasi/cangkuang-wetan" not in by_region
    by_regency = http.get("/koperasi?region=32&regency=32.04").get_data(as_text=True)
    assert "/koperasi/cangkuang-wetan" in by_regency
    assert http.get("/koperasi?region=bogus&q=" + "x" * 200).status_code == 200


def test_a_stage_dated_in_the_future_is_refused_with_the_message(ketua_client, evidence_dir):
    coop, client = ketua_client
    response = upload(client, "sosialisasi", PDF, held_on="2099-01-01")
    assert response.status_code == 422
    assert "Tanggal tidak boleh di masa depan." in response.get_data(as_text=True)
    with tenant(coop.id):
        assert count(FormationStage) == 0
