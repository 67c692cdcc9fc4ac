"""The regional settings an extension can have: time zone, country, language, time format."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    """An extension's regional settings, as RingCentral reports them."""

    timezone: str  # RingCentral's names, e.g. "US/Pacific"
    timezone_id: str
    timezone_description: str
    bias: int  # minutes from UTC outside daylight saving, as RingCentral's `bias`
    country: tuple[str, str, str, str]  # id, name, isoCode, callingCode
    language: tuple[str, str, str]  # id, name, localeCode
    time_format: str  # 12h | 24h


_US = ("1", "United States", "US", "1")
_US_ENGLISH = ("1033", "English (United States)", "en-US")
_UK = ("224", "United Kingdom", "GB", "44")
_UK_ENGLISH = ("2057", "English (United Kingdom)", "en-GB")
_GERMANY = ("83", "Germany", "DE", "49")
_GERMAN = ("1031", "German (Germany)", "de-DE")
_JAPAN = ("112", "Japan", "JP", "81")
_JAPANESE = ("1041", "Japanese (Japan)", "ja-JP")
_LONDON = "Dublin, Edinburgh, Lisbon, London"
_BERLIN = "Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"
REGIONS: dict[str, Region] = {
    r.timezone: r
    for r in (
        Region("US/Pacific", "58", "Pacific Time (US & Canada)", -480, _US, _US_ENGLISH, "12h"),
        Region("US/Mountain", "59", "Mountain Time (US & Canada)", -420, _US, _US_ENGLISH, "12h"),
        Region("US/Central", "60", "Central Time (US & Canada)", -360, _US, _US_ENGLISH, "12h"),
        Region("US/Eastern", "61", "Eastern Time (US & Canada)", -300, _US, _US_ENGLISH, "12h"),
        Region("Europe/London", "68", _LONDON, 0, _UK, _UK_ENGLISH, "24h"),
        Region("Europe/Berlin", "69", _BERLIN, 60, _GERMANY, _GERMAN, "24h"),
        Region("Asia/Tokyo", "90", "Osaka, Sapporo, Tokyo", 540, _JAPAN, _JAPANESE, "24h"),
    )
}
