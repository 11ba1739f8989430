"""Times are stored in UTC and shown in the zone of the place they concern: WIB, WITA or WIT by
the province of a region code, WIB when none is known."""

from __future__ import annotations

from datetime import UTC, datetime

from core.i18n import local_time, zone_of

EVENING_UTC = datetime(2026, 11, 25, 19, 30, tzinfo=UTC)


def test_each_province_has_its_zone():
    assert zone_of("32.04.12.2003") == "WIB"  # Jawa Barat
    assert zone_of("61") == "WIB"  # Kalimantan Barat
    assert zone_of("73.71.01.1001") == "WITA"  # Makassar
    assert zone_of("51.71") == "WITA"  # Denpasar
    assert zone_of("64") == "WITA"  # Kalimantan Timur
    assert zone_of("81.71") == "WIT"  # Ambon
    assert zone_of("94") == "WIT"  # Papua Tengah
    assert zone_of(None) == zone_of("") == zone_of("99") == "WIB"


def test_a_utc_moment_is_shown_in_local_time_with_its_zone(app):
    with app.test_request_context("/"):
        assert local_time(EVENING_UTC, "32.04") == "26 Nov 2026 02.30 WIB"
        assert local_time(EVENING_UTC, "73.71") == "26 Nov 2026 03.30 WITA"
        assert local_time(EVENING_UTC, "91.01") == "26 Nov 2026 04.30 WIT"
        assert local_time(EVENING_UTC.replace(tzinfo=None)) == "26 Nov 2026 02.30 WIB"  # naive is UTC
        assert local_time(EVENING_UTC, "32", with_date=False) == "02.30 WIB"
        assert local_time(None) == ""


def test_english_pages_write_the_time_with_a_colon(app):
    with app.test_request_context("/"):
        from flask import session

        session["locale"] = "en"
        assert local_time(EVENING_UTC, "73") == "26 Nov 2026 03:30 WITA"
