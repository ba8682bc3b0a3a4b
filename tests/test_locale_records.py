"""Records in the author's language: figures read in the project's locale as well as in English.

A German or French project's records may say "rund 25.000" or "environ 25 000"; they validate and give
the same quantities, precision and metrics as their English twins. A number whose separator could be a
decimal point or a thousands separator is refused with both readings; a count with a fraction is refused.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reporter import parallel
from reporter.errors import QuantityError
from reporter.metrics import Settings, collection_metrics, incident_metrics, metrics_json_text
from reporter.quantities import Qualifier, Quantity, format_quantity, parse_quantity
from reporter.records import map_incidents, validate_files

HEAD = """\
id: {id}
title: A campaign
category: distillation
status: disclosed
sensitivity: public
window: {{start: 2026-04-22, end: 2026-06-05}}
"""

# One incident in three languages: every figure the same quantity, stated with the same precision.
TWINS = {
    "en_US": {
        "accounts": "about 25,000", "interactions": "over 28.8 million", "records": "up to 48,000",
        "users": "25,000 to 30,000", "login_attempts": "at least 1.5 million", "customers": "fewer than 100",
        "households": "between 3 and 4 thousand", "devices": "exactly 7", "orders": "2.5 billion",
        "households_mapped": {"value": "25,000", "qualifier": "about"},
        "range_mapped": {"low": "1.5 million", "high": "2 million"},
        "actor_accounts": "about 25,000", "actor_interactions": "28.8 million",
    },
    "de_DE": {
        "accounts": "rund 25.000", "interactions": "über 28,8 Millionen", "records": "bis zu 48.000",
        "users": "25.000 bis 30.000", "login_attempts": "mindestens 1,5 Mio.", "customers": "weniger als 100",
        "households": "zwischen 3 und 4 Tsd.", "devices": "genau 7", "orders": "2,5 Mrd.",
        "households_mapped": {"value": "25.000", "qualifier": "about"},
        "range_mapped": {"low": "1,5 Mio.", "high": "2 Millionen"},
        "actor_accounts": "ca. 25.000", "actor_interactions": "28,8 Millionen",
    },
    "fr_FR": {
        "accounts": "environ 25 000", "interactions": "plus de 28,8 millions", "records": "jusqu’à 48\u202f000",
        "users": "de 25 000 à 30 000", "login_attempts": "au moins 1,5 million", "customers": "moins de 100",
        "households": "entre 3 et 4 mille", "devices": "exactement 7", "orders": "2,5 milliards",
        "households_mapped": {"value": "25\u00a0000", "qualifier": "about"},
        "range_mapped": {"low": "1,5 million", "high": "2 millions"},
        "actor_accounts": "près de 25 000", "actor_interactions": "28,8 millions",
    },
}
FIGURES = ["accounts", "interactions", "records", "users", "login_attempts", "customers", "households", "devices",
           "orders", "households_mapped", "range_mapped"]


def _record(locale: str, incident_id: str = "twin") -> str:
    words = TWINS[locale]
    figures = {name: words[name] for name in FIGURES}
    body = {
        "figures": figures,
        "actors": [{"name": "Operator", "figures": {"accounts": words["actor_accounts"],
                                                    "interactions": words["actor_interactions"]}}],
        "disclosures": [{"date": "2026-06-10", "to": "Committee", "form": "letter",
                         "figures": {"accounts": words["accounts"]}}],
    }
    # JSON is YAML: the figures keep exactly the text written above.
    return HEAD.format(id=incident_id) + "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}"
                                                   for key, value in body.items()) + "\n"


def _load(tmp_path: Path, locale: str, text: str, name: str = "record.yaml"):
    path = tmp_path / locale / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return validate_files([path], locale=locale)


def _shape(q: Quantity) -> tuple:
    return (q.qualifier, q.value, q.low, q.high, q.low_strict, q.high_strict, q.approximate, q.sig)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("twins")
    loaded = {}
    for locale in TWINS:
        report = _load(tmp, locale, _record(locale))
        assert report.ok, [p.message for p in report.problems]
        (incident,) = report.collection
        loaded[locale] = incident
    return loaded


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR"])
def test_twins_state_the_same_quantities(twins: dict, locale: str) -> None:
    english, other = twins["en_US"], twins[locale]
    for name in FIGURES:
        assert _shape(other.figures[name].quantity) == _shape(english.figures[name].quantity), name
    for attr in ("accounts", "interactions"):
        assert _shape(other.actors[0].figures[attr].quantity) == _shape(english.actors[0].figures[attr].quantity)
    assert _shape(other.disclosures[0].figures["accounts"].quantity) == _shape(
        english.disclosures[0].figures["accounts"].quantity)
    # The precision is the one written: two figures in "rund 25.000", three in "über 28,8 Millionen".
    assert other.figures["accounts"].quantity.sig == 2
    assert other.figures["interactions"].quantity.sig == 3


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR"])
@pytest.mark.parametrize("phrased", ["en_US", "de_DE"])
def test_twins_give_the_same_metrics(twins: dict, locale: str, phrased: str) -> None:
    english, other = twins["en_US"], twins[locale]
    chosen = Settings(locale=phrased)
    assert incident_metrics(other, chosen) == incident_metrics(english, chosen)
    # The phrases (which carry the precision) too, in the collection's JSON.
    assert metrics_json_text(collection_metrics([other], chosen)) == metrics_json_text(
        collection_metrics([english], chosen))


def test_the_seed_figures_read_alike() -> None:
    assert parse_quantity("rund 25.000", "de_DE") == parse_quantity("about 25,000")
    assert parse_quantity("über 28,8 Millionen", "de_DE") == parse_quantity("over 28.8 million")
    assert parse_quantity("bis zu 48.000", "de_DE") == parse_quantity("up to 48,000")
    assert parse_quantity("environ 25 000", "fr_FR") == parse_quantity("about 25,000")
    assert parse_quantity("plus de 16 millions", "fr_FR") == parse_quantity("over 16 million")
    assert parse_quantity("jusqu'à 48 000", "fr_FR") == parse_quantity("up to 48,000")
    assert parse_quantity("25.000–30.000", "de_DE") == parse_quantity("25,000-30,000")
    assert parse_quantity("1.234,5", "de_DE") == parse_quantity("1,234.5")
    assert parse_quantity("1 500 000,5", "fr_FR") == parse_quantity("1,500,000.5")
    assert parse_quantity("2 Billionen", "de_DE") == parse_quantity("2 trillion")
    # Decomposed umlauts (as some editors save them) read as composed ones.
    assert parse_quantity(unicodedata.normalize("NFD", "über 13 Millionen"), "de_DE") == parse_quantity("over 13 million")


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR"])
@pytest.mark.parametrize(("phrase", "expected"), [
    ("about 25,000", Quantity.about(25_000)), ("over 28.8 million", Quantity.over(28_800_000)),
    ("3 to 4 million", Quantity.between(3e6, 4e6)), ("fewer than 100", Quantity.under(100)),
    ("2.5 billion", Quantity.exact(2.5e9)), ("~25k", Quantity.about(25_000)), ("25000", Quantity.exact(25_000)),
])
def test_english_phrases_are_read_in_every_locale(locale: str, phrase: str, expected: Quantity) -> None:
    assert parse_quantity(phrase, locale) == expected


AMBIGUOUS_EN = ("25.000 is ambiguous: it reads as 25 with a decimal point, or as 25,000 with '.' separating "
                "thousands; write 25 or 25000")


@pytest.mark.parametrize(("locale", "phrase", "message"), [
    ("en_US", "25.000", AMBIGUOUS_EN),
    ("en_US", "about 25.000", AMBIGUOUS_EN),
    ("en_US", "25.000 to 30,000", AMBIGUOUS_EN),
    ("en_GB", "25.000", AMBIGUOUS_EN),
    ("de_DE", "25,000", "25,000 is ambiguous: it reads as 25 with a decimal comma, or as 25.000 with ',' separating "
                        "thousands; write 25 or 25000"),
    ("de_DE", "rund 2,500", "2,500 is ambiguous: it reads as 2,5 with a decimal comma, or as 2.500 with ',' "
                            "separating thousands; write 2,5 or 2500"),
    ("de_DE", "about 25.000", "25.000 is ambiguous: it reads as 25 with a decimal point, or as 25.000 with '.' "
                              "separating thousands; write 25 or 25000"),
    ("fr_FR", "25,000", "25,000 is ambiguous: it reads as 25 with a decimal comma, or as 25 000 with ',' separating "
                        "thousands; write 25 or 25000"),
    ("fr_FR", "environ 25.000", "25.000 is ambiguous: it reads as 25 with a decimal point, or as 25 000 with '.' "
                                "separating thousands; write 25 or 25000"),
    ("en_US", "1.234,5", "1.234,5 is not an English number; as German writes numbers, it reads 1,234.5: write 1234.5"),
    ("en_US", "1.250.000", "1.250.000 is not an English number; as German writes numbers, it reads 1,250,000: "
                           "write 1250000"),
    ("en_US", "25 000", "25 000 is not an English number; as French writes numbers, it reads 25,000: write 25000"),
    ("en_US", "rund 25.000", "not a figure in English: this reads as a German phrase, and records are read in "
                             "English here (set [documents] locale in reporter.toml to read German)"),
    ("en_US", "environ 25 000", "not a figure in English: this reads as a French phrase, and records are read in "
                                "English here (set [documents] locale in reporter.toml to read French)"),
    ("de_DE", "1 Billion", "'billion' is ambiguous: 10^9 in English, 10^12 in German; write Mrd. (10^9) or "
                           "Bio. (10^12)"),
    ("fr_FR", "1 billion", "'billion' is ambiguous: 10^9 in English, 10^12 in French; write milliard(s) (10^9) or "
                           "billions (10^12)"),
])
def test_ambiguous_and_foreign_forms_name_their_readings(locale: str, phrase: str, message: str) -> None:
    with pytest.raises(QuantityError) as err:
        parse_quantity(phrase, locale)
    assert str(err.value) == message


@pytest.mark.parametrize(("locale", "phrase", "value"), [
    ("en_US", "25,000", 25_000), ("de_DE", "25.000", 25_000), ("en_US", "1.5", 1.5), ("en_US", "0.500", 0.5),
    ("en_US", "1.125 million", 1_125_000), ("de_DE", "1,125 Mio.", 1_125_000), ("de_DE", "1,5", 1.5),
    ("fr_FR", "1,5 million", 1_500_000), ("en_US", "25.0001", 25.0001),
])
def test_unambiguous_forms_read_as_written(locale: str, phrase: str, value: float) -> None:
    assert parse_quantity(phrase, locale) == Quantity.exact(value)


def test_refusals_never_echo_the_phrase() -> None:
    for locale in ("en_US", "de_DE", "fr_FR"):
        with pytest.raises(QuantityError) as err:
            parse_quantity("geheim 987654 Stück", locale)
        assert "987654" not in str(err.value) and "geheim" not in str(err.value)


# -- the project's locale reaches every way records are loaded --------------------------------------


def test_validate_reads_in_the_locale_given(tmp_path: Path) -> None:
    text = _record("de_DE")
    assert _load(tmp_path, "de_DE", text).ok
    english = validate_files([tmp_path / "de_DE" / "record.yaml"])  # no locale: English only
    assert not english.ok
    assert any("reads as a German phrase" in p.message for p in english.problems)


def test_the_record_cache_keys_on_the_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "r.yaml"
    path.write_text(HEAD.format(id="cached") + "figures: {accounts: \"25.000\"}\n")
    german = validate_files([path], cache=True, locale="de_DE")
    assert german.ok and next(iter(german.collection)).figures["accounts"].quantity == Quantity.exact(25_000)
    assert german.ok == validate_files([path], cache=True, locale="de_DE").ok  # restored from the cache
    english = validate_files([path], cache=True, locale="en_US")
    assert [p.message for p in english.problems] == [AMBIGUOUS_EN]
    # Every English locale reads alike, and shares the entries English records always had.
    from reporter.cache import file_key

    raw = path.read_bytes()
    assert file_key(raw, ".yaml", 32, "en_GB") == file_key(raw, ".yaml", 32, None) == file_key(raw, ".yaml", 32)
    assert file_key(raw, ".yaml", 32, "de_DE") != file_key(raw, ".yaml", 32, "fr_FR") != file_key(raw, ".yaml", 32)


def test_worker_processes_read_in_the_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not parallel.can_fork():
        pytest.skip("no fork")
    monkeypatch.setattr(parallel, "PARALLEL_THRESHOLD", 2)
    for n in range(6):
        (tmp_path / f"r{n}.yaml").write_text(_record("de_DE", f"twin-{n}"), encoding="utf-8")
    results = map_incidents([tmp_path], lambda incident: incident.figures["accounts"].quantity.to_plain(),
                            workers=2, locale="de_DE")
    assert results == [Quantity.about(25_000).with_sig(2).to_plain()] * 6
    assert map_incidents([tmp_path], lambda incident: 1, workers=2) is None  # English: not valid


@pytest.mark.parametrize("locale", ["de_DE", "fr_FR"])
def test_the_fast_paths_read_in_the_locale_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, locale: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(_record(locale), encoding="utf-8")
    fast = validate_files([path], locale=locale)
    monkeypatch.setenv("REPORTER_NO_FAST", "1")
    slow = validate_files([path], locale=locale)
    assert fast.ok and slow.ok
    (a,), (b,) = fast.collection, slow.collection
    assert [_shape(f.quantity) for f in a.figures.values()] == [_shape(f.quantity) for f in b.figures.values()]


# -- fractional counts ----------------------------------------------------------------------------


@pytest.mark.parametrize(("figures", "name"), [
    ({"interactions": 12.5}, "interactions"),
    ({"accounts": "about 2.5"}, "accounts"),
    ({"records": "1.2345 thousand"}, "records"),
    ({"users": "2.5 to 3"}, "users"),
    ({"login_attempts": {"value": 12.5, "qualifier": "about"}}, "login_attempts"),
    ({"accounts": {"low": 1, "high": "2.5"}}, "accounts"),
    ({"accounts": 100, "interactions": "over 12.5"}, "interactions"),
])
def test_a_count_with_a_fraction_is_refused_by_name(tmp_path: Path, figures: dict, name: str) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(HEAD.format(id="fraction") + f"figures: {json.dumps(figures)}\n")
    report = validate_files([path])
    assert [(p.key, p.message) for p in report.problems] == [
        (f"figures.{name}", f"{name} is a count: expected a whole number, not a fraction")]


@pytest.mark.parametrize("figure", ["28.8 million", "about 1.5 thousand", 25000.0, "2.5 to 3 million",
                                    {"value": 2.5, "qualifier": "about", "unit": "days"}])
def test_whole_counts_and_other_figures_pass(tmp_path: Path, figure: object) -> None:
    path = tmp_path / "r.yaml"
    name = "hours" if isinstance(figure, dict) else "accounts"
    path.write_text(HEAD.format(id="whole") + f"figures: {json.dumps({name: figure, 'share': 2.5})}\n")
    assert validate_files([path]).ok


def test_a_fractional_count_of_an_actor_or_a_disclosure_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(HEAD.format(id="fraction") + 'actors: [{name: A, figures: {accounts: 0.5}}]\n'
                    'disclosures: [{date: 2026-06-10, to: C, form: letter, figures: {interactions: "about 7.5"}}]\n')
    report = validate_files([path])
    assert [(p.key, p.message) for p in report.problems] == [
        ("actors[0].figures.accounts", "accounts is a count: expected a whole number, not a fraction"),
        ("disclosures[0].figures.interactions", "interactions is a count: expected a whole number, not a fraction")]


# -- properties -----------------------------------------------------------------------------------

_COUNT = st.integers(0, 10**15)


def _quantities() -> st.SearchStrategy[Quantity]:
    return st.one_of(
        st.builds(Quantity.exact, _COUNT), st.builds(Quantity.about, _COUNT), st.builds(Quantity.over, _COUNT),
        st.builds(Quantity.at_least, _COUNT), st.builds(Quantity.under, st.integers(1, 10**15)),
        st.builds(Quantity.at_most, _COUNT),
        st.tuples(_COUNT, _COUNT).map(lambda ends: Quantity.between(min(ends), max(ends))),
    )


@given(_quantities())
@settings(max_examples=400, deadline=None)
def test_german_phrases_read_back_in_german(q: Quantity) -> None:
    """What reporter phrases in German (to full precision), a de_DE record reads back as the same figure."""
    # "1 bis 1 Million" reads as 1 to 1 million million, as "1 to 1 million" does in English: a bare low end
    # takes the high end's scale ("3 bis 4 Millionen"), so a range spanning a million is written otherwise.
    assume(q.qualifier is not Qualifier.RANGE or (q.low or 0) >= 10**6 or (q.high or 0) < 10**6)
    text = format_quantity(q, "de_DE", sig_figs=15)
    # "1 Billion" (10^12 in German, 10^9 in English) is refused as ambiguous; "2 Billionen" is not.
    assume(not text.endswith(" Billion") and " Billion " not in text)
    assert parse_quantity(text, "de_DE") == q, text


_GERMAN = {Qualifier.EXACT: ["", "genau "], Qualifier.ABOUT: ["rund ", "etwa ", "ca. ", "ungefähr "],
           Qualifier.OVER: ["mehr als ", "über "], Qualifier.AT_LEAST: ["mindestens "],
           Qualifier.UNDER: ["weniger als ", "unter "], Qualifier.AT_MOST: ["höchstens ", "bis zu "]}
_FRENCH = {Qualifier.EXACT: ["", "exactement "], Qualifier.ABOUT: ["environ ", "près de "],
           Qualifier.OVER: ["plus de "], Qualifier.AT_LEAST: ["au moins "], Qualifier.UNDER: ["moins de "],
           Qualifier.AT_MOST: ["jusqu'à ", "jusqu’à ", "au plus "]}
_BUILD = {Qualifier.EXACT: Quantity.exact, Qualifier.ABOUT: Quantity.about, Qualifier.OVER: Quantity.over,
          Qualifier.AT_LEAST: Quantity.at_least, Qualifier.UNDER: Quantity.under, Qualifier.AT_MOST: Quantity.at_most}


@given(st.integers(1, 10**15), st.sampled_from(sorted(_BUILD)), st.data())
@settings(max_examples=400, deadline=None)
def test_numbers_written_as_each_locale_writes_them_read_back(n: int, qualifier: Qualifier, data: st.DataObject) -> None:
    """Any whole number, grouped as Babel writes it for the locale, after any of its qualifier words."""
    for locale, words in (("de_DE", _GERMAN), ("fr_FR", _FRENCH)):
        word = data.draw(st.sampled_from(words[qualifier]))
        text = word + format_decimal(n, locale=locale)
        quantity = parse_quantity(text, locale)
        assert quantity == _BUILD[qualifier](n), text
        assert quantity.sig == parse_quantity(str(n)).sig  # precision as written, as in English
