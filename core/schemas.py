"""Shared marshmallow pieces: Indonesian default messages, phone numbers, and form loading.

Every input (form, JSON, import) passes a schema; failures become 422 with field messages.
"""

from __future__ import annotations

import re
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

fields.Field.default_error_messages = {
    "required": _l("Wajib diisi."),
    "null": _l("Wajib diisi."),
    "validator_failed": _l("Nilai tidak sah."),
}
fields.String.default_error_messages = {
    "invalid": _l("Harus berupa teks."),
    "invalid_utf8": _l("Teks tidak sah."),
}
fields.Integer.default_error_messages = {
    "invalid": _l("Harus berupa bilangan bulat."),
    "too_large": _l("Angka terlalu besar."),
}
fields.Number.default_error_messages = {
    "invalid": _l("Harus berupa angka."),
    "too_large": _l("Angka terlalu besar."),
}
fields.Decimal.default_error_messages = {"special": _l("Angka tidak sah.")}
fields.Boolean.default_error_messages = {"invalid": _l("Harus ya atau tidak.")}
fields.List.default_error_messages = {"invalid": _l("Harus berupa daftar.")}
fields.Date.default_error_messages = {
    "invalid": _l("Tanggal tidak sah (gunakan TTTT-BB-HH)."),
    "format": _l("Tanggal tidak sah."),
}
fields.DateTime.default_error_messages = {"invalid": _l("Waktu tidak sah."), "format": _l("Waktu tidak sah.")}

# Validators' own messages, in Indonesian (formatted when they fail, so they follow the locale).
validate.Length.message_min = _l("Terlalu pendek: minimal {min}.")
validate.Length.message_max = _l("Terlalu panjang: maksimal {max}.")
validate.Length.message_all = _l("Panjang harus {min} sampai {max}.")
validate.Length.message_equal = _l("Panjang harus tepat {equal}.")
validate.Range.message_min = "Harus {min_op} {{min}}."
validate.Range.message_max = "Harus {max_op} {{max}}."
validate.Range.message_all = "Harus {min_op} {{min}} dan {max_op} {{max}}."
validate.Range.message_gte = "paling sedikit"
validate.Range.message_gt = "lebih dari"
validate.Range.message_lte = "paling banyak"
validate.Range.message_lt = "kurang dari"
validate.OneOf.default_message = _l("Pilihan tidak dikenal.")
validate.Regexp.default_message = _l("Formatnya tidak sah.")

_PHONE_CHARS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str) -> str | None:
    """Indonesian mobile number as E.164 (`+628…`), from `08…`, `628…` or `+628…`; None if invalid."""
    digits = _PHONE_CHARS.sub("", raw or "")
    if digits.startswith("+62"):
        digits = digits[3:]
    elif digits.startswith("62"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return None
    if not re.fullmatch(r"8[0-9]{7,11}", digits):
        return None
    return "+62" + digits


class Phone(fields.String):
    """A mobile phone number, accepted as 08…/628…/+628… and stored as E.164."""

    default_error_messages = {"phone": _l("Nomor HP tidak sah (contoh: 0812 3456 7890).")}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        phone = normalize_phone(text)
        if phone is None:
            raise self.make_error("phone")
        return phone


class Email(fields.String):
    """An e-mail address, lower-cased."""

    default_error_messages = {"email": _l("Alamat e-mail tidak sah.")}
    _pattern = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if len(text) > 254 or not self._pattern.match(text):
            raise self.make_error("email")
        return text


class Trimmed(fields.String):
    """Text with surrounding spaces removed; empty text counts as missing."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise self.make_error("required")
        return text


def password_field() -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(min=10, max=200, error=_l("Kata sandi minimal 10 karakter.")),
    )


class FormSchema(Schema):
    """Base for HTML form schemas: unknown fields (the CSRF token, buttons) are ignored and empty
    optional inputs count as missing."""

    class Meta:
        unknown = EXCLUDE


def load_form(schema: Schema) -> dict[str, Any]:
    """Parse the submitted form with `schema`; empty strings are treated as absent."""
    data: dict[str, Any] = {}
    for key in request.form:
        values = [v for v in request.form.getlist(key) if v != ""]
        if not values:
            continue
        field = schema.fields.get(key)
        data[key] = values if isinstance(field, fields.List) else values[0]
    return schema.load(data)


def load_json(schema: Schema) -> dict[str, Any]:
    """Parse a JSON body with `schema`; a body that is not a JSON object is itself invalid input."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError({"_schema": [str(_l("Isi permintaan harus objek JSON."))]})
    return schema.load(body)
