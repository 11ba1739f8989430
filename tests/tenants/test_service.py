import pytest
from sqlalchemy import select

from core.errors import AlreadyExists, DomainError, NotFound
from core.models import AuditEntry, Notification
from tenants import service
from tenants.context import tenant
from tenants.models import Membership
from tests.conftest import add_staff, make_user


def test_creating_a_cooperative_suggests_the_standard_name_and_audits_it(app):
    admin = make_user("Admin")
    coop = service.create_cooperative("32.04.12.2003", None, admin)
    assert coop.name == "Koperasi Desa Merah Putih Cangkuang Wetan"
    assert coop.slug == "cangkuang-wetan"
    entry = app.extensions["sqlalchemy"].session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "cooperative")
    )
    assert entry.after["village_code"] == "32.04.12.2003"


def test_a_kelurahan_gets_the_kelurahan_name(app):
    coop = service.create_cooperative("33.07.07.1006", None, make_user())
    assert coop.name == "Koperasi Kelurahan Merah Putih Kalikajar"


def test_a_second_cooperative_for_the_same_village_is_refused_naming_the_first(app):
    admin = make_user()
    service.create_cooperative("32.04.12.2003", None, admin)
    with pytest.raises(AlreadyExists) as err:
        service.create_cooperative("32.04.12.2003", "Koperasi Lain", admin)
    assert "Cangkuang Wetan" in str(err.value.message)


def test_a_cooperative_needs_a_real_village(app):
    with pytest.raises(NotFound):
        service.create_cooperative("32.04.12", None, make_user())
    with pytest.raises(NotFound):
        service.create_cooperative("99.99.99.9999", None, make_user())


def test_an_invited_person_joins_with_the_invited_roles(app):
    from core.db import db

    ketua = make_user("Ketua")
    coop = service.create_cooperative("32.04.12.2003", None, ketua)
    with app.test_request_context(), tenant(coop.id):
        _inv, link = service.invite_staff(
            coop, email="kasir@example.id", phone=None, roles=["kasir"], invited_by=ketua
        )
        token = link.rsplit("/", 1)[1]
        assert db.session.scalar(select(Notification).where(Notification.recipient == "kasir@example.id"))
        user = service.accept_invitation(
            coop, token, user=None, name="Kasir Baru", password="kata-sandi-panjang"
        )
        assert service.membership_of(user.id, coop.id).roles == ["kasir"]
        with pytest.raises(service.InvitationInvalid):
            service.accept_invitation(coop, token, user=None, name="Lagi", password="kata-sandi-panjang")


def test_the_last_ketua_cannot_give_up_the_role(app):
    coop = service.create_cooperative("32.04.12.2003", None, make_user())
    ketua = add_staff(coop, "ketua")
    with pytest.raises(DomainError):
        service.set_roles(coop, ketua.id, ["anggota"])
    second = add_staff(coop, "ketua", "bendahara")
    service.set_roles(coop, ketua.id, ["anggota"])
    from core.db import db

    assert db.session.scalar(select(Membership.roles).where(Membership.user_id == ketua.id)) == ["anggota"]
    assert second
