import re

from sqlalchemy import select

from core.auth import MAX_FAILURES
from core.db import db
from core.models import AuditEntry, Notification
from tests.conftest import PASSWORD, add_staff, make_cooperative, make_user


def test_a_wrong_password_is_refused_with_an_indonesian_message(app, client):
    user = make_user()
    response = client.post("/masuk", {"identifier": user.email, "password": "salah-sekali"})
    assert response.status_code == 401
    assert "kata sandi salah" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login_failed"))


def test_sign_in_works_with_the_phone_number_in_local_form(app, client):
    user = make_user(phone="+6281234567890")
    response = client.post("/masuk", {"identifier": "0812-3456-7890", "password": PASSWORD})
    assert response.status_code == 302
    assert user.id


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(app, client):
    user = make_user()
    for _ in range(MAX_FAILURES):
        client.post("/masuk", {"identifier": user.email, "password": "salah-sekali"})
    response = client.post("/masuk", {"identifier": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Terlalu banyak percobaan" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(app, client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    client.login(ketua)
    response = client.post(
        f"/k/{coop.slug}/staf", {"invite": "1", "email": "x@example.id", "roles": "kasir"}, csrf=False
    )
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.get_data(as_text=True)
    assert db.session.scalar(select(Notification)) is None


def test_every_form_endpoint_refuses_a_post_without_csrf_token(app, make_client):
    client = make_client()
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or rule.rule.startswith("/api/"):
            continue
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule)
        response = client.post(url, {"x": "1"}, csrf=False)
        assert response.status_code in (400, 404), f"POST {url} → {response.status_code}"


def test_permission_is_denied_per_role(app, client):
    coop = make_cooperative()
    kasir = add_staff(coop, "kasir")
    client.login(kasir)
    assert client.get(f"/k/{coop.slug}/").status_code == 200
    assert client.get(f"/k/{coop.slug}/staf").status_code == 403
    assert client.get(f"/k/{coop.slug}/audit").status_code == 403
    assert client.get("/admin/koperasi").status_code == 403


def test_a_pengawas_sees_staff_but_cannot_invite(app, client):
    coop = make_cooperative()
    pengawas = add_staff(coop, "pengawas")
    client.login(pengawas)
    assert client.get(f"/k/{coop.slug}/staf").status_code == 200
    response = client.post(f"/k/{coop.slug}/staf", {"invite": "1", "email": "x@example.id", "roles": "kasir"})
    assert response.status_code == 403
    assert db.session.scalar(select(Notification)) is None


def test_password_reset_by_link_works_once(app, client):
    user = make_user(email="lupa@example.id")
    response = client.post("/lupa-sandi", {"identifier": "lupa@example.id"})
    assert response.status_code == 200
    note = db.session.scalar(select(Notification).where(Notification.recipient == "lupa@example.id"))
    link = re.search(r"http://localhost(/atur-ulang-sandi/\S+)", note.body).group(1)
    assert (
        client.post(
            link, {"password": "kata-sandi-baru-1", "password_again": "kata-sandi-baru-1"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            link, {"password": "kata-sandi-baru-2", "password_again": "kata-sandi-baru-2"}
        ).status_code
        == 422
    )
    assert (
        client.post("/masuk", {"identifier": user.email, "password": "kata-sandi-baru-1"}).status_code == 302
    )


def test_a_reset_request_for_an_unknown_account_looks_the_same_and_sends_nothing(app, client):
    response = client.post("/lupa-sandi", {"identifier": "tidak.ada@example.id"})
    assert response.status_code == 200
    assert db.session.scalar(select(Notification)) is None


def test_changing_roles_is_audited_with_before_and_after(app, client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    kasir = add_staff(coop, "kasir")
    client.login(ketua)
    response = client.post(
        f"/k/{coop.slug}/staf", {"set_roles": "1", "user_id": kasir.id, "roles": ["kasir", "gudang"]}
    )
    assert response.status_code == 302
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roles_changed"))
    assert entry.before == {"roles": ["kasir"]} and entry.after["roles"] == ["kasir", "gudang"]
    assert entry.actor_id == ketua.id and entry.cooperative_id == coop.id


def test_the_audit_log_refuses_update_and_delete(app, app_engine, owner_engine):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from core import audit

    audit.record("test", "thing", 1)
    db.session.commit()
    for engine in (app_engine, owner_engine):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("UPDATE audit_log SET action = 'changed'"))
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log"))


def test_a_person_in_two_cooperatives_switches_between_them(app, client):
    coop_a = make_cooperative("32.04.12.2003", "satu")
    coop_b = make_cooperative("33.07.07.1006", "dua")
    user = add_staff(coop_a, "bendahara")
    add_staff(coop_b, "pengawas", user=user)
    client.login(user)
    assert coop_a.name in client.get("/k/satu/").get_data(as_text=True)
    page = client.get("/k/dua/").get_data(as_text=True)
    assert coop_b.name in page and "Pengawas" in page


def test_reloading_after_an_invitation_or_a_new_token_repeats_nothing(app, client):
    from core.models import ApiToken

    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    client.login(ketua)
    response = client.post(
        f"/k/{coop.slug}/staf", {"invite": "1", "email": "baru@example.id", "roles": "kasir"}
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "/undangan/" in page
    assert "/undangan/" not in client.get(response.location).get_data(as_text=True), "the link shows once"
    client.get("/akun")
    response = client.post("/akun/token", {"name": "laptop", "cooperative_id": coop.id})
    assert response.status_code == 302
    assert '<code class="secret">kpd_' in client.get("/akun").get_data(as_text=True)
    assert '<code class="secret">' not in client.get("/akun").get_data(as_text=True), "the secret shows once"
    assert len(db.session.scalars(select(Notification)).all()) == 1
    assert len(db.session.scalars(select(ApiToken)).all()) == 1
