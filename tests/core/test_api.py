from sqlalchemy import select

from core.auth import issue_api_token, token_digest
from core.db import db
from core.models import ApiToken
from tenants.context import tenant
from tenants.models import Invitation
from tests.conftest import add_staff, make_cooperative


def test_the_openapi_document_describes_every_api_endpoint(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    routes = {
        r.rule.replace("<", "{").replace(">", "}")
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and r.endpoint != "api.openapi"
    }
    assert routes <= documented
    invite = doc["paths"]["/api/v1/cooperative/invitations"]["post"]
    assert invite["requestBody"] and invite["security"] == [{"bearer": []}]
    assert "Error" in doc["components"]["schemas"]


def test_a_token_is_stored_only_as_its_hash(app):
    coop = make_cooperative()
    user = add_staff(coop, "ketua")
    token, secret = issue_api_token(user, "uji", cooperative_id=coop.id)
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash == token_digest(secret) and secret not in (stored.token_hash, stored.prefix)


def test_without_a_token_the_api_answers_401_in_json(app, client):
    response = client.get("/api/v1/cooperative/staff")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_bad_json_input_gets_422_with_field_messages_in_indonesian_and_writes_nothing(app, make_client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    _t, secret = issue_api_token(ketua, "uji", cooperative_id=coop.id)
    http = make_client()
    headers = {"Authorization": f"Bearer {secret}"}
    cases = [
        ({"email": "bukan-email", "roles": ["kasir"]}, "email"),
        ({"phone": "12345", "roles": ["kasir"]}, "phone"),
        ({"email": "a@example.id", "roles": []}, "roles"),
        ({"email": "a@example.id", "roles": ["raja"]}, "roles"),
        ({"roles": ["kasir"]}, "email"),
        ({"email": "a@example.id", "roles": ["kasir"], "extra": 1}, "extra"),
    ]
    for body, field in cases:
        response = http.open("/api/v1/cooperative/invitations", method="POST", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json["error"]["code"] == "invalid_input"
        assert field in response.json["error"]["fields"], (body, response.json)
    response = http.open("/api/v1/cooperative/invitations", method="POST", data="[1, 2", headers=headers)
    assert response.status_code == 422
    with tenant(coop.id):
        assert db.session.scalars(select(Invitation)).all() == []


def test_english_messages_with_the_english_locale(app, make_client):
    http = make_client()
    http.post("/bahasa", {"locale": "en"})
    response = http.post("/masuk", {"identifier": "", "password": ""})
    assert response.status_code == 422
    assert 'lang="en"' in response.get_data(as_text=True)


def test_a_valid_api_invitation_is_created_for_the_tokens_cooperative(app, make_client):
    coop = make_cooperative()
    ketua = add_staff(coop, "ketua")
    _t, secret = issue_api_token(ketua, "uji", cooperative_id=coop.id)
    response = make_client().open(
        "/api/v1/cooperative/invitations",
        method="POST",
        json={"phone": "0812 3456 7890", "roles": ["kasir", "gudang"]},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 201, response.json
    assert response.json["phone"] == "+6281234567890"
    with tenant(coop.id):
        assert [i.tenant_id for i in db.session.scalars(select(Invitation))] == [coop.id]
