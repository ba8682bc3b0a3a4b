"""`reporter new`: start a record or a brief from a skeleton that already validates."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from reporter.errors import UsageError
from reporter.output import write_atomic

RECORD = """\
# Incident record (format v1). Run `reporter validate` after editing; `reporter schema`
# prints the JSON Schema for editors.
id: {id}
title: {title}
category: {category}
status: draft            # draft, confirmed, disclosed, closed
sensitivity: confidential  # public, confidential, restricted (items may override)
summary: >-
  Cite figures as {{interactions}} or {{daily_rate}} so that no number is typed by hand.
window:
  start: {today}         # a date, a month (2026-05), a year, or an ISO datetime with offset
  end: null              # null while ongoing
timeline:
  detected: {today}
figures:
  interactions: about 1,000   # a number, a phrase ("over 13 million"), or {{value, qualifier}}
  accounts: 10
actors: []
sources: []
"""

BRIEF = """\
# Brief: which document to build, for whom, about which incidents.
template: {template}     # regulator-letter, executive-briefing, disclosure-summary, or your own
audience: {audience}     # public, regulator, executive, or one from reporter.toml
title: {title}
date: {today}
incidents: []            # ids; empty means every record
formats: [pdf, md, html]
"""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_AUDIENCE = {"regulator-letter": "regulator", "executive-briefing": "executive", "disclosure-summary": "public"}


def _target(directory: Path, name: str, suffix: str) -> Path:
    if not _SLUG.match(name):
        raise UsageError(f"{name!r} is not a slug: use lowercase letters, digits and hyphens")
    target = directory / f"{name}{suffix}"
    if target.exists():
        raise UsageError(f"{target} already exists; choose another name")
    return target


def new_record(record_id: str, directory: Path, *, category: str = "uncategorised", today: date | None = None) -> Path:
    """Write ``directory/<id>.yaml`` from the record skeleton; return its path."""
    target = _target(directory, record_id, ".yaml")
    title = record_id.replace("-", " ").capitalize()
    write_atomic(target, RECORD.format(id=record_id, title=title, category=category,
                                       today=(today or date.today()).isoformat()))
    return target


def new_brief(name: str, directory: Path, *, template: str = "regulator-letter", today: date | None = None) -> Path:
    """Write ``directory/<name>.yaml`` from the brief skeleton; return its path."""
    target = _target(directory, name, ".yaml")
    write_atomic(target, BRIEF.format(template=template, audience=_AUDIENCE.get(template, "regulator"),
                                      title=name.replace("-", " ").capitalize(),
                                      today=(today or date.today()).isoformat()))
    return target
