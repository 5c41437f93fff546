"""The directory as Open Referral HSDS 3.0, so that the city, 211-style systems or Integreat can
take it over: one JSON service record per entry (with its organization, phones, schedules,
languages and locations nested, as HSDS 3.0's service schema nests them) and the list of
organizations.

Identifiers are UUIDs derived from the entry ids, so a second export gives the same ids and a
receiving system can update instead of duplicating. Texts are in one language (German unless
asked otherwise); HSDS has no field for translations.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from .directory import Directory, Service, pick
from .i18n import ALL_DAY, language_name

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://quartierslotse.hagen/directory")
BYDAY = {"mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU"}
ACCESS = {
    "walk-in": "Ohne Termin",
    "call-first": "Bitte vorher anrufen",
    "appointment": "Nur mit Termin",
}


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _schedules(service: Service) -> list[dict[str, Any]]:
    rows = []
    for day, spans in service.hours.items():
        if day not in BYDAY:
            continue  # holiday hours: HSDS has no RRULE for public holidays; see the note
        for opens, closes in spans:
            row: dict[str, Any] = {
                "id": _id(service.id, "schedule", day, f"{opens:%H%M}"),
                "service_id": _id(service.id),
                "freq": "WEEKLY",
                "byday": BYDAY[day],
                "opens_at": f"{opens:%H:%M}",
                "closes_at": "24:00" if (opens, closes) == ALL_DAY else f"{closes:%H:%M}",
            }
            rows.append(row)
    note = pick(service.hours_note, "de")
    if rows and note:
        rows[0]["notes"] = note
    return rows


def _location(service: Service, lang: str) -> list[dict[str, Any]]:
    address = service.address
    if address is None or not address.street:
        return []
    location: dict[str, Any] = {
        "id": _id(service.id, "location"),
        "location_type": "physical",
        "name": pick(service.name, lang),
        "addresses": [
            {
                "id": _id(service.id, "address"),
                "location_id": _id(service.id, "location"),
                "address_1": address.street,
                "city": address.city,
                "region": "Nordrhein-Westfalen",
                "state_province": "Nordrhein-Westfalen",
                "postal_code": address.postcode or "",
                "country": "DE",
                "address_type": "physical",
            }
        ],
    }
    if address.lat is not None and address.lon is not None:
        location["latitude"] = address.lat
        location["longitude"] = address.lon
    if note := pick(address.note, lang):
        location["description"] = note
    return [
        {
            "id": _id(service.id, "service_at_location"),
            "service_id": _id(service.id),
            "location": location,
        }
    ]


def service_record(service: Service, lang: str = "de") -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": _id(service.id),
        "name": pick(service.name, lang),
        "description": pick(service.description, lang),
        "status": "active",
        "assured_date": service.verified.isoformat(),
    }
    if service.url:
        record["url"] = service.url
    if service.email:
        record["email"] = service.email
    if cost := pick(service.cost, lang):
        record["fees_description"] = cost
    if eligible := pick(service.eligibility, lang):
        record["eligibility_description"] = eligible
    process = [ACCESS[service.access]] if service.access else []
    if bring := pick(service.bring, lang):
        process.append(f"Mitbringen: {bring}")
    if process:
        record["application_process"] = ". ".join(process)
    if service.organisation:
        record["organization_id"] = _id("organization", service.organisation)
        record["organization"] = {
            "id": _id("organization", service.organisation),
            "name": service.organisation,
            "description": service.organisation,
        }
    record["phones"] = [
        {"id": _id(service.id, "phone", str(i)), "service_id": _id(service.id), "number": p}
        for i, p in enumerate(service.phone)
    ]
    record["schedules"] = _schedules(service)
    record["languages"] = [
        {
            "id": _id(service.id, "language", code),
            "service_id": _id(service.id),
            "name": language_name(code, "en"),
            "code": code,
        }
        for code in service.languages
    ]
    record["service_at_locations"] = _location(service, lang)
    # Where the facts come from, in HSDS's provenance table.
    record["metadata"] = [
        {
            "id": _id(service.id, "metadata", "source"),
            "resource_id": _id(service.id),
            "resource_type": "service",
            "last_action_date": service.verified.isoformat(),
            "last_action_type": "verified against source",
            "field_name": "",
            "previous_value": "",
            "replacement_value": service.source,
            "updated_by": "Quartierslotse",
        }
    ]
    return record


def export(directory: Directory, target: Path, lang: str = "de") -> int:
    """Write services.json and organizations.json; returns how many services."""
    target.mkdir(parents=True, exist_ok=True)
    services = [service_record(s, lang) for s in directory.services]
    organizations = {
        r["organization"]["id"]: r["organization"] for r in services if "organization" in r
    }
    (target / "services.json").write_text(
        json.dumps(services, ensure_ascii=False, indent=1), "utf-8"
    )
    (target / "organizations.json").write_text(
        json.dumps(list(organizations.values()), ensure_ascii=False, indent=1), "utf-8"
    )
    return len(services)
