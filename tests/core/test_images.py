"""The shared photo kernel: what an upload must be to be accepted, what comes out (upright, on
white, plain JPEG without metadata), and the file store's keys, sizes and removal."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from core import images
from core.images import PhotoRefused


def picture(size=(1200, 1600), fmt="JPEG", mode="RGB", exif: Image.Exif | None = None) -> bytes:
    colour = (200, 120, 40, 128) if mode in ("RGBA", "LA") else (200, 120, 40)
    image = Image.new(mode, size, colour[:2] if mode == "LA" else colour)
    out = io.BytesIO()
    image.save(out, format=fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def camera_exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "KameraMurah"
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0), 3: "E", 4: (106.0, 49.0, 0.0)}
    return exif


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "kosong"),
        (b"MZ\x90\x00 bukan gambar", "bukan foto yang dapat dibaca"),
        (b"%PDF-1.4\n%\xe2\xe3 bukan foto", "bukan foto yang dapat dibaca"),
        (picture(fmt="GIF", mode="P"), "bukan foto yang dapat dibaca"),
        (picture(fmt="BMP"), "bukan foto yang dapat dibaca"),
        (picture()[:2000], "bukan foto yang dapat dibaca"),
        (picture((60, 300)), "terlalu kecil (paling sedikit 96 piksel)"),
        (b"\xff\xd8" + b"0" * images.MAX_BYTES, "terlalu besar (maksimal 8 MB)"),
    ],
    ids=["empty", "executable", "pdf", "gif", "bmp", "truncated", "too-small", "too-many-bytes"],
)
def test_a_file_that_is_not_a_usable_photo_is_refused_with_a_reason_under_photo(app, content, fragment):
    with pytest.raises(PhotoRefused) as refused:
        images.decode(content, min_side=96)
    assert fragment in str(refused.value.message)
    assert refused.value.fields == {"photo": [str(refused.value.message)]}
    assert refused.value.status == 422


def test_the_allow_list_decides_by_content_and_names_what_it_takes(app):
    webp = picture((300, 300), fmt="WEBP")
    assert images.decode(webp, min_side=96).size == (300, 300)
    with pytest.raises(PhotoRefused, match="bukan foto JPEG atau PNG"):
        images.decode(webp, min_side=96, accept=images.JPEG_PNG)


@pytest.mark.parametrize(
    "size", [(8000, 6000), (20_000, 20_000)], ids=["over-our-limit", "over-pillows-guard"]
)
def test_too_many_pixels_are_refused_before_decoding(app, monkeypatch, size):
    # A PNG of one colour is a few hundred KB but hundreds of MB once decoded.
    bomb = io.BytesIO()
    Image.new("L", size).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < images.MAX_BYTES
    decoded: list[bool] = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: decoded.append(True))
    with pytest.raises(PhotoRefused, match="Ukuran gambar terlalu besar"):
        images.decode(bomb.getvalue(), min_side=96)
    assert not decoded


def test_an_exif_rotated_jpeg_comes_out_upright_and_without_its_metadata(app):
    raw = picture((1600, 1200), exif=camera_exif(orientation=6))  # landscape, "rotate 90°"
    assert b"KameraMurah" in raw
    image = images.decode(raw, min_side=96, largest=600)
    assert image.mode == "RGB" and image.size[0] < image.size[1]  # portrait now
    jpeg = images.to_jpeg(image, 600)
    out = Image.open(io.BytesIO(jpeg.data))
    assert out.format == "JPEG" and out.size == (jpeg.width, jpeg.height) == (450, 600)
    assert len(out.getexif()) == 0 and "exif" not in out.info and "icc_profile" not in out.info
    assert b"KameraMurah" not in jpeg.data and b"Exif" not in jpeg.data


def test_a_png_with_alpha_is_flattened_onto_white_and_never_enlarged(app):
    image = images.decode(picture((300, 400), fmt="PNG", mode="RGBA"), min_side=96)
    jpeg = images.to_jpeg(image, 600)
    out = Image.open(io.BytesIO(jpeg.data))
    assert out.mode == "RGB" and out.size == (300, 400)
    r, g, b = out.getpixel((150, 200))
    assert r > 220 and g > 180 and b > 140  # half-transparent orange over white, not over black


def test_a_jpeg_is_decoded_at_a_reduced_scale_but_never_below_the_largest_size_kept(app):
    image = images.decode(picture((4000, 3000)), min_side=96, largest=600)
    assert min(image.size) >= 600 and image.size[0] < 4000
    assert images.to_jpeg(image, 600).width == 600


def test_a_byte_budget_lowers_the_quality_until_it_fits(app):
    noisy = Image.effect_noise((480, 480), 120).convert("RGB")
    loose = images.to_jpeg(noisy, 480)
    tight = images.to_jpeg(noisy, 480, max_bytes=len(loose.data) - 1)
    assert len(tight.data) < len(loose.data)
    with pytest.raises(PhotoRefused):
        images.to_jpeg(noisy, 480, max_bytes=100)


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "KOPDES_TEST_PHOTO_DIR", str(tmp_path))
    return images.FileStore("KOPDES_TEST_PHOTO_DIR", "test-photos", {"s": 96, "l": 600})


def test_the_store_writes_every_size_under_a_random_key_of_the_cooperative(store, tmp_path):
    image = images.decode(picture((1600, 1200)), min_side=96)
    first, second = store.save(42, image), store.save(42, image)
    assert first.key != second.key and first.key.startswith("42/") and len(first.key) == 3 + 32
    assert (first.width, first.height) == (600, 450)
    assert Image.open(tmp_path / f"{first.key}-s.jpg").size == (96, 72)
    assert Image.open(tmp_path / f"{first.key}-l.jpg").size == (600, 450)
    assert not list(tmp_path.rglob("*.part"))


def test_a_lookup_refuses_another_cooperatives_key_unknown_sizes_and_forged_keys(store, tmp_path):
    key = store.save(42, images.decode(picture((400, 300)), min_side=96)).key
    assert store.path(key, "s", tenant_id=42) == tmp_path / f"{key}-s.jpg"
    assert store.path(key, "s", tenant_id=43) is None
    assert store.path(key, "xl", tenant_id=42) is None
    token = key.split("/")[1]
    for forged in (f"42/../{token}", f"42/{token.upper()}", f"42/{token}/x", token, "", f"042x/{token}"):
        assert store.path(forged, "s", tenant_id=42) is None, forged


def test_removal_deletes_every_size_and_a_failed_save_leaves_nothing(store, tmp_path, monkeypatch):
    image = images.decode(picture((400, 300)), min_side=96)
    key = store.save(42, image).key
    store.remove(key)
    assert not list(tmp_path.rglob("*.jpg"))
    store.remove("42/../../etc")  # not a key: ignored
    calls = []
    real = images.to_jpeg

    def failing(img, longest, **kw):
        calls.append(longest)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(img, longest, **kw)

    monkeypatch.setattr(images, "to_jpeg", failing)
    with pytest.raises(OSError):
        store.save(42, image)
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
