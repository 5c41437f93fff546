"""lotse geocode against a local stand-in for Nominatim over real HTTP: only full addresses are
looked up, answers are cached, far-away results are refused, the entry's file gets lat, lon and
geo_source and stays valid."""

from __future__ import annotations

import copy
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import TINY_SERVICES, write_directory

from bot.cli import main
from bot.directory import load_directory


class Nominatim(BaseHTTPRequestHandler):
    queries: ClassVar[list[str]] = []
    agents: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)["q"][0]
        Nominatim.queries.append(query)
        Nominatim.agents.append(self.headers.get("User-Agent", ""))
        if "Weitweg" in query:  # a namesake street in another town
            found = [
                {
                    "lat": "53.55",
                    "lon": "9.99",
                    "display_name": "Hamburg",
                    "osm_type": "way",
                    "osm_id": 1,
                }
            ]
        else:
            found = [
                {
                    "lat": "51.3601234",
                    "lon": "7.4712345",
                    "display_name": query,
                    "osm_type": "node",
                    "osm_id": 4242,
                }
            ]
        body = json.dumps(found).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def nominatim() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Nominatim.queries, Nominatim.agents = [], []
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_geocode_fills_in_full_addresses_once_and_refuses_other_towns(tmp_path, nominatim):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["address"] = {"street": "Musterstraße 1", "postcode": "58095"}
    services["notruf"]["address"] = {"street": "Weitweg 3"}
    services["street-only"] = {
        **copy.deepcopy(TINY_SERVICES["tafel"]),
        "id": "street-only",
        "address": {"street": "Bergstraße"},
    }
    root = write_directory(tmp_path / "k", services)
    args = ["geocode", "--knowledge", str(root), "--server", nominatim, "--http"]
    out = io.StringIO()
    assert main([*args, "--contact", "team@example.org"], out=out) == 0
    assert "1 entry got coordinates" in out.getvalue()
    assert "notruf: no place near Hagen" in out.getvalue()
    assert not any("Bergstraße" in q for q in Nominatim.queries)  # no house number, no lookup
    assert all("Quartierslotse" in a and "team@example.org" in a for a in Nominatim.agents)
    tafel = load_directory(root).service("tafel")  # the file is still a valid entry
    assert (tafel.address.lat, tafel.address.lon) == (51.360123, 7.471234)  # 6 places: ~10 cm
    assert tafel.address.geo_source == "https://www.openstreetmap.org/node/4242"
    asked = len(Nominatim.queries)
    assert main(args, out=io.StringIO()) == 0
    assert len(Nominatim.queries) == asked  # cached: the far-away answer is not asked again
