"""Correspondence conventions: how a letter addresses, greets and takes leave of its reader.

The address block and the salutation follow the recipient's office and the document's
locale, as a careful correspondent writes them:

- A **legislator** (a member of a chamber) is "The Honorable Tim Scott" in the address and is
  greeted by title and surname: "Dear Chairman Scott and Ranking Member Warren:", or
  "Dear Senator Scott:" when no title that greets is given.
- A **person** with a title that greets ("Director", "Commissioner", "Dr.") is greeted by it
  and their surname ("Dear Director Whitfield:"); otherwise by their full name.
- An **office** (a unit, an authority, a desk) has no name to greet: "Dear Sir or Madam".

US letters close "Sincerely,"; British ones "Yours faithfully," after "Dear Sir or Madam" and
"Yours sincerely," after a name. German and French letters follow their own forms. An explicit
``salutation`` or ``closing`` in the brief always wins. The conventions of each locale are in
:data:`CONVENTIONS`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["person", "legislator", "office"]


@dataclass(frozen=True)
class Conventions:
    """One locale's forms.

    Attributes:
        salutation: greeting a named reader, ``{names}`` their joined salutation names.
        salutation_office: greeting when no one is named.
        closing_named: the close after a greeting by name.
        closing_office: the close after the greeting of an office.
        subject: the subject line, ``{subject}`` the document's title.
        separator, last: how names are joined ("A, B and C").
        greeting_last: how the last name joins the others in a salutation (German: a comma,
            "Sehr geehrte Frau Ortiz, sehr geehrter Herr Scott,").
        greet_woman, greet_man: a person greeted with their courtesy (``{name}`` their surname).
        honorific: the honorific of a legislator in the address.
    """

    salutation: str
    salutation_office: str
    closing_named: str
    closing_office: str
    subject: str
    separator: str = ", "
    last: str = " and "
    greeting_last: str = " and "
    greet_woman: str = "Ms. {name}"
    greet_man: str = "Mr. {name}"
    honorific: str = "The Honorable"


_US = Conventions(salutation="Dear {names}:", salutation_office="Dear Sir or Madam:", closing_named="Sincerely,",
                  closing_office="Sincerely,", subject="Re: {subject}")
_GB = Conventions(salutation="Dear {names},", salutation_office="Dear Sir or Madam,",
                  closing_named="Yours sincerely,", closing_office="Yours faithfully,", subject="Re: {subject}")
CONVENTIONS: dict[str, Conventions] = {"en_US": _US, "en_CA": _US, "en_PH": _US, "en": _GB}
"""Conventions by locale, then by language (any other English locale writes as en_GB does). A
language with a message catalogue (German, French) writes the US forms' translations there
(:data:`TRANSLATED`): "Sehr geehrte Damen und Herren," … "Mit freundlichen Grüßen"."""

TRANSLATED = ("salutation", "salutation_office", "closing_named", "closing_office", "subject", "separator", "last",
              "greeting_last", "greet_woman", "greet_man")
"""The fields of :class:`Conventions` a catalogue translates (context ``letters:FIELD``, the US form the message)."""


def translated_fields() -> list[tuple[str, str]]:
    """The messages of the conventions, as (context, English message), for the catalogues."""
    return [(f"letters:{name}", getattr(_US, name)) for name in TRANSLATED]


def _translated(language: str) -> Conventions:
    from dataclasses import replace

    from reporter.i18n import translations

    catalogue = translations(language)
    # No honorific before a name in the address: German and French letters write none.
    return replace(_US, honorific="", **{name: catalogue.pgettext(f"letters:{name}", getattr(_US, name))
                                         for name in TRANSLATED})


def conventions(locale: str) -> Conventions:
    """The conventions of a locale ("en_GB" → British; an unknown language → US English)."""
    from reporter.i18n import languages

    normal = locale.replace("-", "_")
    language = normal.split("_")[0].lower()
    found = CONVENTIONS.get(normal) or CONVENTIONS.get(language)
    if found is None and language in languages():
        found = CONVENTIONS[language] = _translated(language)
    return found or _US


# Chambers whose members are addressed as "The Honorable" and greeted by title.
_CHAMBER = re.compile(r"\b(united states senate|u\.\s?s\.\s?senate|house of representatives|united states congress|"
                      r"u\.\s?s\.\s?house|state senate|state assembly|general assembly)\b", re.IGNORECASE)
_SENATE = re.compile(r"\bsenate\b", re.IGNORECASE)
# Words that make a name an office's rather than a person's ("Breach Notification Unit").
_OFFICE_WORDS = frozenset("""unit office department authority commission committee subcommittee team desk bureau
    division agency board secretariat registry service services centre center directorate ministry inspectorate
    council section branch group administration commissioner's""".split())
# Titles a reader is greeted by, with their surname ("Dear Director Whitfield:"), longest first.
_GREETING_TITLES = sorted((
    "Chairman", "Chairwoman", "Chair", "Vice Chairman", "Vice Chair", "Ranking Member", "Senator", "Representative",
    "Congressman", "Congresswoman", "Leader", "Majority Leader", "Minority Leader", "Speaker", "Director",
    "Deputy Director", "Acting Director", "Commissioner", "Secretary", "Under Secretary", "Assistant Secretary",
    "Administrator", "Deputy Administrator", "Inspector General", "Governor", "Attorney General", "Ambassador",
    "Judge", "Justice", "Mayor", "Minister", "President", "Dr.", "Dr", "Professor", "General", "Admiral",
), key=len, reverse=True)
_PARTICLES = frozenset({"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "das", "du", "la", "le",
                        "bin", "ibn", "al", "el", "ter", "ten", "zu", "y", "e"})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "esq", "esq.", "qc", "kc"})


def kind_of(name: str, address: list[str], organisation: str = "", given: str | None = None) -> Kind:
    """Whether a recipient is a person, a legislator or an office (``given`` wins)."""
    if given:
        return given  # type: ignore[return-value]
    if any(_CHAMBER.search(line) for line in (*address, organisation)):
        return "legislator"
    words = {w.lower().strip(",.") for w in name.split()}
    if words & _OFFICE_WORDS:
        return "office"
    # A person's name is capitalised word by word ("Jane van der Berg" aside); "Serious incident
    # reporting" is a desk's.
    lower = [w for w in name.split() if w[:1].islower() and w.lower() not in _PARTICLES]
    return "office" if lower else "person"


def surname(name: str) -> str:
    """The family name of a full name ("Tim Scott" → "Scott"; "Martin Luther King Jr." → "King")."""
    parts = [p for p in name.replace(",", " ").split() if p.lower() not in _SUFFIXES]
    return parts[-1] if parts else name


def greeting_title(title: str) -> str | None:
    """The part of a title a reader is greeted by ("Director of Enforcement" → "Director"), or None."""
    text = " ".join(re.split(r"[,;(]| of | for ", title, maxsplit=1)[0].split())
    for candidate in _GREETING_TITLES:
        if text.lower() == candidate.lower() or text.lower().startswith(candidate.lower() + " "):
            return candidate
    return None


_WOMAN, _MAN = frozenset({"Ms.", "Frau", "Madame"}), frozenset({"Mr.", "Herr", "Monsieur"})


def salutation_name(name: str, title: str, kind: Kind, address: list[str], organisation: str = "",
                    given: str | None = None, courtesy: str | None = None, locale: str = "en_US") -> str:
    """How a salutation names a recipient; empty for an office. German and French letters greet
    a person by name only with their ``courtesy`` ("sehr geehrte Frau Dr. Ortiz", "Madame"); without
    it they greet as an office does."""
    if given:
        return given
    if kind == "office":
        return ""
    greet = greeting_title(title) if title else None
    if courtesy is not None and (not locale.lower().startswith("en") or greet is None):
        forms = conventions(locale)
        doctor = "Dr. " if greet in ("Dr.", "Dr") and not locale.lower().startswith("en") else ""
        form = forms.greet_woman if courtesy in _WOMAN else forms.greet_man
        return form.format(name=doctor + surname(name))
    if not locale.lower().startswith("en"):
        return ""
    if kind == "legislator":
        if greet is None:
            senate = any(_SENATE.search(line) for line in (*address, organisation))
            greet = "Senator" if senate else "Representative"
        return f"{greet} {surname(name)}"
    return f"{greet} {surname(name)}" if greet else name


def honorific(kind: Kind, given: str | None, locale: str) -> str:
    """The honorific before a recipient's name in the address ("The Honorable" for a legislator)."""
    if given is not None:
        return given.strip()
    return conventions(locale).honorific if kind == "legislator" else ""


def join_names(names: list[str], locale: str) -> str:
    forms = conventions(locale)
    if len(names) <= 1:
        return "".join(names)
    return forms.separator.join(names[:-1]) + forms.last + names[-1]


def salutation(names: list[str], locale: str) -> str:
    """The greeting of readers named ``names`` (salutation names; empty ones are offices)."""
    forms = conventions(locale)
    named = list(dict.fromkeys(n for n in names if n))  # two readers greeted alike ("Madame") once
    if not names:
        return ""
    if not named:
        return forms.salutation_office
    joined = named[0] if len(named) == 1 else forms.separator.join(named[:-1]) + forms.greeting_last + named[-1]
    text = forms.salutation.format(names=joined)
    return text[:1].upper() + text[1:]


def closing(greeting: str, locale: str) -> str:
    """The complimentary close that goes with ``greeting``: "Yours faithfully," after "Dear Sir
    or Madam," in British letters, "Yours sincerely," after a name; "Sincerely," in US ones."""
    forms = conventions(locale)
    said = " ".join(greeting.split()).rstrip(":,")
    general = forms.salutation_office.rstrip(":,")
    if said.lower() == general.lower():
        return forms.closing_office
    # A close that names the reader as the greeting did echoes it: "Veuillez agréer, Madame,
    # l'expression …" after "Madame,".
    return forms.closing_named.replace(general, said) if general in forms.closing_named else forms.closing_named


def subject_line(subject: str, locale: str) -> str:
    """The subject line of a letter ("Re: …")."""
    return conventions(locale).subject.format(subject=subject)


_BAD_GREETING = re.compile(r"^\s*(dear|to)\s+(the\s+honou?rable|the\s+hon\.?|hon\.)\b", re.IGNORECASE)


def salutation_problem(greeting: str) -> str | None:
    """Why a written salutation is not a form of address, or None ("Dear The Honorable …")."""
    if _BAD_GREETING.match(greeting):
        return ("'The Honorable' belongs in the address, not the salutation: greet by title and surname "
                "(\"Dear Senator Scott:\", \"Dear Chairman Scott:\")")
    return None
