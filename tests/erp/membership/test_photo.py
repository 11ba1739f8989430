"""A member's optional photo: checked by its content, shrunk, stripped of metadata, kept under the
cooperative's row-level security, seen only by those who keep the register; a bad file changes
nothing."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db import db
from core.models import AuditEntry
from erp.membership import service
from erp.membership.models import PHOTO_MAX_SIDE, MemberPhoto
from erp.membership.service import PhotoRefused
from tenants.context import tenant
from tests.conftest import add_staff, make_cooperative
from tests.erp.membership.factories import make_member


def picture(size=(1200, 1600), fmt="JPEG", mode="RGB", exif: Image.Exif | None = None) -> bytes:
    image = Image.new(mode, size, (200, 120, 40, 128) if mode == "RGBA" else (200, 120, 40))
    out = io.BytesIO()
    image.save(out, format=fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def camera_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "KameraMurah"  # Make
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0), 3: "E", 4: (106.0, 49.0, 0.0)}  # GPS
    return exif


def _photos() -> int:
    return db.session.scalar(select(func.count()).select_from(MemberPhoto))


def test_a_phone_photo_is_shrunk_turned_upright_and_stored_without_its_metadata(coop):
    member = make_member()
    # A landscape JPEG whose EXIF says "rotate 90°", with the camera and a GPS position.
    service.set_photo(member.id, picture((1600, 1200), exif=camera_exif(orientation=6)))
    stored = service.photo_of(member.id)
    assert stored is not None and len(stored.jpeg) < 60_000
    image = Image.open(io.BytesIO(stored.jpeg))
    assert image.format == "JPEG"
    assert image.size == (stored.width, stored.height) == (360, PHOTO_MAX_SIDE)  # upright portrait
    assert "exif" not in image.info and len(image.getexif()) == 0
    assert b"KameraMurah" not in stored.jpeg
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == str(member.id)))
    assert "member.photo_set" in set(actions)


def test_a_transparent_png_is_flattened_onto_white_and_replaces_the_earlier_photo(coop):
    member = make_member()
    service.set_photo(member.id, picture((300, 400)))
    service.set_photo(member.id, picture((300, 400), fmt="PNG", mode="RGBA"))
    assert _photos() == 1
    stored = service.photo_of(member.id)
    image = Image.open(io.BytesIO(stored.jpeg))
    assert image.format == "JPEG" and image.mode == "RGB" and image.size == (300, 400)  # not enlarged
    r, g, b = image.getpixel((150, 200))
    assert r > 220 and g > 180 and b > 140  # half-transparent orange over white, not over black


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "kosong"),
        (b"MZ\x90\x00 bukan gambar, hanya bernama foto.jpg", "bukan foto JPEG atau PNG"),
        (picture(fmt="GIF", mode="P"), "bukan foto JPEG atau PNG"),
        (picture()[:400], "bukan foto JPEG atau PNG"),  # cut off in the middle
        (picture((40, 40)), "terlalu kecil"),
        (b"\xff\xd8" + b"0" * (service.PHOTO_UPLOAD_LIMIT + 1), "terlalu besar"),
    ],
    ids=["empty", "not-an-image", "gif", "truncated", "tiny", "too-large"],
)
def test_a_bad_file_is_refused_with_a_message_and_keeps_the_photo_there_was(coop, content, fragment):
    member = make_member()
    service.set_photo(member.id, picture((300, 400)))
    before = service.photo_of(member.id).jpeg
    with pytest.raises(PhotoRefused) as refused:
        service.set_photo(member.id, content)
    db.session.rollback()
    assert fragment in str(refused.value.message) and refused.value.fields["photo"]
    assert _photos() == 1 and service.photo_of(member.id).jpeg == before


def test_a_pixel_bomb_is_refused_before_it_is_decoded(coop, monkeypatch):
    member = make_member()
    monkeypatch.setattr(service, "PHOTO_MAX_PIXELS", 100 * 100)
    with pytest.raises(PhotoRefused, match="Ukuran gambar terlalu besar"):
        service.set_photo(member.id, picture((200, 200)))
    db.session.rollback()
    assert _photos() == 0


def test_the_register_keeper_uploads_sees_prints_and_removes_a_photo_and_others_do_not_see_it(
    app, client, make_client
):
    coop = make_cooperative()
    manajer, kasir = add_staff(coop, "manajer"), add_staff(coop, "kasir")
    with tenant(coop.id):
        member = make_member()
    page_url = f"/k/{coop.slug}/anggota/{member.id}"
    client.login(manajer)
    client.get(page_url)
    bad = client.post(page_url + "/foto", {"photo": (io.BytesIO(b"%PDF-1.4 bukan foto"), "foto.jpg")})
    assert bad.status_code == 422 and "bukan foto JPEG atau PNG" in bad.get_data(as_text=True)
    empty = client.post(page_url + "/foto", {})
    assert empty.status_code == 422 and "Pilih foto JPEG atau PNG" in empty.get_data(as_text=True)
    with tenant(coop.id):
        assert _photos() == 0
    plain_card = client.get(page_url + "/kartu.pdf").data
    done = client.post(page_url + "/foto", {"photo": (io.BytesIO(picture()), "IMG_0001.JPG")})
    assert done.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert f'src="{page_url}/foto.jpg"' in page and "Ganti foto anggota" in page
    served = client.get(page_url + "/foto.jpg")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert served.headers["Cache-Control"] == "private, no-store"
    card = client.get(page_url + "/kartu.pdf").data
    assert card.count(b"/Subtype /Image") == plain_card.count(b"/Subtype /Image") + 1

    other = make_client()
    other.login(kasir)  # member.view only
    assert "foto.jpg" not in other.get(page_url).get_data(as_text=True)
    assert other.get(page_url + "/foto.jpg").status_code == 403
    assert other.get(page_url + "/kartu.pdf").data.count(b"/Subtype /Image") == plain_card.count(
        b"/Subtype /Image"
    )
    assert other.post(page_url + "/foto", {"hapus": "1"}).status_code == 403

    assert client.post(page_url + "/foto", {"hapus": "1"}).status_code == 302
    assert client.get(page_url + "/foto.jpg").status_code == 404
    with tenant(coop.id):
        assert _photos() == 0


def test_the_members_own_data_download_carries_the_photo(coop):
    import base64

    member = make_member()
    assert service.export_own_data(member)["photo"] is None
    service.set_photo(member.id, picture((640, 480)))
    photo = service.export_own_data(member)["photo"]
    stored = service.photo_of(member.id)
    assert photo["format"] == "image/jpeg" and (photo["width"], photo["height"]) == (480, 360)
    assert base64.b64decode(photo["base64"]) == stored.jpeg
