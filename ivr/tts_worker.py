"""The text-to-speech child process: `python -m ivr.tts_worker --voice V --rate R`.

pyttsx3 with espeak keeps process-wide state (one engine per process, one synth
callback, espeak initialised once and never shut down), so it lives here, never in
the web app or the renderer. The parent (ivr.tts.Worker) starts this process, talks
to it one JSON object per line, and kills it when it hangs.

Protocol, one JSON object per line:
  worker -> parent, once at start: {"ready": true, "engine": "..."} or {"ready": false, "error": "..."}
  parent -> worker:                {"text": "...", "path": "/abs/file.wav"}
  worker -> parent:                {"ok": true} or {"ok": false, "error": "..."}
The worker exits when its stdin closes.

pyttsx3 prints "Audio saved to ..." on stdout, so the protocol goes out on a private
copy of the original stdout and file descriptor 1 is pointed at /dev/null.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TextIO

# How long to wait for espeak's "finished" callback after runAndWait returns: in
# espeak's asynchronous mode runAndWait can return before the file is written.
FINISH_WAIT_SECONDS = 60.0


@dataclass
class Speaker:
    """One pyttsx3 engine, configured once, with the events it reports."""

    engine: Any  # pyttsx3.Engine; held strongly, its callbacks use weak references
    errors: list[BaseException] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def start(cls, voice: str, rate: int) -> Speaker:
        """Initialise pyttsx3 (espeak), set the voice and rate, and check they took."""
        import pyttsx3

        speaker = cls(pyttsx3.init())
        speaker.engine.connect("error", speaker._on_error)
        speaker.engine.connect("finished-utterance", speaker._on_finished)
        speaker.engine.setProperty("voice", voice)
        speaker.engine.setProperty("rate", rate)
        # The engine starts busy: the properties above are queued and applied by this
        # first run. Later calls apply at once (a runAndWait with no text would hang).
        speaker.engine.runAndWait()
        if speaker.errors:
            raise ValueError(f"cannot use voice {voice!r} at rate {rate}: {speaker.errors[0]}")
        return speaker

    def _on_error(self, name: object = None, exception: BaseException | None = None, **_: object) -> None:
        self.errors.append(exception or RuntimeError("unknown engine error"))

    def _on_finished(self, name: object = None, completed: bool = True, **_: object) -> None:
        self.finished.set()

    def save(self, text: str, path: str) -> None:
        """Render `text` to the WAV file `path`; raise when the engine reports a problem."""
        self.errors.clear()
        self.finished.clear()
        self.engine.save_to_file(text, path)
        self.engine.runAndWait()
        if not self.finished.wait(FINISH_WAIT_SECONDS):
            raise RuntimeError("the engine never finished the utterance")
        if self.errors:
            raise RuntimeError(f"engine error: {self.errors[0]}")
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            raise RuntimeError("the engine wrote no audio")


def engine_name() -> str:
    """pyttsx3 and its driver, with the pyttsx3 version (named as the parent names it)."""
    from ivr.tts import default_engine

    return default_engine()


def private_stdout() -> TextIO:
    """A line-buffered copy of stdout for the protocol; fd 1 itself then goes to /dev/null."""
    sys.stdout.flush()
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    return protocol


def send(channel: TextIO, message: dict[str, object]) -> None:
    channel.write(json.dumps(message, ensure_ascii=True) + "\n")
    channel.flush()


def handle(speaker: Speaker, line: str) -> dict[str, object]:
    """Answer one request line."""
    try:
        request = json.loads(line)
        text, path = str(request["text"]), str(request["path"])
    except (ValueError, KeyError, TypeError) as exc:
        return {"ok": False, "error": f"bad request: {type(exc).__name__}"}
    if not text.strip():
        return {"ok": False, "error": "empty text"}
    try:
        speaker.save(text, path)
    except Exception as exc:  # report it; the parent decides what to do with this worker
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return {"ok": True}


def main(argv: list[str] | None = None) -> int:
    """Serve render requests on stdin until it closes."""
    parser = argparse.ArgumentParser(prog="python -m ivr.tts_worker")
    parser.add_argument("--voice", required=True)
    parser.add_argument("--rate", type=int, required=True)
    args = parser.parse_args(argv)
    channel = private_stdout()
    try:
        speaker = Speaker.start(args.voice, args.rate)
    except Exception as exc:
        send(channel, {"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 1
    send(channel, {"ready": True, "engine": engine_name()})
    for line in sys.stdin:
        if line.strip():
            send(channel, handle(speaker, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
