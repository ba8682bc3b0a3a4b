"""Message catalogues: every word a document prints, in the reader's language (gettext through Babel).

The English words are the message ids: those of :mod:`reporter.words` and
:mod:`reporter.letters` (each under a context naming where it is used, ``labels:accounts``) and
those the templates pass to ``_()``, ``ngettext()`` and ``pgettext()``. Each other language has a
catalogue, ``reporter/locale/LANG/LC_MESSAGES/reporter.po``, read and compiled in memory the first
time a document of that language is made (nothing is generated at install time, so a fresh
checkout works as is). ``pybabel extract -F babel.cfg`` collects the messages into
``reporter/locale/reporter.pot`` (see :func:`extract_words` for the words of the code);
``pybabel update`` carries new ones into each ``.po``.

A locale whose language has no catalogue is written in English.
"""

from __future__ import annotations

import gettext as _gettext
import io
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "reporter"
SOURCE_LANGUAGE = "en"


def language_of(locale: str) -> str:
    """The ISO 639-1 language of a locale ("de_DE" → "de", "fr-FR" → "fr")."""
    return locale.replace("-", "_").split("_")[0].lower()


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=None)
def languages() -> tuple[str, ...]:
    """Every language documents are written in: English and each with a catalogue."""
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE_LANGUAGE, *(language for language in found if language != SOURCE_LANGUAGE))


@lru_cache(maxsize=None)
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (English and unknown languages: the message ids)."""
    path = catalogue_path(language)
    if language == SOURCE_LANGUAGE or not path.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@dataclass(frozen=True)
class Translator:
    """The catalogue of one locale's language, by locale name (picklable: it holds only the name)."""

    locale: str = "en_US"

    @property
    def language(self) -> str:
        language = language_of(self.locale)
        return language if language in languages() else SOURCE_LANGUAGE

    def _catalogue(self) -> _gettext.NullTranslations:
        return translations(self.language)

    def gettext(self, message: str) -> str:
        return self._catalogue().gettext(message) if message else message

    def pgettext(self, context: str, message: str) -> str:
        return self._catalogue().pgettext(context, message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._catalogue().ngettext(singular, plural, n)

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        return self._catalogue().npgettext(context, singular, plural, n)


def translator(locale: str) -> Translator:
    return Translator(locale.replace("-", "_"))


# -- filling a message ---------------------------------------------------------------------------

_FORMATTER = string.Formatter()
_VOWEL = "aeiouyàâäéèêëîïôöûüœæ"
# French joins a preposition to the article after it ("de le" → "du") and elides a final e
# before a vowel ("de environ" → "d’environ", "que Alibaba" → "qu’Alibaba"). A message's own
# words are written right; these rules apply where a filled-in value meets them. (A word
# starting with h is left alone: whether its h is mute is a matter of the word.)
_FRENCH_CONTRACTIONS = (
    (re.compile(r"(?<![\w’'])([dD])e $"), re.compile(r"^le (?=\S)"), r"\1u "),
    (re.compile(r"(?<![\w’'])([dD])e $"), re.compile(r"^les (?=\S)"), r"\1es "),
    (re.compile(r"(?<![\w’'])à $"), re.compile(r"^le (?=\S)"), "au "),
    (re.compile(r"(?<![\w’'])à $"), re.compile(r"^les (?=\S)"), "aux "),
)
_FRENCH_ELISION = re.compile(r"(?<![\w’'])(?:(?P<e>[dD]|[qQ]u|[jJ]usqu|[lL]orsqu|[pP]uisqu)e|(?P<a>[lL])[ea]) $")


def _join_french(before: str, value: str) -> tuple[str, str]:
    for end, start, joined in _FRENCH_CONTRACTIONS:
        if end.search(before) and start.match(value):
            return end.sub(joined, before), start.sub("", value, count=1)
    elision = _FRENCH_ELISION.search(before)
    if elision and value[:1] and value[:1].lower() in _VOWEL:
        return before[:elision.start()] + (elision.group("e") or elision.group("a")) + "’", value
    return before, value


def fill(message: str, locale: str, /, *numbered: Any, **values: Any) -> str:
    """A message with its ``{name}`` placeholders filled, joined as the language joins words:
    French contracts and elides where a value meets the message's words ("au cours de {period}"
    with "le premier trimestre 2026" reads "au cours du premier trimestre 2026"; "de {0}" with
    "environ 25 000" reads "d’environ 25 000"). Other languages: ``str.format``.

    Raises:
        KeyError, IndexError, ValueError: as ``str.format`` does for a placeholder it cannot fill.
    """
    if language_of(locale) != "fr":
        return message.format(*numbered, **values)
    out = ""
    for literal, name, spec, conversion in _FORMATTER.parse(message):
        out += literal
        if name is None:
            continue
        value = _FORMATTER.format_field(_FORMATTER.convert_field(_FORMATTER.get_field(name, numbered, values)[0],
                                                                 conversion), spec or "")
        out, value = _join_french(out, value)
        out += value
    return out


# -- extraction ----------------------------------------------------------------------------------


def word_messages() -> Iterator[tuple[str, str, str | None, str]]:
    """Every message of :mod:`reporter.words` and :mod:`reporter.letters`: (context, message,
    plural or None, a comment for translators)."""
    from reporter.letters import translated_fields
    from reporter.words import ENGLISH, PLURAL_CHARTS, context_of

    for part, key, value in ENGLISH.entries():
        context = context_of(part, key)
        if part == "units":
            yield context, value[0], value[1], f"Unit after a count ({key}): the forms agree with the number."
        elif part == "charts" and key in PLURAL_CHARTS:
            one, other = value.split("|")
            yield context, one, other, "Noun after a count in a chart's alt text."
        else:
            yield context, value, None, _COMMENTS.get(part, "")
    for context, message in translated_fields():
        yield context, message, None, "Correspondence convention of a letter (reporter.letters)."


_COMMENTS = {
    "qualifiers": "A phrased figure: {0} (and {1}) are the phrased numbers.",
    "formulas": "A formula of the methodology appendix.",
    "charts": "Chart wording. *_format keys are strftime formats for axis labels.",
    "page": "The words around page numbers: 'Page 3 of 7'.",
    "clocks": "Regulatory clocks. basis:* paraphrase a rule with its article: use the terms of the "
              "regulation's official text in your language (for EU law, its published translation).",
}


def extract_words(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[int, str, Any, list[str]]]:
    """A Babel extractor (``babel.cfg``) for the words of the code, with their contexts."""
    for context, message, plural, comment in word_messages():
        if plural is None:
            yield 0, "pgettext", (context, message), [comment] if comment else []
        else:
            yield 0, "npgettext", (context, message, plural), [comment] if comment else []
