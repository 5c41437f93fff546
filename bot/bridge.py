"""The optional translation bridge between residents and coordinators.

Coordinators read German; residents often write Arabic or Ukrainian. With `LOTSE_TRANSLATE_URL`
set to a self-hosted, LibreTranslate-compatible server, the desk sees a German translation under
every resident message and the resident gets the answer in their language, with the German
original below it. Resident text goes to that server only – never to a third party – and a
failing server never holds up a message: it then goes out untranslated.
"""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
MAX_CHARS = 5000  # LibreTranslate's usual per-request limit


class Bridge:
    def __init__(self, url: str, api_key: str = "") -> None:
        self.endpoint = url.rstrip("/") + "/translate"
        self.api_key = api_key

    async def translate(self, text: str, source: str, target: str) -> str | None:
        """The translation, or None when there is nothing to do or the server fails."""
        if source == target or not text.strip():
            return None
        payload = {"q": text[:MAX_CHARS], "source": source, "target": target, "format": "text"}
        if self.api_key:
            payload["api_key"] = self.api_key
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
                response = await client.post(self.endpoint, json=payload)
                response.raise_for_status()
                translated = response.json().get("translatedText")
        except (httpx.HTTPError, ValueError, AttributeError) as exc:
            log.warning("translation %s→%s failed: %s", source, target, exc)
            return None
        return translated if isinstance(translated, str) and translated.strip() else None
