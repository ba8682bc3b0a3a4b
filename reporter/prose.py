"""The drafter's prose: figures cited by name, filled in, and read back for what a signer would refuse.

A brief's prose (``body``, ``conclusion``, ``bottom_line``, ``asks``, ...) cites figures
instead of typing them, so that every number in a letter is computed::

    {accounts}                     the phrase: "about 25,000"
    {accounts:bare}                the number without its qualifier or unit: "25,000" (after "approximately")
    {window}                       the window as a range: "April 22 to June 5, 2026"
    {window:start} {window:end}    its first and last day: "April 22, 2026"
    {window_days}                  its length: "44 days"
    {window_days:adjective}        as an adjective: "44-day" ("a {window_days:adjective} window")
    {ID.interactions}              a figure of the selected or compared incident ID
    {totals.accounts}              a total over the selected incidents
    {incidents:count}              how many incidents the document covers: "five"

Without an ``ID.``, a citation names the one selected incident (a brief that selects several
must say which). Names are the figures and metrics of :mod:`reporter.metrics`.

After filling, :func:`reading_problems` finds what reads wrong in any prose, records' and
briefs' alike: a doubled qualifier ("about about 25,000", "more than over"), a doubled word
("the the"), or "between … to …".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reporter.quantities import Qualifier, Quantity, format_quantity
from reporter.words import words_for

CITATION = re.compile(
    r"\{\s*(?:(?P<scope>[a-z0-9][a-z0-9-]*)\.)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(?P<form>[a-z]+)\s*)?\}")
"""A figure cited in prose: ``{name}``, ``{ID.name}``, ``{name:form}``; other braces are text."""

FORMS = {
    "window": ("range", "start", "end"),
    "window_days": ("phrase", "bare", "adjective"),
    "incidents": ("count",),
}
QUANTITY_FORMS = ("phrase", "bare")
TOTALS = "totals"


class CitationError(ValueError):
    """A citation that cannot be filled; the message says why and what would do."""


@dataclass(frozen=True)
class Scope:
    """What one incident (or the totals) lets prose cite.

    Attributes:
        figures: figures and metrics by name.
        window: (range, start, end) phrases, or None without a window.
        withheld: names the audience may not see (citing one is an error, never "[withheld]").
    """

    figures: Mapping[str, Quantity]
    window: tuple[str, str, str] | None = None
    withheld: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Citations:
    """Everything a document's prose may cite."""

    incidents: Mapping[str, Scope]
    selected: tuple[str, ...]
    totals: Scope | None = None
    audience: str = ""
    locale: str = "en_US"
    sig_figs: int = 4

    def fill(self, text: str) -> str:
        """``text`` with every citation replaced by its phrase.

        Raises:
            CitationError: the first citation that cannot be filled.
        """
        return CITATION.sub(lambda m: self.phrase(m.group("scope"), m.group("name"), m.group("form")), text)

    def fill_lenient(self, text: str, stand_in: str = "\u2026") -> str:
        """``text`` filled, with every citation that cannot be filled left as ``stand_in``
        (so that the rest can still be read back for doubled words)."""
        def one(m: re.Match[str]) -> str:
            try:
                return self.phrase(m.group("scope"), m.group("name"), m.group("form"))
            except CitationError:
                return stand_in

        return CITATION.sub(one, text)

    def problems(self, text: str) -> list[str]:
        """Why each citation in ``text`` that cannot be filled cannot (empty when all can)."""
        found = []
        for match in CITATION.finditer(text):
            try:
                self.phrase(match.group("scope"), match.group("name"), match.group("form"))
            except CitationError as exc:
                found.append(str(exc))
        return found

    def phrase(self, scope: str | None, name: str, form: str | None) -> str:
        cited = "{" + (f"{scope}." if scope else "") + name + (f":{form}" if form else "") + "}"
        if name == "incidents" and scope is None:
            if form != "count":
                raise CitationError(f"{cited}: write {{incidents:count}} for the number of incidents")
            return count_words(len(self.selected), self.locale)
        if scope == TOTALS:
            if self.totals is None:
                raise CitationError(f"{cited}: this document has no totals")
            owner, where = self.totals, "the totals"
        elif scope is not None:
            if scope not in self.incidents:
                raise CitationError(f"{cited}: no selected or compared incident '{scope}' (expected one of "
                                    f"{', '.join(sorted(self.incidents))})")
            owner, where = self.incidents[scope], f"incident '{scope}'"
        else:
            if len(self.selected) != 1:
                raise CitationError(f"{cited}: this brief selects {len(self.selected)} incidents; say which, as "
                                    f"{{ID.{name}}} (one of {', '.join(self.selected)}), or cite {{totals.{name}}}")
            owner, where = self.incidents[self.selected[0]], "the incident"
        forms = FORMS.get(name, QUANTITY_FORMS)
        chosen = form or forms[0]
        if chosen not in forms:
            raise CitationError(f"{cited}: no form '{form}' of {name} (expected {', '.join(forms)})")
        if name in owner.withheld:
            raise CitationError(f"{cited}: {where}'s {name} is withheld from the {self.audience} audience; "
                                "a document for it cannot cite the figure")
        if name == "window":
            if owner.window is None:
                raise CitationError(f"{cited}: {where} has no window")
            return owner.window[("range", "start", "end").index(chosen)]
        if name not in owner.figures:
            known = sorted([*owner.figures, "window"]) if scope != TOTALS else sorted(owner.figures)
            raise CitationError(f"{cited}: {where} has no figure or metric '{name}' (expected one of "
                                f"{', '.join(known)})")
        q = owner.figures[name]
        if not q.is_known:
            raise CitationError(f"{cited}: {where}'s {name} is not computable ({q.reason})")
        text = format_quantity(q, self.locale, self.sig_figs)
        if chosen == "phrase":
            return text
        number = bare(q, format_quantity(q, self.locale, self.sig_figs, with_unit=False), self.locale)
        if number is None:
            raise CitationError(f"{cited}: {text!r} is not one number; cite {{{name}}} as it is")
        if chosen == "adjective":  # "a 44-day window"; spans under two days read in hours
            singular = words_for(self.locale).units.get(_unit_shown(text, q), ("", ""))[0]
            return f"{number}-{singular}" if singular else number
        return number


def _unit_shown(text: str, q: Quantity) -> str:
    """The unit a phrase ends in: a span under two days is phrased in hours."""
    return "hours" if q.unit == "days" and (text.endswith("hours") or text.endswith("hour")) else q.unit or ""


def bare(q: Quantity, text: str, locale: str) -> str | None:
    """The phrase of ``q`` without its qualifier words ("about 25,000" → "25,000"), or None for a range."""
    if q.qualifier is Qualifier.RANGE:
        return None
    # The longest wording first: "about {0} or more" before "about {0}", "{0}" last.
    for template in sorted({t.replace(" {unit}", "") for t in words_for(locale).qualifiers.values() if "{1}" not in t},
                           key=len, reverse=True):
        pattern = "^" + re.escape(template).replace(re.escape("{0}"), "(?P<n>.+?)") + "(?P<rest>( .*)?)$"
        match = re.match(pattern, text)
        if match:
            return match.group("n") + match.group("rest")
    return text


_COUNT_WORDS = {"en": ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
                "de": ("kein", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"),
                "fr": ("aucun", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf")}


def count_words(n: int, locale: str, standalone: bool = False) -> str:
    """A small count as a careful writer spells it: words to nine, digits from 10. ``standalone``:
    the count stands for its noun ("Ransomware (einer)"), which German inflects."""
    language = locale.split("_")[0].lower()
    spelled = _COUNT_WORDS.get(language, _COUNT_WORDS["en"])
    if standalone and language == "de" and n == 1:
        return "einer"
    return spelled[n] if 0 <= n < len(spelled) else format_quantity(Quantity.exact(n), locale, sig_figs=15)


# -- reading it back ---------------------------------------------------------------------------------

_QUALIFIER_WORDS = {
    "en": ("about", "approximately", "around", "roughly", "nearly", "almost", "some", "circa", "more than",
           "over", "at least", "fewer than", "less than", "under", "up to", "at most", "no more than",
           "as many as", "since", "just over", "just under", "well over", "upwards of"),
    "de": ("etwa", "rund", "ungefähr", "circa", "ca.", "fast", "knapp", "mehr als", "über", "mindestens",
           "weniger als", "unter", "bis zu", "höchstens", "seit"),
    "fr": ("environ", "près de", "quelque", "plus de", "au moins", "moins de", "jusqu'à", "jusqu’à", "au plus",
           "depuis"),
}
# Qualifiers that are also prepositions of time and place: one may precede another qualifier.
_PREPOSITIONS = frozenset({"over", "under", "since", "some", "seit", "über", "unter", "depuis"})
# Words that are not repeated by mistake ("had had", "that that" can be grammatical English).
_MAY_REPEAT = frozenset({"had", "that", "is", "la", "nous", "vous", "die", "das", "der"})
_WORD_PAIR = re.compile(r"(?<![\w'’-])(?P<word>[^\W\d_]+)(?P<gap>[ \t]+)(?P=word)(?![\w'’-])", re.IGNORECASE)


def _qualifier_pattern(language: str) -> re.Pattern[str]:
    words = sorted(_QUALIFIER_WORDS.get(language, ()) + _QUALIFIER_WORDS["en"], key=len, reverse=True)
    alternation = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)
    return re.compile(rf"(?<![\w'’-])(?P<first>{alternation})\s+(?P<second>{alternation})(?![\w'’-])"
                      r"(?P<after>\s+(?:\d(?:[\d,.\u202f\u00a0]*\d)?|[^\s,;:.]+))?", re.IGNORECASE)


_QUALIFIER_PAIRS: dict[str, re.Pattern[str]] = {}
_BETWEEN_TO = re.compile(r"(?<![\w-])(?P<phrase>between\s+(?:(?!\band\b)[^.;:\n]){0,60}?\d(?:(?!\band\b)[^.;:\n])"
                         r"{0,40}?\s+to\s+\S+(?:\s+\d+)?)", re.IGNORECASE)


def reading_problems(text: str, locale: str = "en_US") -> list[str]:
    """What reads wrong in filled prose: doubled qualifiers and words, "between … to …".

    Each message quotes the words as they read. Line breaks end a phrase: an address block's
    lines, a table's cells, are not read as one sentence.
    """
    language = locale.split("_")[0].lower()
    pattern = _QUALIFIER_PAIRS.get(language)
    if pattern is None:
        pattern = _QUALIFIER_PAIRS[language] = _qualifier_pattern(language)
    found = []
    for line in re.split(r"\\?\n|\|", text):
        for match in pattern.finditer(line):
            first, second = (" ".join(match.group(g).split()).lower() for g in ("first", "second"))
            if first in _PREPOSITIONS and first != second:
                continue  # "over about six weeks", "since about May": a preposition, then a qualifier
            quoted = " ".join(match.group(0).split())
            keep = "write it once" if first == second else f"keep one ('{first}' or '{second}')"
            found.append(f"'{quoted}' doubles a qualifier: {keep}; a cited figure brings its own qualifier "
                         "(cite {name:bare} after words of your own)")
        for match in _WORD_PAIR.finditer(line):
            word = match.group("word")
            if word.lower() in _MAY_REPEAT or pattern.fullmatch(f"{word} {word}"):
                continue  # grammatical, or a qualifier reported above
            found.append(f"'{word} {match.group(0).split()[-1]}' repeats a word")
        if language == "en":
            for match in _BETWEEN_TO.finditer(line):
                found.append(f"'{' '.join(match.group('phrase').split())}' mixes 'between … and' with 'from … to'")
    return found
