"""Briefs: what document to make, for whom, about which incidents (``briefs/*.yaml``).

A brief is validated like a record -- unknown keys are errors, every problem is
reported with its file, line, column and key. Every brief has the keys of
:data:`EVERY_BRIEF`; the others (:data:`TEMPLATE_KEYS`) mean something only to the
templates that use them, as their manifest (``template.toml``, see
:mod:`reporter.manifest`) lists them. Loaded with the templates at hand
(:func:`load_brief`), a brief may carry no key its template does not use and ask for no
format it does not make, and its ``audience`` and ``formats`` default to the manifest's:
nothing in a brief is ever silently ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator

from reporter.dates import Precision, When
from reporter.errors import InputError, Problem
from reporter.formats import Format
from reporter.loader import DEFAULT_MAX_FILE_SIZE, Document, LoadError, format_key_path, load_document
from reporter.records import SLUG, Incident, Status, WhenField, _one_line, _problems_from

if TYPE_CHECKING:  # pragma: no cover
    from reporter.manifest import Manifest
    from reporter.render import Templates

TEMPLATE_NAME = r"^(default:)?[a-z0-9][a-z0-9-]{0,63}$"
"""A template name: a slug, or ``default:`` and a slug for the bundled one."""

OneLine = Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Recipient(_Model):
    """Someone a letter is addressed to: a person, a legislator, or an office (see reporter.letters)."""

    kind: Literal["person", "legislator", "office"] | None = Field(
        None, description='person, legislator (a member of a legislature: "The Honorable" in the address, '
                          'title and surname in the salutation) or office (a unit or authority: "Dear Sir or '
                          'Madam"); default: legislator when the address names a chamber (United States Senate, '
                          'House of Representatives), office when the name reads as one (… Unit, … Office), '
                          "else person.")
    honorific: str | None = Field(None, description='e.g. "The Honorable" (default for a legislator).')
    name: OneLine = Field(description="Full name, or the office's name.")
    title: str | None = Field(None, description='e.g. "Chairman", "Ranking Member".')
    organisation: str | None = Field(None, description='e.g. "Committee on Banking, Housing, and Urban Affairs".')
    address: list[str] = Field(default_factory=list, description="Address lines (chamber, building, city).")
    salutation_name: str | None = Field(None, description='How the salutation names them, e.g. "Chairman Scott".')
    courtesy: Literal["Ms.", "Mr.", "Frau", "Herr", "Madame", "Monsieur"] | None = Field(
        None, description='How a person is addressed before their name, in any of these languages (Ms., Frau and '
                          'Madame are one form; Mr., Herr and Monsieur the other): German and French letters greet '
                          'a person by name only with it ("Sehr geehrte Frau Ortiz,", "Madame,"); English ones '
                          'when no title greets ("Dear Ms. Ortiz:").')


class Sender(_Model):
    """Who signs; defaults to the organisation's signatory in reporter.toml."""

    name: OneLine = Field(description="Full name.")
    title: str | None = Field(None, description="Title.")
    organisation: str | None = Field(None, description="Organisation, if not the configured one.")


class Contact(_Model):
    """Who answers questions about the document (a letter names them above the closing)."""

    name: OneLine = Field(description="Name of a person or a desk.")
    title: OneLine | None = Field(None, description="Title (may be omitted).")
    email: OneLine | None = Field(None, description="Email address.")
    phone: OneLine | None = Field(None, description="Telephone number.")


class IncidentFilter(_Model):
    """Select incidents by category, status or period instead of by id."""

    category: list[str] = Field(default_factory=list, description="Categories to include.")
    status: list[Status] = Field(default_factory=list, description="Statuses to include.")
    period: str | None = Field(None, description='A year "2026", quarter "2026-Q2" or month "2026-05".')

    @field_validator("category", "status", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("period", mode="before")
    @classmethod
    def _year_as_number(cls, value: Any) -> Any:
        # `period: 2026` is a YAML number, and unmistakably the year 2026.
        if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
            return str(value)
        if value is not None and not isinstance(value, str):
            raise ValueError('expected a year "2026", a quarter "2026-Q2" or a month "2026-05"')
        return value

    @field_validator("period")
    @classmethod
    def _period(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{4}(-Q[1-4]|-\d{2})?", value):
            raise ValueError('expected a year "2026", a quarter "2026-Q2" or a month "2026-05"')
        return value


class Brief(_Model):
    """A document to build (see README, "Documents").

    Which of the optional keys mean anything depends on the template: its manifest lists
    those it uses, and :func:`load_brief` refuses the others.
    """

    template: Annotated[str, Field(pattern=TEMPLATE_NAME)] = Field(
        description="Template name, e.g. regulator-letter; 'default:NAME' forces the bundled one.")
    audience: Annotated[str, Field(pattern=SLUG)] | None = Field(
        None, description="public, regulator, executive, or one from reporter.toml; default: the template's "
                          "(its manifest's audience).")
    title: OneLine = Field(description="Document title (PDF metadata and running header).")
    date: WhenField = Field(description="Document date (a day); also pins PDF timestamps for reproducible output.")
    incidents: Annotated[
        Annotated[list[Annotated[str, Field(pattern=SLUG)]], Tag("Ids")] | Annotated[IncidentFilter, Tag("Filter")],
        # One branch by the form written, so that a problem is reported once, in its terms.
        Discriminator(lambda v: "Filter" if isinstance(v, dict | IncidentFilter) else "Ids"),
    ] = Field(
        default_factory=IncidentFilter, description="Incident ids, or a filter; empty means all.")
    compare: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=list, description="Earlier incidents shown for comparison.")
    to: list[Recipient] = Field(default_factory=list, description="Addressees.")
    sender: Sender | None = Field(None, alias="from", description="Signatory, if not the configured one.")
    salutation: str | None = Field(None, description='e.g. "Dear Chairman Scott and Ranking Member Warren:".')
    bottom_line: str | None = Field(None, description="The bottom line, if not generated from the figures.")
    body: str | None = Field(
        None, description="The drafter's own paragraphs (Markdown), citing figures as {name}, {ID.name} or "
                          "{name:form} (README, \"Writing the letter\"); they open the document after the "
                          "salutation, in place of the generated bottom line.")
    body_file: str | None = Field(
        None, description="The same, from a Markdown file in the brief's folder (a path relative to the brief).")
    conclusion: str | None = Field(
        None, description="Closing paragraph(s) before the sign-off (Markdown, citing figures like body); "
                          "default: a sentence offering a briefing.")
    closing: OneLine | None = Field(
        None, description='The complimentary close, e.g. "Respectfully,"; default by locale and salutation.')
    our_reference: OneLine | None = Field(None, description="Our reference, printed under the date.")
    your_reference: OneLine | None = Field(None, description="The recipient's reference, printed under the date.")
    cc: list[Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)]] = Field(
        default_factory=list, description="Copies to, one name per item (printed after the signature).")
    enclosures: list[Annotated[str, BeforeValidator(lambda v: _one_line(v) if isinstance(v, str) else v)]] = Field(
        default_factory=list, description="Enclosures, one per item (printed after the signature).")
    contact: Contact | None = Field(None, description="Contact point for follow-up questions.")
    appendix: Literal["figures", "none"] | None = Field(
        None, description="figures: end with an appendix giving the conventions and every figure's exact value "
                          "or bounds; none: no appendix. Default: none for letters and notifications.")
    period_label: OneLine | None = Field(
        None, description='How a report names its period, e.g. "April to June 2026" (default: from the '
                          "incidents' period filter, e.g. \"the second quarter of 2026\").")
    categories: list[Annotated[str, Field(pattern=SLUG)]] = Field(
        default_factory=list, description="The categories a report shows, in this order (default: all, in order "
                                          "of first appearance); the build report names incidents left out.")
    category_labels: dict[Annotated[str, Field(pattern=SLUG)], OneLine] = Field(
        default_factory=dict, description='How a report names a category, in its own language, e.g. '
                                          '{"account-abuse": "Kontomissbrauch"} (default: the word for the '
                                          "category in the document's language, or its slug in words).")
    advice: list[str] = Field(default_factory=list, description='What readers can do ("What you can do").')
    asks: list[str] = Field(default_factory=list, description="What the reader is asked to do.")
    actions: list[str] = Field(default_factory=list, description="Actions taken, beyond those in the records.")
    recommendations: list[str] = Field(default_factory=list, description="Recommendations (briefings).")
    formats: list[Format] = Field(default_factory=lambda: [Format.PDF, Format.MD, Format.HTML], min_length=1,
                                  description="Output formats (md, html, pdf); default: those the template's "
                                              "manifest lists.")
    marking: str | None = Field(None, description="Classification marking; defaults from the audience's clearance.")
    locale: str | None = Field(
        None, description="The document's language and conventions, e.g. de_DE or fr_FR (a German notification "
                          "from an English-language project); default: documents.locale in reporter.toml.")
    withhold_totals: bool = Field(
        False, description="Show as withheld any total from which, less the actors' shares shown, a withheld "
                           "share could be worked out (build and check warn of each).")

    @field_validator("body_file")
    @classmethod
    def _relative(cls, value: str | None) -> str | None:
        if value is not None and (value.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", value)
                                  or ".." in re.split(r"[/\\]", value)):
            raise ValueError("expected a path inside the brief's folder, relative to the brief (e.g. letter.md)")
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value.replace("-", "_"))
        except (ValueError, TypeError, UnknownLocaleError):
            raise ValueError(f"unknown locale {value!r}: expected a Babel locale such as en_US, en_GB, de_DE "
                             "or fr_FR") from None
        return value.replace("-", "_")

    @field_validator("date")
    @classmethod
    def _a_day(cls, value: When) -> When:
        if value.precision is not Precision.DAY:
            raise ValueError("expected a day such as 2026-06-10")
        return value

    def selects(self, incident: Incident) -> bool:
        """Whether the brief's incident selection includes ``incident``. A ``period`` selects the
        incidents active in it, measured to the brief's date (:func:`reporter.metrics.active_in`):
        a window that overlaps it, or, without a window, a timeline event in it."""
        if isinstance(self.incidents, list):
            return not self.incidents or incident.id in self.incidents
        chosen = self.incidents
        if chosen.category and incident.category not in chosen.category:
            return False
        if chosen.status and incident.status not in chosen.status:
            return False
        if chosen.period:
            from reporter.metrics import active_in

            return active_in(incident, chosen.period, as_of=self.date.date)
        return True


EVERY_BRIEF = ("template", "audience", "title", "date", "incidents", "formats", "withhold_totals", "locale")
"""The keys every brief has, whatever its template."""

TEMPLATE_KEYS = tuple(name for name in (info.alias or field for field, info in Brief.model_fields.items())
                      if name not in EVERY_BRIEF)
"""The brief keys a template may use (its manifest lists those it does), as written in a brief."""


def load_brief(path: Path, *, templates: Templates | None = None,
               max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Brief:
    """Load and validate a brief file.

    Args:
        path: the brief.
        templates: the template search path of the build. With it, the brief's template must
            exist, the brief may hold no key the template's manifest does not list and ask for
            no format it does not make, and the returned brief has the manifest's audience
            and formats where it names none. Without it, none of this is checked and an
            omitted ``audience`` stays None.
        max_file_size: refuse larger files.

    Raises:
        InputError: every problem, located (file, line, column, key).
        TemplateError: the template's own manifest is invalid.
    """
    display = str(path)
    if not path.is_file():
        raise InputError([Problem(display, None, None, "", "no such file")])
    try:
        doc = load_document(path, display, max_file_size=max_file_size)
    except LoadError as exc:
        raise InputError([exc.problem]) from None
    if not isinstance(doc.data, dict):
        doc.ensure_marks()
        raise InputError([Problem(display, *doc.mark(()), "", "expected a brief (a mapping)")])
    problems: list[Problem] = []
    brief = None
    try:
        brief = Brief.model_validate(doc.data)
    except ValidationError as exc:
        problems += _problems_from(exc, doc, (), None, model=Brief)
    manifest = None
    if templates is not None:
        manifest, found = _template_problems(doc, templates)
        problems += found
    if brief is not None and brief.body is not None and brief.body_file is not None:
        doc.ensure_marks()
        problems.append(Problem(display, *doc.mark(("body_file",), key=True), "body_file",
                                "give the letter's paragraphs once: body or body_file, not both"))
    if problems or brief is None:
        raise InputError(problems)
    if brief.body_file is not None:
        brief = brief.model_copy(update={"body": _read_body(path, doc, brief.body_file, max_file_size)})
    if manifest is not None:
        defaults: dict[str, Any] = {}
        if brief.audience is None:
            defaults["audience"] = manifest.audience
        if "formats" not in doc.data:
            defaults["formats"] = list(manifest.formats)
        brief = brief.model_copy(update=defaults)
    return brief


MAX_BODY_BYTES = 256 * 1024
"""A letter's paragraphs are a few pages of text; a larger body_file is refused."""


def body_path(brief_path: Path, body_file: str) -> Path:
    """Where a brief's ``body_file`` is: beside the brief."""
    return brief_path.parent / body_file


def _read_body(path: Path, doc: Document, body_file: str, max_file_size: int) -> str:
    """The text of a brief's ``body_file``: a regular UTF-8 file inside the brief's folder."""
    from reporter.assets import read_confined
    from reporter.errors import ConfigError

    doc.ensure_marks()
    where = (str(path), *doc.mark(("body_file",)), "body_file")
    target = body_path(path, body_file)
    try:
        data = read_confined(target, path.parent, "body_file", min(MAX_BODY_BYTES, max_file_size))
    except ConfigError as exc:
        message = str(exc).removeprefix("body_file: ").replace("the project", "the brief's folder")
        raise InputError([Problem(*where, message)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError([Problem(*where, f"{target} is not UTF-8 text (byte {exc.start})")]) from None
    from reporter.text import control_message

    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    problem = control_message(text.replace("\n", " ").replace("\t", " "))
    if problem:
        raise InputError([Problem(*where, f"{target} {problem}")])
    return text


def _template_problems(doc: Document, templates: Templates) -> tuple[Manifest | None, list[Problem]]:
    """The brief's template, and what in the brief it cannot take (keys it does not use, formats)."""
    from reporter.errors import TemplateMissing

    name = doc.data.get("template")
    if not isinstance(name, str) or not re.match(TEMPLATE_NAME, name):
        return None, []  # missing or malformed: the model's own problem says so
    doc.ensure_marks()
    try:
        manifest = templates.manifest(name)
    except TemplateMissing as exc:
        return None, [Problem(doc.path, *doc.mark(("template",)), "template", str(exc))]
    problems = []
    uses = ", ".join((*EVERY_BRIEF, *manifest.keys))
    for key in doc.data:
        written = "from" if key == "sender" else key  # the model also accepts the field's own name
        if written in TEMPLATE_KEYS and written not in manifest.keys:
            problems.append(Problem(doc.path, *doc.mark((key,), key=True), str(key),
                                    f"the {name} template does not use this key (it uses {uses})"))
    formats = doc.data.get("formats")
    if isinstance(formats, list):
        supported = [str(f) for f in manifest.formats]
        for index, value in enumerate(formats):
            if isinstance(value, str) and value in {str(f) for f in Format} and value not in supported:
                problems.append(Problem(doc.path, *doc.mark(("formats", index)), format_key_path(("formats", index)),
                                        f"the {name} template does not make {value} (it makes "
                                        f"{', '.join(supported)})"))
    return manifest, problems


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key_path(key: str) -> tuple[str | int, ...]:
    """``"compare[1]"`` → ``("compare", 1)``: the inverse of :func:`~reporter.loader.format_key_path`."""
    return tuple(int(index) if index else name for name, index in _KEY_PART.findall(key))


def locate(problems: list[Problem], *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> list[Problem]:
    """Problems in briefs found after loading (an id no record has), with their line and column."""
    documents: dict[str, Document | None] = {}
    located = []
    for problem in problems:
        if problem.line is None and problem.key:
            if problem.path not in documents:
                try:
                    documents[problem.path] = load_document(Path(problem.path), problem.path,
                                                            max_file_size=max_file_size)
                except (LoadError, OSError):
                    documents[problem.path] = None
            doc = documents[problem.path]
            if doc is not None:
                doc.ensure_marks()
                line, column = doc.mark(parse_key_path(problem.key))
                problem = Problem(problem.path, line, column, problem.key, problem.message, problem.severity)
        located.append(problem)
    return located
