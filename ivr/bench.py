"""`make bench`: how fast and how large the matcher is on synthetic content, and how long listening takes.

For 10, 100, 1,000 and 10,000 made-up FAQs (questions, extra phrasings, key words and
answers drawn from a made-up vocabulary that grows with the content), it reports the
index build time, the median and 99th-percentile time to decide one caller question
on one core, and the memory the index takes. Questions are a realistic mix: FAQ
questions with words dropped, misspelt, split apart or padded with fillers, and
questions with words the content never uses. Targets: under 1 ms per question at
1,000 FAQs and under 10 ms at 10,000.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
import tracemalloc
from dataclasses import dataclass

from ivr import text as textmod
from ivr.matching import Entry
from ivr.matching import Language
from ivr.matching import Matcher

SYLLABLES = (
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu la le li lo lu ma me mi mo mu "
    "na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu tha the thi"
).split()
QUESTION_STARTS = ("what is", "how does", "when can i", "why do i need", "can i", "what happens with", "is it safe to")
FILLERS = ("um", "uh", "so", "like", "you know", "i was wondering")


def make_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


def synthetic_entries(count: int, rng: random.Random) -> list[Entry]:
    vocabulary = sorted({make_word(rng) for _ in range(max(200, count // 2))})
    entries = []
    for index in range(count):
        topic = rng.sample(vocabulary, 3)
        question = f"{rng.choice(QUESTION_STARTS)} the {topic[0]} {topic[1]} {topic[2]}"
        phrasings = tuple(f"{rng.choice(QUESTION_STARTS)} {' '.join(rng.sample(topic, 2))}" for _ in range(3))
        answer = " ".join(rng.choice(vocabulary) for _ in range(40)) + "."
        entries.append(
            Entry(
                key=f"faq:{index}",
                label=question,
                phrasings=(question, *phrasings),
                keywords=tuple(topic),
                body=answer,
                ref=(0, index, "faq"),
            )
        )
    return entries


def garble(question: str, rng: random.Random) -> str:
    words = question.split()
    kind = rng.randrange(5)
    if kind == 0 and len(words) > 3:
        words.pop(rng.randrange(len(words)))  # a word lost
    elif kind == 1:
        position = rng.randrange(len(words))
        word = words[position]
        if len(word) > 4:
            cut = rng.randrange(1, len(word) - 1)
            words[position] = word[:cut] + " " + word[cut:]  # split in two
    elif kind == 2:
        position = rng.randrange(len(words))
        word = words[position]
        if len(word) > 3:
            spot = rng.randrange(1, len(word))
            words[position] = word[:spot] + word[spot + 1 :]  # a letter dropped
    elif kind == 3:
        words.insert(0, rng.choice(FILLERS))
    return " ".join(words)


def questions_for(entries: list[Entry], count: int, rng: random.Random) -> list[str]:
    questions = []
    for number in range(count):
        if number % 4 == 3:  # a quarter out of scope: words the content never uses
            questions.append(f"how much does the {make_word(rng)}{make_word(rng)} cost")
        else:
            questions.append(garble(rng.choice(entries).label, rng))
    return questions


@dataclass(frozen=True)
class Result:
    faqs: int
    build_seconds: float
    median_ms: float
    p99_ms: float
    memory_mb: float


def measure(count: int, question_count: int, seed: int = 11) -> Result:
    rng = random.Random(seed + count)
    entries = synthetic_entries(count, rng)
    language = Language(fillers=FILLERS)
    textmod.is_english("warm")  # the English word list is loaded once per process, not per index
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    matcher = Matcher(entries, language)
    build = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    questions = questions_for(entries, question_count, rng)
    for question in questions[:20]:  # warm caches as a running line would have them
        matcher.match(question)
    timings = []
    for question in questions:
        started = time.perf_counter()
        matcher.match(question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    return Result(count, build, statistics.median(timings), p99, peak / 1e6)


def main(args: argparse.Namespace) -> int:
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    print("Matcher benchmark: synthetic FAQs, one core, times per caller question")
    print(f"  {'FAQs':>7} {'index build':>12} {'median':>10} {'99th pct':>10} {'index memory':>13}")
    for size in sizes:
        result = measure(size, args.questions)
        print(
            f"  {result.faqs:>7,} {result.build_seconds:>11.2f}s {result.median_ms:>8.3f}ms"
            f" {result.p99_ms:>8.3f}ms {result.memory_mb:>11.1f}MB"
        )
    print("  targets: under 1 ms per question at 1,000 FAQs, under 10 ms at 10,000")
    print()
    print("\n".join(listening_report(args.questions)))
    return 0


def listening_report(question_count: int) -> list[str]:
    """What the bundled line spends before the matcher: urgent words and requests for a person, heard by the
    word lists alone and with the learned model, on callers' words from the tuning sets."""
    from ivr.cli import tool_config
    from ivr.evaluation import EVAL_DIR
    from ivr.evaluation import read_rows
    from ivr.intent_model import IntentModel
    from ivr.intent_model import model_path
    from ivr.line import load_line

    config = tool_config()
    line = load_line(config, intent_model=False)  # the model is loaded below, where its loading is timed
    rows = [row.question for path in sorted(EVAL_DIR.glob("dev*.tsv")) for row in read_rows(path)]
    questions = random.Random(7).sample(rows, min(question_count, len(rows)))
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    model = IntentModel.load(model_path(config.prompts_dir, config.language))
    load_seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = [
        "Listening for urgent words and requests for a person (the bundled line), times per caller utterance",
        f"  the learned model loads in {load_seconds:.2f}s and takes {peak / 1e6:.1f}MB",
        f"  {'':>22} {'median':>10} {'99th pct':>10}",
    ]
    alone = line.intents
    with_model = alone.with_model(model)
    for question in questions[:50]:  # warm the word caches both passes share
        with_model.is_urgent(question)
        with_model.wants_person(question)
        with_model.second_opinion(question)
    for name, intents in (("word lists alone", alone), ("word lists and model", with_model)):
        timings = []
        for question in questions:
            started = time.perf_counter()
            # as a question prompt hears it: the model is asked only where the lists heard nothing
            if not (intents.is_urgent(question) or intents.wants_person(question)):
                intents.second_opinion(question)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        lines.append(f"  {name:>22} {statistics.median(timings):>8.3f}ms {p99:>8.3f}ms")
    return lines
