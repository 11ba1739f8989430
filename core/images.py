"""Pictures people upload (member photos, Kophub listing photos, product photos): checked by their
content, turned upright, flattened onto white and re-encoded as JPEG; and a store that keeps such
JPEGs as files under random keys, one file per size.

Invariants: nothing is decoded before its byte size, its format (read from the content, never the
file name) and its pixel count are known to be within limits; what comes out is a plain RGB JPEG
with no EXIF, GPS, camera or other metadata; a stored key is `<tenant_id>/<32 hex digits>`, files
are written whole or not at all (`.part` then `os.replace`), and a lookup refuses any other key,
another cooperative's key and an unknown size, so no URL reaches a file outside the store.
"""

from __future__ import annotations

import io
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import DomainError, ErrorCode

# What a phone camera sends is a few MB; anything larger is refused before it is decoded, and so is
# an image whose pixel count could exhaust memory (a "decompression bomb").
MAX_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
QUALITY = 82


class PhotoRefused(DomainError):
    """An upload that is not a usable photo; the message says why, under the field `photo`."""

    code = ErrorCode.INVALID_INPUT
    status = 422

    def __init__(self, message: Any, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields if fields is not None else {"photo": [str(message)]})


@dataclass(frozen=True)
class Accept:
    """The formats a kind of photo may arrive in, and the refusal that names them."""

    formats: frozenset[str]
    refusal: Any


JPEG_PNG = Accept(frozenset({"JPEG", "PNG"}), _l("Berkas ini bukan foto JPEG atau PNG yang utuh."))
JPEG_PNG_WEBP = Accept(
    frozenset({"JPEG", "PNG", "WEBP"}),
    _l("Berkas bukan foto yang dapat dibaca: kirim JPG, PNG, atau WebP."),
)


def read_upload(stream: IO[bytes], max_bytes: int = MAX_BYTES) -> bytes:
    """At most one byte more than `max_bytes` of an upload: enough to refuse an oversized file
    without reading all of it."""
    return stream.read(max_bytes + 1)


def decode(
    data: bytes,
    *,
    min_side: int,
    accept: Accept = JPEG_PNG_WEBP,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    largest: int | None = None,
) -> Image.Image:
    """The upload as an upright RGB image (transparency flattened onto white), or PhotoRefused:
    empty, more than `max_bytes`, not one of `accept`'s formats or not whole, more than
    `max_pixels`, or a side shorter than `min_side`. `largest`: the biggest side that will be
    kept, so a JPEG may be decoded at a reduced scale (faster, and a fraction of the memory)."""
    if not data:
        raise PhotoRefused(_l("Berkas foto kosong."))
    if len(data) > max_bytes:
        raise PhotoRefused(_l("Foto terlalu besar (maksimal %(mb)s MB).", mb=max_bytes // (1024 * 1024)))
    formats = sorted(accept.formats)
    try:
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            width, height = probe.size
            if width * height > max_pixels:
                raise PhotoRefused(_l("Ukuran gambar terlalu besar; kecilkan dulu fotonya."))
            if min(width, height) < min_side:
                raise PhotoRefused(_l("Foto terlalu kecil (paling sedikit %(px)s piksel).", px=min_side))
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data), formats=formats)
        if largest is not None and image.format == "JPEG":
            image.draft(image.mode, (largest, largest))  # never below `largest` on either side
        image.load()
    except Image.DecompressionBombError:
        raise PhotoRefused(_l("Ukuran gambar terlalu besar; kecilkan dulu fotonya.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoRefused(accept.refusal) from None
    upright = ImageOps.exif_transpose(image)  # turn it upright before the metadata is dropped
    if upright.has_transparency_data:
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return upright.convert("RGB")


@dataclass(frozen=True)
class Jpeg:
    data: bytes
    width: int
    height: int


def to_jpeg(
    image: Image.Image, longest: int, *, max_bytes: int | None = None, progressive: bool = False
) -> Jpeg:
    """The image shrunk to fit `longest` (never enlarged) as a JPEG carrying no metadata; with
    `max_bytes`, at the best quality that fits."""
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    for quality in (QUALITY, 70, 55) if max_bytes is not None else (QUALITY,):
        out = io.BytesIO()
        # no exif=, icc_profile= or comment=: nothing of the upload is carried over
        copy.save(out, format="JPEG", quality=quality, optimize=True, progressive=progressive)
        if max_bytes is None or out.tell() <= max_bytes:
            return Jpeg(out.getvalue(), copy.width, copy.height)
    raise PhotoRefused(_l("Ukuran gambar terlalu besar; kecilkan dulu fotonya."))


KEY = re.compile(r"^([0-9]{1,19})/[0-9a-f]{32}$")


@dataclass(frozen=True)
class Stored:
    """A photo written to a store: its key and the size of its largest file."""

    key: str
    width: int
    height: int


class FileStore:
    """JPEG files of one kind of photo, each size of a photo in `<dir>/<tenant_id>/<hex>-<size>.jpg`.
    The directory is `app.config[config_key]` when set (tests), else `<instance>/<folder>`."""

    def __init__(self, config_key: str, folder: str, sizes: Mapping[str, int]) -> None:
        self.config_key = config_key
        self.folder = folder
        self.sizes = dict(sizes)

    def directory(self) -> Path:
        configured = current_app.config.get(self.config_key)
        return Path(configured) if configured else Path(current_app.instance_path) / self.folder

    def save(self, tenant_id: int, image: Image.Image) -> Stored:
        """Write the image at every size under a new random key. Files already written are removed
        again if a later one fails, so a key has all its files or none."""
        key = f"{int(tenant_id)}/{secrets.token_hex(16)}"
        largest = max(self.sizes.values())
        width = height = 0
        try:
            for size, longest in self.sizes.items():
                jpeg = to_jpeg(image, longest, progressive=longest >= 400)
                if longest == largest:
                    width, height = jpeg.width, jpeg.height
                path = self.directory() / f"{key}-{size}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                partial = path.with_name(path.name + ".part")
                partial.write_bytes(jpeg.data)
                os.replace(partial, path)
        except BaseException:
            self.remove(key)
            raise
        return Stored(key, width, height)

    def path(self, key: str, size: str, *, tenant_id: int | None) -> Path | None:
        """The file of a photo at a size, or None for a size or key that is not ours. `tenant_id`:
        the cooperative the key must belong to; None only for photos anyone may see (Kophub)."""
        match = KEY.match(key or "")
        if size not in self.sizes or match is None:
            return None
        if tenant_id is not None and int(match.group(1)) != tenant_id:
            return None
        return self.directory() / f"{key}-{size}.jpg"

    def remove(self, key: str) -> None:
        """Delete a photo's files (those that exist); a key that is not ours is ignored."""
        for size in self.sizes:
            path = self.path(key, size, tenant_id=None)
            if path is not None:
                path.unlink(missing_ok=True)
                path.with_name(path.name + ".part").unlink(missing_ok=True)
