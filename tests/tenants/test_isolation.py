"""The tenant isolation attack suite. Cooperative B is filled with rows carrying a secret marker;
a person of cooperative A then tries every page, every API endpoint, raw SQL and forged writes.
Every later module extends it through `tests/tenants/isolation.py`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.auth import issue_api_token
from core.db import db
from core.model_registry import import_all_models
from tenants.context import TenantRequired, tenant
from tenants.models import TenantScoped
from tests.conftest import add_staff, make_cooperative
from tests.tenants.isolation import SEEDERS

SECRET = "RAHASIA-B-7731"
PUBLIC_OK = {404, 403, 405, 410}


def _tenant_tables(engine) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT c.table_name FROM information_schema.columns c "
                    "JOIN information_schema.tables t USING (table_schema, table_name) "
                    "WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' "
                    "AND t.table_type = 'BASE TABLE' AND c.table_name <> 'outbox' ORDER BY 1"
                )
            ).scalars()
        )


@pytest.fixture
def world(app):
    """Cooperatives A and B, each with every role and rows in every tenant table."""
    coop_a = make_cooperative("32.04.12.2003", "koperasi-a")
    coop_b = make_cooperative("33.07.07.1006", "koperasi-b")
    all_roles = ("ketua", "sekretaris", "bendahara", "pengawas", "manajer", "kasir", "apoteker", "gudang")
    user_a = add_staff(coop_a, *all_roles)
    user_b = add_staff(coop_b, *all_roles)
    for coop, user, marker in ((coop_a, user_a, "MILIK-A"), (coop_b, user_b, SECRET)):
        with tenant(coop.id):
            for seed in SEEDERS:
                seed(coop, marker, user.id)
            db.session.commit()
    return coop_a, coop_b, user_a, user_b


def test_every_tenant_table_has_forced_rls_the_composite_key_and_a_tenant_index(owner_engine):
    tables = _tenant_tables(owner_engine)
    assert tables, "no tenant tables found"
    with owner_engine.connect() as conn:
        for table in tables:
            rls, forced = conn.execute(
                text(
                    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = CAST(:t AS regclass)"
                ),
                {"t": table},
            ).one()
            assert rls and forced, f"{table} lacks ENABLE/FORCE ROW LEVEL SECURITY"
            uniques = conn.execute(
                text(
                    "SELECT array_agg(a.attname ORDER BY a.attname) FROM pg_constraint k "
                    "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY(k.conkey) "
                    "WHERE k.conrelid = CAST(:t AS regclass) AND k.contype = 'u' GROUP BY k.oid"
                ),
                {"t": table},
            ).scalars()
            assert ["id", "tenant_id"] in [sorted(u) for u in uniques], (
                f"{table} lacks UNIQUE (tenant_id, id)"
            )
            leading = conn.execute(
                text(
                    "SELECT count(*) FROM pg_index i JOIN pg_attribute a "
                    "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                    "WHERE i.indrelid = CAST(:t AS regclass) AND a.attname = 'tenant_id'"
                ),
                {"t": table},
            ).scalar()
            assert leading, f"{table} has no index leading with tenant_id"
            policies = conn.execute(
                text(
                    "SELECT count(*) FROM pg_policies WHERE tablename = :t AND qual LIKE '%current_tenant_id()%'"
                ),
                {"t": table},
            ).scalar()
            assert policies, f"{table} has no tenant policy"


def test_foreign_keys_between_tenant_tables_include_tenant_id(owner_engine):
    tables = set(_tenant_tables(owner_engine))
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT conrelid::regclass::text, confrelid::regclass::text, "
                "ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY(conkey)) "
                "FROM pg_constraint WHERE contype = 'f'"
            )
        ).all()
    for source, target, columns in rows:
        if source in tables and target in tables:
            assert "tenant_id" in columns, f"{source} → {target} FK {columns} does not include tenant_id"


def test_every_tenant_table_is_filled_by_a_seeder_of_the_isolation_suite(world, owner_engine):
    with owner_engine.connect() as conn:
        for table in _tenant_tables(owner_engine):
            per_tenant = conn.execute(text(f"SELECT count(DISTINCT tenant_id) FROM {table}")).scalar()
            assert per_tenant == 2, f"{table}: add a seeder in tests/tenants/isolation.py"


def test_raw_sql_as_the_app_role_without_a_tenant_sees_zero_rows(world, app_engine):
    with app_engine.begin() as conn:
        for table in _tenant_tables(app_engine):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table


def test_raw_sql_as_the_app_role_sees_only_its_own_tenant(world, app_engine):
    coop_a, coop_b, *_ = world
    with app_engine.begin() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_a.id)})
        for table in _tenant_tables(app_engine):
            ids = set(conn.execute(text(f"SELECT DISTINCT tenant_id FROM {table}")).scalars())
            assert ids == {coop_a.id}, table


def test_the_database_refuses_rows_written_into_another_tenant(world, app_engine):
    coop_a, coop_b, *_ = world
    for table in _tenant_tables(app_engine):
        with app_engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(coop_a.id)})
            conn.execute(text(f"CREATE TEMP TABLE forged ON COMMIT DROP AS SELECT * FROM {table} LIMIT 1"))
            conn.execute(text("UPDATE forged SET tenant_id = :b, id = id + 1000000"), {"b": coop_b.id})
            with pytest.raises(DBAPIError, match="row-level security|append-only"):
                with conn.begin_nested():
                    conn.execute(text(f"INSERT INTO {table} SELECT * FROM forged"))
            with pytest.raises(DBAPIError, match="row-level security|append-only"):
                with conn.begin_nested():
                    conn.execute(text(f"UPDATE {table} SET tenant_id = :b"), {"b": coop_b.id})


def test_the_orm_refuses_tenant_queries_without_a_tenant(world):
    import_all_models()
    from sqlalchemy import select

    models = [m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)]
    assert models
    for model in models:
        with pytest.raises(TenantRequired):
            db.session.execute(select(model)).all()
        db.session.rollback()


def test_the_orm_sees_only_the_current_tenant(world):
    import_all_models()
    from sqlalchemy import select

    coop_a, coop_b, *_ = world
    with tenant(coop_a.id):
        for mapper in db.Model.registry.mappers:
            if issubclass(mapper.class_, TenantScoped):
                rows = db.session.scalars(select(mapper.class_)).all()
                assert rows and {r.tenant_id for r in rows} == {coop_a.id}, mapper.class_.__name__
        db.session.rollback()


def _fill(rule, slug: str, value: str) -> str:
    url = rule.rule.replace("<tenant_slug>", slug)
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", value, url)


def _tenant_rules(app):
    return [r for r in app.url_map.iter_rules() if "tenant_slug" in r.arguments]


def _b_ids(owner_engine, coop_b) -> set[str]:
    ids: set[str] = {"1", "2"}
    with owner_engine.connect() as conn:
        for table in _tenant_tables(owner_engine):
            ids |= {
                str(i)
                for i in conn.execute(
                    text(f"SELECT id FROM {table} WHERE tenant_id = :b"), {"b": coop_b.id}
                ).scalars()
            }
    return ids


def test_a_person_of_a_cannot_open_any_page_of_b(world, app, client):
    coop_a, coop_b, user_a, _ = world
    client.login(user_a)
    rules = _tenant_rules(app)
    assert len(rules) >= 4
    for rule in rules:
        url = _fill(rule, coop_b.slug, "1")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.get(url) if method == "GET" else client.post(url, {"x": "1"})
            body = response.get_data().decode("utf-8", "replace")  # PDFs are binary
            assert SECRET not in body, f"{method} {url} leaks B's data"
            if getattr(app.view_functions[rule.endpoint], "public_tenant", False):
                assert response.status_code in PUBLIC_OK | {200}, f"{method} {url}"
            else:
                assert response.status_code == 404, f"{method} {url} → {response.status_code}"


def test_a_person_of_a_using_ids_of_b_under_a_gets_nothing_of_b(world, app, client, owner_engine):
    coop_a, coop_b, user_a, _ = world
    client.login(user_a)
    for rule in _tenant_rules(app):
        if len(rule.arguments) < 2:
            continue
        for value in _b_ids(owner_engine, coop_b):
            url = _fill(rule, coop_a.slug, value)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = client.get(url) if method == "GET" else client.post(url, {"x": "1"})
                assert SECRET not in response.get_data().decode("utf-8", "replace"), (
                    f"{method} {url} leaks B's data"
                )
                assert response.status_code != 500, f"{method} {url}"


def test_every_api_endpoint_with_a_token_of_a_shows_nothing_of_b(world, app, owner_engine, make_client):
    coop_a, coop_b, user_a, _ = world
    _token, secret = issue_api_token(user_a, "uji", cooperative_id=coop_a.id)
    http = make_client()
    headers = {"Authorization": f"Bearer {secret}"}
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert rules
    for rule in rules:
        for value in _b_ids(owner_engine, coop_b):
            url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", value, rule.rule)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                response = http.open(url, method=method, headers=headers, json={})
                assert SECRET.lower() not in response.get_data().decode("utf-8", "replace").lower(), (
                    f"{method} {url}"
                )
                assert response.status_code < 500, f"{method} {url}"


def test_a_token_of_a_cannot_be_used_after_leaving_a(world, app, make_client):
    from core.models import User  # noqa: F401
    from tenants.models import Membership

    coop_a, _b, user_a, _ = world
    _token, secret = issue_api_token(user_a, "uji", cooperative_id=coop_a.id)
    db.session.execute(Membership.__table__.delete().where(Membership.user_id == user_a.id))
    db.session.commit()
    response = make_client().get("/api/v1/cooperative/staff", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401
