"""`lotse geocode`: coordinates for directory entries from OpenStreetMap's Nominatim.

Only an address with a house number is looked up (a street alone would put the pin anywhere on
it), and only a result within reach of Hagen is taken. Nominatim's usage policy is kept: at most
one request a second, an identifying user agent, and every answer cached, so a second run asks
nothing again. Each coordinate is written into the entry's file with `geo_source`, the
OpenStreetMap object it came from; the rest of the file is left as the coordinator wrote it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim

from .directory import Service, check_directory, service_files
from .replies import distance_m

NOMINATIM = "nominatim.openstreetmap.org"
HAGEN = (51.3594, 7.4734)  # the town hall: results farther away than MAX_KM are another place
MAX_KM = 25
HOUSE_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class Found:
    lat: float
    lon: float
    geo_source: str


def query_of(service: Service) -> str | None:
    address = service.address
    if address is None or not address.street or address.lat is not None:
        return None
    if not HOUSE_NUMBER.search(address.street):
        return None
    return f"{address.street}, {address.postcode or ''} {address.city}, Deutschland".replace(
        "  ", " "
    )


def _found(raw: dict[str, Any] | None) -> Found | None:
    if not raw:
        return None
    lat, lon = float(raw["lat"]), float(raw["lon"])
    if distance_m(lat, lon, *HAGEN) > MAX_KM * 1000:
        return None
    osm_type, osm_id = raw.get("osm_type"), raw.get("osm_id")
    source = (
        f"https://www.openstreetmap.org/{osm_type}/{osm_id}"
        if osm_type and osm_id
        else "https://nominatim.openstreetmap.org/"
    )
    return Found(round(lat, 6), round(lon, 6), source)


def write_coordinates(path: Path, found: Found) -> bool:
    """Insert lat, lon and geo_source under the entry's `address:` block; False when the file
    has no block-style address to put them in (then a person edits it)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index("address:")
    except ValueError:
        return False
    street = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  street:")), None
    )
    if street is None:
        return False
    lines[street + 1 : street + 1] = [
        f"  lat: {found.lat}",
        f"  lon: {found.lon}",
        f"  geo_source: {found.geo_source}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def geocode_directory(
    root: Path,
    *,
    user_agent: str,
    domain: str = NOMINATIM,
    scheme: str = "https",
    cache: Path,
    delay: float = 1.0,
    dry_run: bool = False,
    report: Callable[[str], None] = print,
) -> int:
    """Look up every entry with a full address and no coordinates; returns how many got them."""
    directory, problems = check_directory(root)
    if directory is None:
        report(f"the directory has {len(problems)} problem(s); run lotse check first")
        return 0
    known: dict[str, Any] = json.loads(cache.read_text("utf-8")) if cache.is_file() else {}
    locator = Nominatim(user_agent=user_agent, domain=domain, scheme=scheme, timeout=10)
    lookup = RateLimiter(
        locator.geocode, min_delay_seconds=delay, max_retries=2, swallow_exceptions=False
    )
    files = {path.stem: path for path in service_files(root)}
    written = 0
    for service in directory.services:
        query = query_of(service)
        if query is None:
            continue
        if query not in known:
            location = lookup(query, exactly_one=True, country_codes="de")
            known[query] = location.raw if location is not None else None
            cache.write_text(json.dumps(known, ensure_ascii=False, indent=1), "utf-8")
        found = _found(known[query])
        if found is None:
            report(f"{service.id}: no place near Hagen found for {query!r}")
            continue
        path = files.get(service.id) or next(
            (p for p in files.values() if f"id: {service.id}" in p.read_text("utf-8")), None
        )
        if dry_run:
            report(f"{service.id}: {found.lat}, {found.lon} ({found.geo_source})")
        elif path is not None and write_coordinates(path, found):
            report(f"{service.id}: {found.lat}, {found.lon} written")
            written += 1
        else:
            report(f"{service.id}: {found.lat}, {found.lon} – add them by hand (no address block)")
    return written
