"""Bad input on the HTML forms: the form again with a clear message, status 422, nothing written."""

from sqlalchemy import func, select

from core.db import db
from core.models import Notification
from tenants.models import Cooperative
from tests.conftest import add_staff, grant_platform_role, make_cooperative, make_user


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_bad_cooperative_input_is_refused_with_a_message(app, client):
    admin = make_user()
    grant_platform_role(admin, "platform_admin")
    client.login(admin)
    for data, text in [
        ({"create": "1"}, "Wajib diisi"),
        ({"create": "1", "village_code": "32.04"}, "Kode desa tidak sah"),
        ({"create": "1", "village_code": "99.99.99.9999"}, "tidak ditemukan"),
        ({"create": "1", "village_code": "32.04.12.2003", "name": "abc"}, "Nama koperasi 5–160 karakter"),
    ]:
        response = client.post("/admin/koperasi", data)
        assert response.status_code in (404, 422), data
        assert text in response.get_data(as_text=True), (data, text)
    assert _count(Cooperative) == 0


def test_bad_invitation_input_is_refused_with_a_message(app, client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    client.login(ketua)
    for data, text in [
        ({"invite": "1", "roles": "kasir"}, "Isi e-mail atau nomor HP"),
        ({"invite": "1", "email": "bukan", "roles": "kasir"}, "e-mail tidak sah"),
        ({"invite": "1", "phone": "0211234", "roles": "kasir"}, "Nomor HP tidak sah"),
        ({"invite": "1", "email": "a@example.id"}, "Wajib diisi"),
        ({"invite": "1", "email": "a@example.id", "roles": "raja"}, "Peran tidak dikenal"),
    ]:
        response = client.post(f"/k/{coop.slug}/staf", data)
        assert response.status_code == 422, data
        assert text in response.get_data(as_text=True), (data, text)
    assert _count(Notification) == 0


def test_bad_login_and_reset_input_is_refused_with_a_message(app, client):
    response = client.post("/masuk", {})
    assert response.status_code == 422 and "Wajib diisi" in response.get_data(as_text=True)
    response = client.post("/lupa-sandi", {"identifier": "   "})
    assert response.status_code == 422
    response = client.post("/atur-ulang-sandi/xyz", {"password": "pendek", "password_again": "pendek"})
    assert response.status_code == 422 and "minimal 10" in response.get_data(as_text=True)
    response = client.post("/bahasa", {"locale": "fr"})
    assert response.status_code == 422


def test_a_region_query_with_bad_input_gets_422_json(app, client):
    assert client.get("/api/v1/regions?parent=abc").status_code == 422
    assert client.get("/api/v1/regions/search?q=a").status_code == 422
    assert client.get("/api/v1/regions?parent=32.04").status_code == 200
