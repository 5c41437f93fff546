"""lotse export --hsds: the directory as Open Referral HSDS 3.0, checked against the parts of
the HSDS 3.0 schema the export uses (required fields, identifier and date formats, the
enumerations), written out here from the specification's schema files: no package ships them
and the tests have no network."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
from jsonschema import Draft202012Validator

from bot.cli import main

UUID = {"type": "string", "format": "uuid"}
TIME = {"type": "string", "pattern": r"^([01]\d|2[0-4]):[0-5]\d$"}
DATE = {"type": "string", "format": "date"}

PHONE = {
    "type": "object",
    "required": ["id", "number"],
    "properties": {"id": UUID, "service_id": UUID, "number": {"type": "string"}},
}
SCHEDULE = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": UUID,
        "service_id": UUID,
        "freq": {"enum": ["WEEKLY", "MONTHLY"]},
        "byday": {
            "type": "string",
            "pattern": r"^(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU))*$",
        },
        "opens_at": TIME,
        "closes_at": TIME,
        "notes": {"type": "string"},
    },
}
LANGUAGE = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": UUID, "name": {"type": "string"}, "code": {"type": "string"}},
}
ADDRESS = {
    "type": "object",
    "required": [
        "id",
        "address_1",
        "city",
        "state_province",
        "postal_code",
        "country",
        "address_type",
    ],
    "properties": {
        "id": UUID,
        "location_id": UUID,
        "country": {"type": "string", "pattern": "^[A-Z]{2}$"},
        "address_type": {"enum": ["physical", "postal", "virtual"]},
    },
}
LOCATION = {
    "type": "object",
    "required": ["id", "location_type"],
    "properties": {
        "id": UUID,
        "location_type": {"enum": ["physical", "postal", "virtual"]},
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
        "addresses": {"type": "array", "items": ADDRESS},
    },
}
ORGANIZATION = {
    "type": "object",
    "required": ["id", "name", "description"],
    "properties": {"id": UUID, "name": {"type": "string"}, "description": {"type": "string"}},
}
METADATA = {
    "type": "object",
    "required": [
        "id",
        "resource_id",
        "resource_type",
        "last_action_date",
        "last_action_type",
        "field_name",
        "previous_value",
        "replacement_value",
        "updated_by",
    ],
    "properties": {"id": UUID, "resource_id": UUID, "last_action_date": DATE},
}
SERVICE = {
    "type": "object",
    "required": ["id", "name", "status"],
    "properties": {
        "id": UUID,
        "organization_id": UUID,
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "email": {"type": "string", "format": "email"},
        "status": {"enum": ["active", "inactive", "defunct", "temporarily closed"]},
        "assured_date": DATE,
        "organization": ORGANIZATION,
        "phones": {"type": "array", "items": PHONE},
        "schedules": {"type": "array", "items": SCHEDULE},
        "languages": {"type": "array", "items": LANGUAGE},
        "service_at_locations": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": UUID, "service_id": UUID, "location": LOCATION},
            },
        },
        "metadata": {"type": "array", "items": METADATA},
    },
}


def test_the_export_is_valid_hsds_and_stable(tmp_path):
    knowledge = Path(__file__).resolve().parent.parent / "knowledge"
    out = io.StringIO()
    assert (
        main(["export", "--hsds", str(tmp_path / "a"), "--knowledge", str(knowledge)], out=out) == 0
    )
    services = json.loads((tmp_path / "a" / "services.json").read_text("utf-8"))
    organizations = json.loads((tmp_path / "a" / "organizations.json").read_text("utf-8"))
    checker = jsonschema.FormatChecker()
    for record in services:
        Draft202012Validator(SERVICE, format_checker=checker).validate(record)
    for record in organizations:
        Draft202012Validator(ORGANIZATION, format_checker=checker).validate(record)
    assert len(services) >= 90 and len({s["id"] for s in services}) == len(services)
    assert any(s["schedules"] for s in services) and any(
        s["service_at_locations"] for s in services
    )
    main(
        ["export", "--hsds", str(tmp_path / "b"), "--knowledge", str(knowledge)], out=io.StringIO()
    )
    again = json.loads((tmp_path / "b" / "services.json").read_text("utf-8"))
    assert [s["id"] for s in again] == [s["id"] for s in services]  # updates, not duplicates


def test_a_broken_record_is_caught_by_the_schema_check():
    import pytest

    broken = {"id": "not-a-uuid", "name": "x", "status": "active"}  # only the id is wrong
    with pytest.raises(jsonschema.ValidationError):
        Draft202012Validator(SERVICE, format_checker=jsonschema.FormatChecker()).validate(broken)
