"""The words of each language live in reporter.words, and nowhere else in the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reporter.context import label, marking
from reporter.quantities import Quantity, format_quantity, parse_quantity
from reporter.records import Sensitivity
from reporter.words import ENGLISH, LANGUAGES, missing, words_for, words_of

PACKAGE = Path(__file__).resolve().parent.parent / "reporter"


def _english_phrases() -> list[str]:
    """Every English word or sentence of reporter.words that is long enough to be unmistakable."""
    # Sentences, chart wording and formulas: a generic label ("Interactions") may name a field.
    # (A period's name, "the second quarter of 2026", is also what a brief's period_label example writes.)
    sentences = [text for key, text in ENGLISH.sentences.items() if not key.startswith("quarter_")]
    texts = [*ENGLISH.events.values(), *sentences, *ENGLISH.charts.values(), *ENGLISH.formulas]
    pieces = []
    for text in texts:
        # The literal parts between placeholders, e.g. "We assess with" and "confidence that".
        # (Phrases: a single word such as "CONFIDENTIAL" may name a setting's value.)
        pieces += [part.strip() for part in re.split(r"\{[^}]*\}", text) if len(part.strip()) >= 12
                   and " " in part.strip()]
    return sorted(set(pieces))


@pytest.mark.parametrize("module", sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "words.py"))
def test_no_document_wording_is_typed_outside_reporter_words(module: str) -> None:
    source = (PACKAGE / module).read_text(encoding="utf-8")
    # Docstrings and comments may quote the words; code may not hold them.
    code = re.sub(r'"""[\s\S]*?"""', "", source)
    # A template context field's help text (doc), a brief or config key's (pydantic descriptions).
    code = re.sub(r'\b(doc\(|description=\(?)(\s*f?"(?:[^"\\]|\\.)*")+', r"\1", code)
    code = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    found = [phrase for phrase in _english_phrases() if phrase in code]
    assert not found, f"{module} types document wording that belongs in reporter/words.py: {found}"


def test_languages_for_numbers_and_charts_are_complete() -> None:
    # Quantities and charts are fully worded in every language; document sentences fall back.
    for language in LANGUAGES:
        gaps = missing(language)
        for part in ("qualifiers", "units", "charts", "page", "not_computable"):
            assert part not in gaps, f"{language} lacks {part}: {gaps[part]}"


def test_each_language_has_every_word_from_its_catalogue() -> None:
    german = words_for("de_DE")
    assert german.page == ("Seite", "von")
    assert german.qualifiers["about", True] == "etwa {0}"
    assert german.labels["accounts"] == "Konten"
    assert words_for("fr_FR").qualifiers["over", False] == "plus de {0}"
    for language in ("de", "fr"):
        assert set(words_of(language).sentences) == set(ENGLISH.sentences)
    assert words_for("en_GB") is words_of("en")
    # A language without a catalogue is written in English.
    assert words_for("ja_JP") is words_of("en")


def test_the_words_reach_what_is_phrased() -> None:
    assert format_quantity(parse_quantity("about 25,000"), "de_DE") == "etwa 25.000"
    assert format_quantity(Quantity.unknown("no window"), "en_US") == ENGLISH.not_computable
    assert label("daily_rate") == "Daily rate"
    assert label("login_attempts", "de_DE") == "Anmeldeversuche"
    assert label("tokens_used") == "Tokens used"
    assert marking(Sensitivity.CONFIDENTIAL, "regulator", None, []) == "CONFIDENTIAL — PREPARED FOR REGULATORS"
    assert marking(Sensitivity.PUBLIC, "public", None, []) == ""


def test_quantities_still_refuse_a_language_without_quantity_words() -> None:
    from reporter.errors import QuantityError

    with pytest.raises(QuantityError, match="no wording for language 'ja'"):
        format_quantity(Quantity.exact(3), "ja_JP")
