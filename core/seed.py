"""Demo data for `make run`: a platform admin, a satgas for Jawa Barat, a partner, and three
cooperatives in real villages with staff of every role. Idempotent: a second run changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from core.auth import hash_password
from core.db import db
from core.models import PartnerOrganisation, PlatformRole, User
from tenants.models import Cooperative, Membership

DEMO_PASSWORD = "kopdes-demo-2026"

COOPERATIVES = (
    ("32.04.12.2003", "cangkuang-wetan", "Koperasi Desa Merah Putih Cangkuang Wetan", "cw"),
    ("33.07.07.1006", "kalikajar", "Koperasi Kelurahan Merah Putih Kalikajar", "kk"),
    ("53.01.06.2007", "oefafi", "Koperasi Desa Merah Putih Oefafi", "of"),
)

STAFF = (
    ("ketua", "Ketua", ["ketua"]),
    ("sekretaris", "Sekretaris", ["sekretaris"]),
    ("bendahara", "Bendahara", ["bendahara"]),
    ("pengawas", "Pengawas", ["pengawas"]),
    ("manajer", "Manajer", ["manajer"]),
    ("kasir", "Kasir", ["kasir"]),
    ("apoteker", "Apoteker", ["apoteker"]),
    ("gudang", "Petugas Gudang", ["gudang"]),
    ("anggota", "Anggota", ["anggota"]),
)


def _user(email: str, name: str, phone: str | None = None) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, phone=phone, password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(user)
        db.session.flush()
    return user


def _platform_role(
    user: User, role: str, region_code: str | None = None, partner_id: int | None = None
) -> None:
    exists = db.session.scalar(
        select(PlatformRole.id).where(
            PlatformRole.user_id == user.id,
            PlatformRole.role == role,
            PlatformRole.region_code.is_not_distinct_from(region_code),
            PlatformRole.partner_id.is_not_distinct_from(partner_id),
        )
    )
    if exists is None:
        db.session.add(
            PlatformRole(user_id=user.id, role=role, region_code=region_code, partner_id=partner_id)
        )


def _member(coop: Cooperative, user: User, roles: list[str]) -> None:
    membership = db.session.scalar(
        select(Membership).where(Membership.cooperative_id == coop.id, Membership.user_id == user.id)
    )
    if membership is None:
        db.session.add(Membership(cooperative_id=coop.id, user_id=user.id, roles=roles))


def seed_demo_data() -> list[tuple[str, str]]:
    """Create what is missing and return the demo logins with what each can do."""
    logins: list[tuple[str, str]] = []
    admin = _user("admin@kopdes.id", "Admin Platform")
    _platform_role(admin, "platform_admin")
    logins.append((admin.email or "", "admin platform: membuat koperasi, mengundang staf"))
    satgas = _user("satgas.jabar@kopdes.id", "Satgas Jawa Barat")
    _platform_role(satgas, "satgas", region_code="32")
    logins.append((satgas.email or "", "satgas Provinsi Jawa Barat"))
    bulog = db.session.scalar(select(PartnerOrganisation).where(PartnerOrganisation.name == "Perum Bulog"))
    if bulog is None:
        bulog = PartnerOrganisation(name="Perum Bulog")
        db.session.add(bulog)
        db.session.flush()
    partner = _user("mitra@bulog.example", "Mitra Bulog")
    _platform_role(partner, "partner", partner_id=bulog.id)
    logins.append((partner.email or "", "mitra (Perum Bulog)"))
    for index, (village, slug, name, prefix) in enumerate(COOPERATIVES):
        coop = db.session.scalar(select(Cooperative).where(Cooperative.village_code == village))
        if coop is None:
            coop = Cooperative(slug=slug, name=name, village_code=village, created_by=admin.id)
            db.session.add(coop)
            db.session.flush()
        for key, title, roles in STAFF:
            phone = f"+628123{index}{STAFF.index((key, title, roles)):02d}0001"
            village_name = coop.name.split("Merah Putih ", 1)[-1]
            user = _user(f"{key}.{prefix}@kopdes.id", f"{title} {village_name}", phone)
            _member(coop, user, roles)
            if index == 0:
                logins.append((user.email or "", f"{', '.join(roles)} — {coop.name}"))
    # One person working in two cooperatives, to show switching between them.
    both = _user("bendahara.cw@kopdes.id", "Bendahara Cangkuang Wetan")
    second = db.session.scalar(select(Cooperative).where(Cooperative.village_code == COOPERATIVES[1][0]))
    if second is not None:
        _member(second, both, ["pengawas"])
    logins.append(("bendahara.cw@kopdes.id", "juga pengawas di Kalikajar (ganti koperasi)"))
    db.session.commit()
    return logins
