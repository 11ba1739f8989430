"""The register's seeder for the tenant isolation suite: an active member whose name and address
carry the marker, with a photo."""

from __future__ import annotations

import io

from PIL import Image

from core.db import db
from erp.membership.models import MemberPhoto
from tenants.models import Cooperative
from tests.erp.membership.factories import make_member


def seed_membership(coop: Cooperative, marker: str, user_id: int) -> None:
    member = make_member(name=f"Anggota {marker}", address=f"Alamat {marker}", phone=None)
    jpeg = io.BytesIO()
    Image.new("RGB", (120, 160), (90, 60, 30)).save(jpeg, format="JPEG")
    db.session.add(MemberPhoto(member_id=member.id, jpeg=jpeg.getvalue(), width=120, height=160))
    db.session.flush()
