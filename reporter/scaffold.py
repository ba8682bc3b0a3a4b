"""`reporter new`: start a record, a brief or a template from a skeleton that already validates.

A new brief takes its template's manifest: its default audience, and the keys the
template uses (commented out, ready to fill in). A new template extends a bundled one
and copies its manifest, so it builds as it is.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.errors import TemplateMissing, UsageError
from reporter.output import write_atomic

if TYPE_CHECKING:  # pragma: no cover
    from reporter.render import Templates

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
template: {template}
audience: {audience}     # the template's default; public, regulator, executive, or one from reporter.toml
title: {title}
date: {today}
incidents: []            # ids; empty means every record{one}
formats: [{formats}]
"""

# What each key a template may use looks like in a brief (commented out in a new one).
KEY_EXAMPLES = {
    "compare": "compare: [earlier-incident-id]",
    "to": "to:\n  - {{name: Full Name, title: Title, organisation: Organisation, address: [Line 1, Line 2]}}",
    "from": "from: {{name: Full Name, title: Title}}",
    "salutation": 'salutation: "Dear Chair:"',
    "bottom_line": "bottom_line: >-\n  One paragraph: what happened and what it means.",
    "body": "body: |\n  Your own paragraphs. Cite figures, never type them: {{accounts}}, {{interactions}}, {{window}}.",
    "body_file": "body_file: letter.md",
    "conclusion": "conclusion: >-\n  The paragraph before the sign-off.",
    "closing": 'closing: "Sincerely,"',
    "our_reference": "our_reference: OUR-REF-1",
    "your_reference": "your_reference: THEIR-REF-1",
    "cc": "cc: [Full Name]",
    "enclosures": "enclosures: [Title of the enclosure]",
    "contact": "contact: {{name: Full Name, email: name@example.org}}",
    "appendix": "appendix: figures",
    "period_label": "period_label: the second quarter of 2026",
    "categories": "categories: [distillation]",
    "category_labels": "category_labels: {{distillation: Distillation of models}}",
    "advice": "advice:\n  - What a reader can do.",
    "asks": "asks:\n  - What the reader is asked to do.",
    "actions": "actions:\n  - An action taken, beyond those in the records.",
    "recommendations": "recommendations:\n  - A recommendation.",
    "marking": "marking: CONFIDENTIAL",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


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


def new_brief(name: str, directory: Path, *, template: str = "regulator-letter", templates: Templates | None = None,
              today: date | None = None) -> Path:
    """Write ``directory/<name>.yaml`` from the brief skeleton for ``template``; return its path.

    The brief has the template's default audience and formats, and the keys the template
    uses (from its manifest) commented out with an example each.

    Args:
        templates: where ``template`` is looked up (default: the bundled templates only).

    Raises:
        UsageError: ``name`` is not a slug, the file exists, or there is no such template.
    """
    from reporter.brief import Brief
    from reporter.render import Templates

    target = _target(directory, name, ".yaml")
    try:
        manifest = (templates or Templates()).manifest(template)
    except TemplateMissing as exc:
        raise UsageError(f"--template: {exc}") from None
    text = BRIEF.format(template=template, audience=manifest.audience, title=name.replace("-", " ").capitalize(),
                        today=(today or date.today()).isoformat(), formats=", ".join(manifest.formats),
                        one="; this template takes one" if manifest.one_incident else "")
    if manifest.keys:
        fields = {info.alias or key: info for key, info in Brief.model_fields.items()}
        text += f"\n# Also read by {template} (uncomment to use):\n"
        for key in manifest.keys:
            text += f"\n# {fields[key].description}\n"
            text += "".join(f"# {line}\n" for line in KEY_EXAMPLES[key].format().splitlines())
    write_atomic(target, text)
    return target


def new_template(name: str, directory: Path, *, base: str = "disclosure-summary") -> Path:
    """Write a user template ``directory/<name>/`` that extends the bundled ``base``; return the folder.

    It holds ``template.toml`` (the base's manifest with a description of its own),
    ``body.md.j2`` extending ``default:BASE/body.md.j2``, a ``page.html.j2`` extending the
    base's page frame if it has one, and a copy of the base's ``style.css`` if it has one
    (stylesheets cannot extend). It builds as it is, like the base; edit from there.

    Raises:
        UsageError: ``name`` is not a slug, the folder exists, or ``base`` is no bundled template.
    """
    from reporter.render import BODY, PAGE, STYLE, Templates, bundled_templates

    target = _target(directory, name, "")
    bare = base.removeprefix("default:")
    try:
        manifest = Templates().manifest(f"default:{bare}")
    except TemplateMissing as exc:
        raise UsageError(f"--template: {exc}") from None
    source = bundled_templates() / bare
    files = {
        "template.toml": manifest.to_toml(
            description=f"{name.replace('-', ' ').capitalize()}: a template based on {bare}.",
            comment=f"The manifest of the {name} template (started from {bare}'s).\n"
                    "Every key a brief for it may hold beyond the common ones must be listed in keys;\n"
                    "a template that prints a new key must list it, one that drops a key must not."),
        BODY: (f"{{#- {name}: starts as the bundled {bare} template. Override its text here, or replace\n"
               f"    the extends line with a body of your own (see templates/{bare}/body.md.j2). -#}}\n"
               f'{{% extends "default:{bare}/{BODY}" %}}\n'),
    }
    if (source / PAGE).is_file():
        files[PAGE] = f'{{% extends "default:{bare}/{PAGE}" %}}\n'
    if (source / STYLE).is_file():
        files[STYLE] = f"/* Copied from the bundled {bare} template. */\n" + (source / STYLE).read_text(encoding="utf-8")
    for file_name, text in files.items():
        write_atomic(target / file_name, text)
    return target
