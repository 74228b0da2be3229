"""`make script`: the whole script of the line, every sentence a caller can hear.

Phrases are listed under their key in the prompts file, as the line fills them in
(every variant the crawler meets, in office hours and after hours); content follows,
procedure by procedure, in the pieces the line reads.
"""

from __future__ import annotations

from typing import TextIO

from ivr.crawl import all_utterances
from ivr.flow import Line


def write_script(line: Line, out: TextIO) -> None:
    prompts = line.prompts
    out.write(f"The script of the {line.settings.practice} patient information line ({prompts.language})\n")
    out.write(f"Phrases come from {prompts.path}; [key] names each one. Content comes from the content folder.\n\n")
    variants: dict[str, list[str]] = {}
    for utterance in all_utterances(line):
        if not utterance.key.startswith("content:"):
            variants.setdefault(utterance.key, []).append(utterance.text)
    out.write("== Phrases ==\n")
    for key in prompts.say:
        texts = variants.get(key)
        if not texts:
            out.write(f"[{key}] (not used with these settings)\n  {prompts.say[key]}\n")
            continue
        out.write(f"[{key}]\n")
        for text in texts:
            out.write(f"  {text}\n")
    for procedure in line.library.procedures:
        out.write(f"\n== Content: {procedure.title} ({procedure.path}) ==\n")
        source = ", ".join(
            part
            for part in (
                procedure.practice,
                procedure.physician,
                f"page dated {procedure.page_date}" if procedure.page_date else "",
                f"reviewed {procedure.reviewed}" if procedure.reviewed else "",
            )
            if part
        )
        if source:
            out.write(f"Source: {source}\n")
        for section in procedure.sections:
            out.write(f'-- Section: {section.title} (line {section.line}; menu: "{section.menu_name}")\n')
            for number, chunk in enumerate(section.chunks, start=1):
                out.write(f"  [{number}] {chunk}\n")
        for faq in procedure.faqs:
            out.write(f"-- Question: {faq.question} (line {faq.line}; id {faq.id})\n")
            for number, chunk in enumerate(faq.chunks, start=1):
                out.write(f"  [{number}] {chunk}\n")
