"""Generate N incident records shaped like the seed's (about 40 lines each), for benchmarks."""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path

TEMPLATE = """\
id: {id}
title: Coordinated distillation campaign number {n}
category: {category}
status: {status}
sensitivity: {sensitivity}
summary: >-
  Over {{window}} an operator drove {{interactions}} interactions through
  {{accounts}} fraudulent accounts.
window:
  start: {start}
  end: {end}
timeline:
  detected: {detected}
  reported:
    at: {reported}
    note: Letter to the committee.
figures:
  accounts: about {accounts:,}
  interactions: {interactions}
actors:
  - name: Operator {actor}
    kind: company
    attribution:
      confidence: high
      basis:
        - Shared payment instruments.
    figures:
      interactions: {interactions}
targets:
  - software engineering
  - agentic reasoning
techniques:
  - AML.T0024.002
actions:
  - text: Suspended the accounts.
    date: {end}
sources:
  - title: Coverage of campaign {n}
    publisher: Example Wire
    url: https://example.org/news/{n}
"""


def generate(count: int, directory: Path, seed: int = 7) -> list[Path]:
    """Write ``count`` records, one per file, into ``directory``; return the paths."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        start = date(2020, 1, 1) + timedelta(days=rng.randrange(2300))
        length = rng.randrange(5, 90)
        end = start + timedelta(days=length)
        path = directory / f"incident-{n:05d}.yaml"
        path.write_text(TEMPLATE.format(
            id=f"incident-{n:05d}", n=n, category=rng.choice(["distillation", "account-abuse", "data-exposure"]),
            status=rng.choice(["confirmed", "disclosed", "closed"]), sensitivity=rng.choice(["public", "confidential"]),
            start=start, end=end, detected=start + timedelta(days=rng.randrange(length + 1)),
            reported=end + timedelta(days=rng.randrange(1, 20)), accounts=rng.randrange(100, 50_000),
            interactions=rng.randrange(10_000, 50_000_000), actor=rng.randrange(40),
        ))
        paths.append(path)
    return paths


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
