"""Personal data (UU PDP) is shown masked unless a role needs the full value."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """`+6281234567890` → `+62812•••••890`."""
    if not phone:
        return ""
    return phone[:6] + "•" * max(len(phone) - 9, 0) + phone[-3:]


def mask_email(email: str | None) -> str:
    """`siti.aminah@example.id` → `s•••@example.id`."""
    if not email or "@" not in email:
        return ""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
