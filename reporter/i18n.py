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
}


def extract_words(fileobj: Any, keywords: Any, comment_tags: Any, options: Any) -> Iterator[tuple[int, str, Any, list[str]]]:
    """A Babel extractor (``babel.cfg``) for the words of the code, with their contexts."""
    for context, message, plural, comment in word_messages():
        if plural is None:
            yield 0, "pgettext", (context, message), [comment] if comment else []
        else:
            yield 0, "npgettext", (context, message, plural), [comment] if comment else []
