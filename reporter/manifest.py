"""Template manifests: what a template folder says about itself, in ``template.toml``.

Every template folder (bundled or a user's) carries one. It is the single source of the
facts the rest of the program needs about a template without rendering it: which brief
keys it uses, whether it is about one incident or many, its default audience, the output
formats it supports and the document's metadata subject. A brief key the template does not
use is an error (see :func:`reporter.brief.load_brief`), so nothing in a brief is ever
silently ignored.

Example (``templates/regulator-letter/template.toml``)::

    description = "Letter to a regulator or legislator: ..."
    keys = ["to", "from", "salutation", "bottom_line", "asks", "actions", "marking"]
    incidents = "one"
    audience = "regulator"
    formats = ["pdf", "md", "html"]
    subject = "Letter: {title}"
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reporter.brief import EVERY_BRIEF, TEMPLATE_KEYS
from reporter.errors import TemplateError
from reporter.formats import Format
from reporter.records import SLUG

MANIFEST = "template.toml"
RECORD_PARTS_LIST = ("summary", "actors", "evidence", "targets", "techniques", "timeline", "actions", "disclosures",
                     "sources")
"""The parts of a record a template prints or, in its manifest's ``omits``, says it leaves out."""
RECORD_PARTS = Literal[RECORD_PARTS_LIST]  # type: ignore[valid-type]
MAX_MANIFEST_BYTES = 64 * 1024  # a manifest is a dozen lines; anything far larger is not one
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Manifest(BaseModel):
    """A template's ``template.toml``: what it uses, what it makes, for whom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(description="One line: what the document is and who reads it.")
    keys: list[str] = Field(
        default_factory=list,
        description="Brief keys the template uses beyond those every brief has (" + ", ".join(EVERY_BRIEF)
        + "), from: " + ", ".join(TEMPLATE_KEYS) + ". A brief with any other key is an error.")
    incidents: Literal["one", "many"] = Field(
        description='"one": the document is about a single incident (a brief selecting several is an error); '
                    '"many": any number.')
    audience: str = Field(pattern=SLUG, description="Audience of a brief that names none, e.g. regulator.")
    formats: list[Format] = Field(
        min_length=1,
        description="Output formats the template supports, by their registry names (md, html, pdf); "
                    "also the formats of a brief that names none, in this order.")
    subject: str = Field(
        description='Document metadata subject (PDF Subject, HTML description); "{title}" stands for the '
                    "brief's title.")
    reader: Literal["external", "internal"] = Field(
        "external",
        description='"external": read outside the organisation (a regulator, a legislator, the public): the '
                    "document never says that material was withheld and prints no file path, hash or tool "
                    'version (the build report tells the drafter); "internal": read inside it (an executive '
                    "briefing), which may say so and list its inputs.")
    omits: list[RECORD_PARTS] = Field(  # type: ignore[valid-type]
        default_factory=list,
        description="Parts of a record the template does not print (" + ", ".join(RECORD_PARTS_LIST) + "); the "
                    "build report names each one a record has and the document leaves out.")

    @field_validator("description", "subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if _CONTROL.search(value):
            raise ValueError("expected one line of text (no newlines or control characters)")
        return value

    @field_validator("keys")
    @classmethod
    def _known_keys(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if key in EVERY_BRIEF:
                raise ValueError(f"'{key}' is a key of every brief; list only the template's own keys")
            if key not in TEMPLATE_KEYS:
                raise ValueError(f"'{key}' is not a brief key (expected some of {', '.join(TEMPLATE_KEYS)})")
        if len(set(keys)) != len(keys):
            raise ValueError("lists a key twice")
        return keys

    @field_validator("formats")
    @classmethod
    def _unique_formats(cls, formats: list[Format]) -> list[Format]:
        if len(set(formats)) != len(formats):
            raise ValueError("lists a format twice")
        return formats

    @field_validator("subject")
    @classmethod
    def _only_title(cls, subject: str) -> str:
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(subject)
                      if name is not None]
        except ValueError as exc:  # an unmatched brace
            raise ValueError(f"{exc} (write {{{{ and }}}} for literal braces)") from None
        for name, spec, conversion in fields:
            if name != "title" or spec or conversion:
                raise ValueError("the only placeholder is {title} (write {{ and }} for literal braces)")
        return subject

    @property
    def one_incident(self) -> bool:
        """Whether the template is about a single incident (``incidents = "one"``)."""
        return self.incidents == "one"

    def subject_for(self, title: str) -> str:
        """The metadata subject of a document with this title."""
        return self.subject.format(title=title)

    def to_toml(self, *, description: str | None = None, comment: str = "") -> str:
        """The manifest as TOML (each field with its description as a comment), for scaffolding."""
        values = self.model_dump(mode="json")
        if description is not None:
            values["description"] = description
        lines = [f"# {line}".rstrip() for line in comment.splitlines()]
        for name, info in type(self).model_fields.items():
            lines.append(f"# {info.description}")
            value = values[name]
            rendered = ("[" + ", ".join(_toml_string(v) for v in value) + "]") if isinstance(value, list) \
                else _toml_string(value)
            lines.append(f"{name} = {rendered}")
        return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", escaped) + '"'


def load_manifest(path: Path, display: str | None = None) -> Manifest:
    """Load and validate a ``template.toml``.

    Args:
        path: the file.
        display: how to name it in messages (default: ``path``).

    Raises:
        TemplateError: unreadable or invalid, every problem on its own line as
            ``FILE: KEY: MESSAGE`` (TOML syntax errors with their line and column).
    """
    shown = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"{shown}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_MANIFEST_BYTES:
        raise TemplateError(f"{shown}: over {MAX_MANIFEST_BYTES // 1024} KiB; not a template manifest")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise TemplateError(f"{shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"{shown}: invalid TOML: {exc}") from None
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            key = ".".join(str(part) for part in error["loc"])
            if error["type"] == "extra_forbidden":
                message = f"unknown key (expected one of {', '.join(Manifest.model_fields)})"
            elif error["type"] == "missing":
                message = "required key missing"
            elif error["type"] == "value_error":
                message = str(error.get("ctx", {}).get("error", error["msg"]))
            else:
                message = error["msg"]
            lines.append(f"{shown}: {key}: {message}")
        raise TemplateError("\n".join(lines)) from None
