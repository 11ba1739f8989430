"""Indonesian first, English second: the locale is the person's choice, else `id`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from babel.dates import format_date
from flask import g, has_request_context, session
from flask_login import current_user

LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    return DEFAULT_LOCALE


# Indonesia's three time zones (no daylight saving), by the province part of a Kemendagri region
# code: WIB (UTC+7) for Sumatra, Java and West/Central Kalimantan; WITA (UTC+8) for Bali, Nusa
# Tenggara, South/East/North Kalimantan and Sulawesi; WIT (UTC+9) for Maluku and Papua.
ZONE_OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9}
_WITA_PROVINCES = frozenset({"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"})
_WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})


def zone_of(region_code: str | None) -> str:
    """The time zone label of a region (any level of its code); WIB when unknown."""
    province = (region_code or "")[:2]
    if province in _WITA_PROVINCES:
        return "WITA"
    if province in _WIT_PROVINCES:
        return "WIT"
    return "WIB"


def local_time(moment: datetime | None, region_code: str | None = None, with_date: bool = True) -> str:
    """A moment as the people of that region read it, with its zone: `25 Nov 2026 09.30 WITA`
    (times are stored in UTC; a naive value is taken as UTC). Without a region: the zone of the
    cooperative whose pages these are, else WIB. Empty for no moment."""
    if moment is None:
        return ""
    if region_code is None and has_request_context():
        cooperative = g.get("cooperative")
        region_code = getattr(cooperative, "village_code", None)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    zone = zone_of(region_code)
    local = moment.astimezone(timezone(timedelta(hours=ZONE_OFFSETS[zone])))
    locale = select_locale()
    time_part = local.strftime("%H.%M" if locale == "id" else "%H:%M")
    if not with_date:
        return f"{time_part} {zone}"
    return f"{format_date(local.date(), 'd MMM y', locale=locale)} {time_part} {zone}"


def local_today(region_code: str | None = None) -> date:
    """Today's date in the region's time zone (WIB when unknown): what a form should offer as today."""
    offset = timedelta(hours=ZONE_OFFSETS[zone_of(region_code)])
    return datetime.now(UTC).astimezone(timezone(offset)).date()
