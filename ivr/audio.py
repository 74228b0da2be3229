"""Rendered prompt audio: the manifest that maps spoken text to telephone WAV files.

`make prompts` (ivr.render) writes the files and the manifest; the web app only reads
them here, so a missing or broken file degrades a phrase to <Say>, never a call.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("ivr.audio")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class AudioCatalogue:
    """Text -> file name, for the files that exist on disk."""

    directory: Path
    by_text: dict[str, str]
    files: frozenset[str]

    @classmethod
    def load(cls, directory: Path) -> AudioCatalogue:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = data["files"]
            by_text = {str(text): str(name) for text, name in entries.items() if (directory / str(name)).is_file()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("no usable audio manifest at %s (%s); every phrase uses <Say>", path, type(exc).__name__)
            by_text = {}
        return cls(directory, by_text, frozenset(by_text.values()))

    def file_for(self, text: str) -> str | None:
        return self.by_text.get(text)
