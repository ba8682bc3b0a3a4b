"""Documents in the reader's language (#19): message catalogues, German and French documents.

Every word a document prints comes from a message catalogue (reporter.i18n): the English words
are the message ids, German and French translate every one. The bundled letter and briefing
are built in de_DE and fr_FR and compared with golden files
(``tests/golden/NAME.LOCALE.md``; ``REPORTER_UPDATE_GOLDEN=1`` rewrites them), and read for
any sentence of another language outside the names and quoted text of the records and briefs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po
from pypdf import PdfReader

from reporter.i18n import LOCALE_DIR, catalogue_path, languages, translator
from reporter.words import ENGLISH, missing, words_for
from tests.support import run_in
from tests.test_documents import copy_project

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "golden"
LOCALES = ["de_DE", "fr_FR"]
DOCUMENTS = ["senate-banking-letter", "executive-briefing", "gdpr-notification", "ai-act-serious-incident",
             "public-report-2026"]
"""Every bundled brief but the Form 8-K, which is filed with the SEC in English."""
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_GREETINGS = {"letters:salutation", "sentences:salutation", "letters:greet_woman", "letters:greet_man"}


def _catalogue(language: str) -> Any:
    with catalogue_path(language).open("rb") as handle:
        return read_po(handle)


def _template() -> Any:
    with (LOCALE_DIR / "reporter.pot").open("rb") as handle:
        return read_po(handle)


def _key(message: Any) -> tuple[str | None, str]:
    return message.context, message.id if isinstance(message.id, str) else message.id[0]


def _extracted() -> set[tuple[str | None, str]]:
    """The messages the code and the templates use now, as ``pybabel extract -F babel.cfg`` finds them."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found = set()
    for _, _, message, _, context in extract_from_dir(str(ROOT), method_map, options_map):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_the_catalogue_template_holds_every_message_the_code_and_templates_use() -> None:
    template = {_key(m) for m in _template() if m.id}
    used = _extracted()
    assert used - template == set(), "run: pybabel extract -F babel.cfg -o reporter/locale/reporter.pot ."
    assert template - used == set(), "the .pot holds messages nothing uses: extract it again"


@pytest.mark.parametrize("language", ["de", "fr"])
def test_every_catalogue_translates_every_message(language: str) -> None:
    assert language in languages()
    catalogue = {_key(m): m for m in _catalogue(language) if m.id}
    lacking = []
    for message in _template():
        if not message.id:
            continue
        found = catalogue.get(_key(message))
        strings = found.string if found is not None else ""
        if found is None or found.fuzzy or not (all(strings) if isinstance(strings, tuple) else strings):
            lacking.append(_key(message))
    assert not lacking, f"{language} lacks {len(lacking)} messages: {lacking[:10]}"
    assert missing(language) == {}


@pytest.mark.parametrize("language", ["de", "fr"])
def test_translations_keep_every_placeholder(language: str) -> None:
    for message in _catalogue(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(_PLACEHOLDER.findall(ids[-1])) | set(_PLACEHOLDER.findall(ids[0]))
        # A qualifier phrase may place the unit itself ("environ {0} {unit} ou plus").
        optional = {"{unit}"} if (message.context or "").startswith("qualifiers:") else set()
        for string in strings:
            assert set(_PLACEHOLDER.findall(string)) - optional <= expected, (message.id, string)
            # A German or French greeting may name no one ("Sehr geehrte Damen und Herren,", "Madame,").
            if len(ids) == 1 and "{" in ids[0] and message.context not in _GREETINGS:
                assert set(_PLACEHOLDER.findall(string)) - optional == expected, (message.id, string)


def test_plural_forms_follow_the_catalogue() -> None:
    german, french = translator("de_DE"), translator("fr_FR")
    assert german.ngettext("incident in this briefing", "incidents in this briefing", 1) == "Vorfall in diesem Briefing"
    assert german.ngettext("incident in this briefing", "incidents in this briefing", 3) == "Vorfälle in diesem Briefing"
    assert french.ngettext("incident in this briefing", "incidents in this briefing", 1) == "incident dans cette note"
    assert french.ngettext("incident in this briefing", "incidents in this briefing", 3) == "incidents dans cette note"
    from reporter.charts import _count
    from reporter.metrics import Settings

    assert _count(1, words_for("de_DE").charts["incident"], Settings(locale="de_DE")) == "1 Vorfall"
    assert _count(3, words_for("de_DE").charts["incident"], Settings(locale="de_DE")) == "3 Vorfälle"


def test_qualifiers_and_units_in_each_language() -> None:
    from reporter.quantities import Quantity, format_quantity, parse_quantity

    assert re.fullmatch(r"environ 25\s000", format_quantity(parse_quantity("about 25,000"), "fr_FR"))
    assert format_quantity(parse_quantity("more than 16 million"), "fr_FR") == "plus de 16 millions"
    assert re.fullmatch(r"jusqu’à 48\s000", format_quantity(parse_quantity("up to 48,000"), "fr_FR"))
    assert format_quantity(parse_quantity("up to 48,000"), "de_DE") == "bis zu 48.000"
    assert format_quantity(Quantity.exact(44, unit="days"), "fr_FR") == "44 jours"
    assert format_quantity(Quantity.exact(1, unit="days"), "de_DE") == "1 Tag"
    assert words_for("fr_FR").sentences["exact_range"].format(low="1757,5", high="1942,5") == "1757,5 à 1942,5"
    assert words_for("de_DE").sentences["exact_range"].format(low="1757,5", high="1942,5") == "1757,5 bis 1942,5"


def test_template_messages_escape_what_they_fill_in() -> None:
    from reporter.render import message_functions

    markdown = message_functions("de_DE", markdown=True)
    assert str(markdown["_"]("Key figures")) == "Wichtige Kennzahlen"
    assert str(markdown["_"]("Evidence: {evidence}", evidence="*bold* [link](x)")) == \
        "Beleg: \\*bold\\* \\[link\\](x)"
    html = message_functions("fr_FR", markdown=False)
    assert str(html["_"]("Evidence: {evidence}", evidence="<b>")) == "Élément de preuve\u00a0: &lt;b&gt;"


# -- the bundled documents in German and French ------------------------------------------------------


@pytest.fixture(scope="module")
def localised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    project = copy_project(tmp_path_factory.mktemp("project"))
    outs = {}
    for locale in LOCALES:
        out = project / f"out-{locale}"
        result = run_in(project, ["build", *(f"briefs/{b}.yaml" for b in DOCUMENTS), "--out", str(out),
                                  "--locale", locale])
        assert result.exit_code == 0, result.output
        outs[locale] = out
    return outs


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_golden_markdown_in_each_language(localised: dict[str, Path], document: str, locale: str) -> None:
    produced = (localised[locale] / f"{document}.md").read_text(encoding="utf-8")
    golden = GOLDEN / f"{document}.{locale}.md"
    if os.environ.get("REPORTER_UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert golden.exists(), "no golden file: run REPORTER_UPDATE_GOLDEN=1 make test"
    assert produced == golden.read_text(encoding="utf-8")


def _quoted_texts() -> list[str]:
    """Every text the records, the briefs and reporter.toml give: names and quoted record text, which a
    document prints as written, in whatever language they are written."""
    texts: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            texts.add(" ".join(value.split()))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in [*(ROOT / "incidents").rglob("*.yaml"), *(ROOT / "briefs").glob("*.yaml")]:
        walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    for path in (ROOT / "incidents").rglob("*.json"):
        import json

        walk(json.loads(path.read_text(encoding="utf-8")))
    import tomllib

    walk(tomllib.loads((ROOT / "reporter.toml").read_text(encoding="utf-8")))
    return sorted((t for t in texts if len(t) >= 3 and "{" not in t), key=len, reverse=True), \
        sorted((t for t in texts if "{" in t), key=len, reverse=True)


def _own_words(text: str) -> str:
    """A document's text without the names and quoted texts of its records and briefs. Record
    text with figures cited in it ("From {window}, ... {interactions} interactions") is quoted
    whole, its citations phrased in the records' language as its author wrote it."""
    shown = " ".join(re.sub(r"\\(.)", r"\1", text).split())
    plain, cited = _quoted_texts()
    for quoted in cited:
        pattern = ".+?".join(re.escape(part) for part in _PLACEHOLDER.split(quoted))
        shown = re.sub(pattern, " ¦ ", shown)
    for quoted in plain:
        shown = shown.replace(quoted, " ¦ ")
    # Record ids, file names and image paths ("grid-agent-incident-2026", "NAME_files/by-actor.png").
    shown = re.sub(r"\]\([^)]*\)", "] ", shown)
    return re.sub(r"\b[\w.]+(?:[-_/][\w.]+)+\b", " ¦ ", shown)


def _fragments(language: str, other: str) -> list[str]:
    """The words of ``language``'s messages that ``other`` translates otherwise: the literal parts
    between placeholders, of a word of four letters or more."""
    ours = _catalogue(language) if language != "en" else None
    theirs = {_key(m): m for m in _catalogue(other) if m.id}
    found = set()
    for message in (ours if ours is not None else _template()):
        if not message.id:
            continue
        translated = theirs.get(_key(message))
        if translated is None:
            continue
        own = message.string if ours is not None else message.id
        for text, their in zip(own if isinstance(own, tuple) else (own,),
                               translated.string if isinstance(translated.string, tuple) else (translated.string,),
                               strict=False):
            if text == their or text.startswith("%"):
                continue
            for part in _PLACEHOLDER.split(text):
                part = part.strip(" .,:;()*·—\u00a0")
                if re.search(r"[^\W\d_]{4,}", part) and part not in their:
                    found.add(part)
    return sorted(found, key=len, reverse=True)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_no_word_of_another_language(localised: dict[str, Path], document: str, locale: str) -> None:
    language = locale[:2]
    out = localised[locale]
    texts = {"md": (out / f"{document}.md").read_text(encoding="utf-8"),
             "html": re.sub(r"<[^>]+>", " ", re.sub(r"<(style|head)[\s\S]*?</\1>", " ",
                                                    (out / f"{document}.html").read_text(encoding="utf-8"))),
             "pdf": "\n".join(page.extract_text() or "" for page in PdfReader(out / f"{document}.pdf").pages)}
    others = ["en"] + [lang for lang in ("de", "fr") if lang != language]
    for kind, text in texts.items():
        shown = _own_words(text)
        for other in others:
            for fragment in _fragments(other, language):
                if kind == "pdf" and " " not in fragment:
                    # PDF text breaks record text over lines and chart labels: phrases only there (the
                    # Markdown and HTML are read word by word).
                    continue
                pattern = r"(?<![^\W\d_])" + re.escape(fragment) + r"(?![^\W\d_])"
                assert not re.search(pattern, shown), \
                    f"{document}.{kind} in {locale} holds {other!r} words: {fragment!r}"


@pytest.mark.parametrize("locale", LOCALES)
def test_letters_follow_the_language_conventions(localised: dict[str, Path], locale: str) -> None:
    text = (localised[locale] / "senate-banking-letter.md").read_text(encoding="utf-8")
    if locale == "de_DE":
        # The brief gives each senator's courtesy: German greets them by name, French as Monsieur and Madame.
        assert "Sehr geehrter Herr Scott, sehr geehrte Frau Warren," in text and "Mit freundlichen Grüßen" in text
        assert "VERTRAULICH — EMPFÄNGER: COMMITTEE ON BANKING" in text
    else:
        assert "Monsieur, Madame," in text and "Veuillez agréer, Monsieur, Madame, l’expression" in text
        assert "CONFIDENTIEL — DESTINATAIRE\u00a0: COMMITTEE ON BANKING" in text
    assert "Sincerely," not in text and "Dear " not in text
    html = (localised[locale] / "executive-briefing.html").read_text(encoding="utf-8")
    heading = {"de_DE": "Quellen", "fr_FR": "Sources"}[locale]  # the footnotes' heading, printed by the CSS
    assert f'.footnotes::before {{ content: "{heading}"; }}' in html


def test_a_brief_sets_its_own_locale(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    brief = (project / "briefs" / "senate-banking-letter.yaml").read_text(encoding="utf-8")
    (project / "briefs" / "lettre.yaml").write_text(brief + "locale: fr_FR\n", encoding="utf-8")
    out = project / "out"
    result = run_in(project, ["build", "briefs/lettre.yaml", "briefs/executive-briefing.yaml", "--out", str(out)])
    assert result.exit_code == 0, result.output
    french = (out / "lettre.md").read_text(encoding="utf-8")
    assert "## Chiffres clés" in french and "Monsieur, Madame," in french and re.search(r"environ 25\s000", french)
    assert '<html lang="fr-FR">' in (out / "lettre.html").read_text(encoding="utf-8")
    assert str(PdfReader(out / "lettre.pdf").trailer["/Root"]["/Lang"]) == "fr-FR"
    # The other brief of the same build keeps reporter.toml's locale.
    english = (out / "executive-briefing.md").read_text(encoding="utf-8")
    assert "## Key figures" in english and '<html lang="en-US">' in (out / "executive-briefing.html").read_text()
    assert str(PdfReader(out / "executive-briefing.pdf").trailer["/Root"]["/Lang"]) == "en-US"


def test_a_brief_with_an_unknown_locale_is_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    brief = (project / "briefs" / "senate-banking-letter.yaml").read_text(encoding="utf-8")
    (project / "briefs" / "bad.yaml").write_text(brief + "locale: xx_YY\n", encoding="utf-8")
    result = run_in(project, ["build", "briefs/bad.yaml", "--out", str(project / "out")])
    assert result.exit_code != 0
    assert "unknown locale" in result.output


def test_english_words_are_the_message_ids() -> None:
    # The English catalogue is the message ids themselves: nothing to translate, nothing lacking.
    assert translator("en_US").gettext("Key figures") == "Key figures"
    assert words_for("en_GB") is words_for("en_US")
    assert words_for("de_DE").labels["accounts"] == "Konten"
    assert ENGLISH.labels["accounts"] == "Accounts"


# -- grammar: how each language joins what is filled in ------------------------------------------


@pytest.mark.parametrize(("message", "value", "expected"), [
    ("au cours de {v}", "le premier trimestre 2026", "au cours du premier trimestre 2026"),
    ("au titre de {v}", "les articles 33 et 34", "au titre des articles 33 et 34"),
    ("conformément à {v}", "le règlement", "conformément au règlement"),
    ("plus de {v}", "environ 5", "plus d’environ 5"),
    ("nous estimons que {v} est responsable", "Alibaba", "nous estimons qu’Alibaba est responsable"),
    ("effectuée auprès de {v}", "EU AI Office", "effectuée auprès d’EU AI Office"),
    ("auprès de {v}", "Hambourg", "auprès de Hambourg"),  # an h is the word's own matter
    ("le {v}", "1er mars", "le 1er mars"),
    ("dépassé de {v}", "8 heures", "dépassé de 8 heures"),
    ("{v} de plus", "avril", "avril de plus"),  # only where a value follows the preposition
])
def test_french_contracts_and_elides_where_a_value_meets_a_preposition(message: str, value: str,
                                                                         expected: str) -> None:
    from reporter.i18n import fill

    assert fill(message, "fr_FR", v=value) == expected
    # Other languages fill as str.format does.
    assert fill(message, "de_DE", v=value) == message.format(v=value)


def test_dates_are_phrased_as_each_language_writes_them() -> None:
    from reporter.dates import format_date_range, format_when, format_window, parse_when

    def when(text: str) -> Any:
        return parse_when(text)

    assert format_when(when("2026-03-01"), "fr_FR") == "1er mars 2026"
    assert format_when(when("2026-03-02"), "fr_FR") == "2 mars 2026"
    assert format_date_range(when("2026-04-22"), when("2026-06-05"), "fr_FR") == "du 22 avril au 5 juin 2026"
    assert format_date_range(when("2023-04"), when("2023-07"), "fr_FR") == "d’avril à juillet 2023"
    assert format_date_range(when("2025-03-01"), None, "fr_FR") == "depuis le 1er mars 2025"
    assert format_date_range(when("2025-05"), None, "fr_FR") == "depuis mai 2025"
    assert format_date_range(when("2025-03-01"), None, "de_DE") == "seit dem 1. März 2025"
    assert format_date_range(when("2025-05"), None, "de_DE") == "seit Mai 2025"
    assert format_window(when("2026-03-13T21:10:00Z"), when("2026-03-13T23:05:00Z"), "fr_FR") == \
        "13 mars 2026, de 21:10 à 23:05 UTC"
    assert format_window(when("2026-05-14"), None, "de_DE", as_of="2026-06-12") == \
        "seit dem 14. Mai 2026: 29 Tage bis zum 12. Juni 2026"
    assert format_window(when("2026-05-01"), None, "fr_FR", as_of="2026-06-12") == \
        "depuis le 1er mai 2026\u00a0: 42 jours jusqu’au 12 juin 2026"


def test_french_nouns_after_a_scale_word_and_after_or_more() -> None:
    from reporter.quantities import format_quantity, parse_quantity

    assert format_quantity(parse_quantity("28.8 million").with_unit("interactions"), "fr_FR") == \
        "28,8 millions d’interactions"
    assert format_quantity(parse_quantity("more than 2 billion").with_unit("accounts"), "fr_FR") == \
        "plus de 2 milliards de comptes"
    assert format_quantity(parse_quantity("about 25,000").with_unit("accounts"), "fr_FR") == \
        "environ 25\u202f000 comptes"
    assert format_quantity(parse_quantity("28.8 million").with_unit("interactions"), "de_DE") == \
        "28,8 Millionen Interaktionen"
    # A total of "about" figures with more unstated: the noun before "ou plus".
    from reporter.metrics import _open_above  # a total over incidents, some of which state none

    total = _open_above(parse_quantity("about 25,000") + parse_quantity("1,200"))
    phrased = {locale: format_quantity(total.with_unit("accounts"), locale) for locale in ("en_US", "de_DE", "fr_FR")}
    assert re.fullmatch(r"environ 26\s000 comptes ou plus", phrased["fr_FR"]), phrased
    assert phrased["de_DE"] == "etwa 26.000 oder mehr Konten" and phrased["en_US"] == "about 26,000 or more accounts"


# -- regulatory clocks in the reader's language ------------------------------------------------------


def _clock_incident(timeline: dict, disclosures: list | None = None, obligations: list | None = None) -> Any:
    from reporter.records import Incident

    return Incident.model_validate({"id": "case", "title": "A case", "category": "c", "timeline": timeline,
                                    "obligations": obligations or [{"regime": "gdpr-33"}],
                                    "disclosures": disclosures or []})


@pytest.mark.parametrize("locale", ["en_US", *LOCALES])
def test_every_clock_basis_reads_in_the_language(locale: str) -> None:
    from reporter.clocks import AI_ACT_DAYS, GPAI_DAYS, basis_text

    words = words_for(locale).clocks
    keys = [key.removeprefix("basis:") for key in ENGLISH.clocks if key.startswith("basis:")]
    assert len(keys) == 19
    for key in keys:
        days = AI_ACT_DAYS.get(key.split(":")[-1]) if key.startswith("ai-act") else \
            GPAI_DAYS.get(key.split(":")[-1]) if "initial-report" in key else None
        text = basis_text(key, days, locale)
        assert "{" not in text and (days is None or str(days) in text)
        if locale != "en_US":
            assert text != basis_text(key, days, "en_US") and words[f"basis:{key}"] != ENGLISH.clocks[f"basis:{key}"]
    assert basis_text("gdpr-33:notification", None, "de_DE").startswith("Art. 33 Abs. 1 DSGVO: Meldung an die "
                                                                        "zuständige Aufsichtsbehörde unverzüglich")
    assert basis_text("gdpr-33:notification", None, "fr_FR").startswith("Article 33, paragraphe 1, du RGPD\u00a0: "
                                                                        "notification à l’autorité de contrôle")


def test_a_clock_says_why_it_cannot_start_in_the_language() -> None:
    from reporter.clocks import clock_views, incident_clocks
    from tests.test_clocks import LATER

    no_aware = _clock_incident({"detected": "2026-03-15T14:20:00Z"})
    month_only = _clock_incident({"aware": "2026-03"})
    (clock,) = incident_clocks(no_aware, LATER)
    # The JSON interface keeps its English note; documents phrase the reason in their language.
    assert clock.note == "cannot start: no 'aware' event in the timeline"
    texts = {locale: clock_views([no_aware], LATER, locale=locale)[0].status_text for locale in ("en_US", *LOCALES)}
    assert texts == {"en_US": "cannot start: no date for “Became aware” in the timeline",
                     "de_DE": "kann nicht beginnen: kein Datum für „Kenntniserlangung“ in der Zeitleiste",
                     "fr_FR": "ne peut pas commencer\u00a0: aucune date pour «\u00a0Prise de connaissance\u00a0» dans la "
                              "chronologie"}
    assert clock_views([month_only], LATER, locale="de_DE")[0].status_text == \
        "kann nicht beginnen: „Kenntniserlangung“ ist nur auf den Monat genau bekannt (März 2026), die Frist braucht " \
        "den Tag"
    unresolved = _clock_incident({"aware": "2026-03-03T09:00:00Z"},
                                 obligations=[{"regime": "gpai-cop-9.3", "severity": "death"}])
    final = [v for v in clock_views([unresolved], LATER, locale="fr_FR") if v.report == "final-report"]
    assert final[0].status_text == "ne peut commencer qu’une fois l’incident résolu"
    assert final[0].severity_label == "décès d’une personne"


def test_missed_and_due_clocks_in_the_language() -> None:
    from datetime import datetime, timezone

    from reporter.clocks import clock_views

    late = _clock_incident({"aware": "2026-03-15T16:00:00Z"},
                           [{"date": "2026-03-19", "to": "DPC", "form": "filing", "regime": "gdpr-33"}])
    as_of = datetime(2026, 3, 20, tzinfo=timezone.utc)
    assert clock_views([late], as_of, locale="de_DE")[0].status_text == "Frist um mindestens 8 Stunden überschritten"
    assert clock_views([late], as_of, locale="fr_FR")[0].status_text == "délai dépassé d’au moins 8 heures"
    running = _clock_incident({"aware": "2026-03-15T16:00:00Z"})
    early = datetime(2026, 3, 16, 23, 0, tzinfo=timezone.utc)
    assert clock_views([running], early, locale="de_DE")[0].status_text == "Frist läuft noch 1 Tag und 17 Stunden"
    assert clock_views([running], early, locale="en_US")[0].status_text == "due in 1 day 17 hours"


def test_record_prose_is_quoted_in_its_own_language(localised: dict[str, Path]) -> None:
    # An English record's summary in a French letter: its figures phrased as its author wrote it.
    french = (localised["fr_FR"] / "senate-banking-letter.md").read_text(encoding="utf-8")
    assert "From April 22 to June 5, 2026, a single operator drove 28.8 million interactions through about " \
           "25,000 fraudulent accounts" in french
    assert "From du" not in french and "28,8 millions interactions" not in french
    report = (localised["fr_FR"] / "public-report-2026.md").read_text(encoding="utf-8")
    assert re.search(r"environ 26\s000 comptes ou plus", report) and "plus de 44 millions d’interactions" in report
    assert "## Rançongiciel" in report and "activité depuis le 1er mars 2025" in report
    german = (localised["de_DE"] / "public-report-2026.md").read_text(encoding="utf-8")
    assert "## Kontomissbrauch" in german and "Kontomissbrauch (einer), Ransomware (einer) und Destillation (zwei)" \
        in german and "aktiv vom 13. Januar 2026, 07:00 bis 16. Januar 2026, 01:00 UTC" in german


def test_a_report_names_its_categories_in_its_own_words(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    brief = yaml.safe_load((project / "briefs" / "public-report-2026.yaml").read_text(encoding="utf-8"))
    brief.update(locale="de_DE", category_labels={"distillation": "Destillation von Modellen"},
                 period_label="erstes Halbjahr 2026")
    (project / "briefs" / "bericht.yaml").write_text(yaml.safe_dump(brief, allow_unicode=True), encoding="utf-8")
    result = run_in(project, ["build", "briefs/bericht.yaml", "--format", "md", "--out", str(project / "out")])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "bericht.md").read_text(encoding="utf-8")
    assert "## Destillation von Modellen" in text and "## Kontomissbrauch" in text
    assert "Destillation von Modellen (zwei)" in text and "im Zeitraum erstes Halbjahr 2026" in text


@pytest.mark.parametrize("locale", ["en_US", *LOCALES])
def test_a_clock_never_tells_a_date_after_the_document(locale: str) -> None:
    # Resolved on April 20; a report dated March 4 must not say so, in any language.
    from datetime import datetime, timezone

    from reporter.clocks import clock_views

    incident = _clock_incident({"aware": "2026-03-03T09:00:00Z", "resolved": "2026-04-20"},
                               obligations=[{"regime": "gpai-cop-9.3", "severity": "critical-infrastructure"}])
    views = clock_views([incident], datetime(2026, 3, 4, tzinfo=timezone.utc), locale=locale)
    final = next(v for v in views if v.report == "final-report")
    assert final.status == "cannot-start" and final.due == "" and final.start == ""
    shown = " ".join(str(value) for value in vars(final).values())
    assert "20" not in shown.replace("2026", "") and "April" not in shown and "avril" not in shown
    assert final.status_text == {"en_US": "cannot start until the incident is resolved",
                                 "de_DE": "kann erst beginnen, wenn der Vorfall behoben ist",
                                 "fr_FR": "ne peut commencer qu’une fois l’incident résolu"}[locale]


def test_a_briefing_over_many_incidents_without_a_bottom_line_says_what_they_come_to(tmp_path: Path) -> None:
    # Not the first incident's summary: how many, over what span, and their totals, in each language.
    project = copy_project(tmp_path)
    brief = yaml.safe_load((project / "briefs" / "executive-briefing.yaml").read_text(encoding="utf-8"))
    del brief["bottom_line"]
    (project / "briefs" / "board.yaml").write_text(yaml.safe_dump(brief), encoding="utf-8")
    expected = {
        "en_US": "This briefing covers eight incidents, since May 2023; together they come to about 27,000 or more "
                 "accounts (from the 4 of 8 incidents that state accounts) and ",
        "de_DE": "Dieses Briefing umfasst acht Vorfälle, seit Mai 2023, mit insgesamt etwa 27.000 oder mehr Konten "
                 "(aus den 4 von 8 Vorfällen mit Angaben zu Konten) und ",
        "fr_FR": "Cette note porte sur huit incidents, depuis mai 2023, soit au total environ 27\u202f000 comptes ou "
                 "plus (d’après les 4 incidents sur 8 qui donnent un nombre de comptes) et ",
    }
    for locale, opening in expected.items():
        out = project / f"out-{locale}"
        result = run_in(project, ["build", "briefs/board.yaml", "--format", "md", "--out", str(out), "--locale", locale])
        assert result.exit_code == 0, result.output
        text = (out / "board.md").read_text(encoding="utf-8")
        assert opening in text, text[:1500]
        assert "Coordinated model-distillation campaign" not in text.split("##")[1]  # not one incident's summary


def test_a_french_project_notifies_the_cnil_of_an_ongoing_breach(tmp_path: Path) -> None:
    # Records, brief and reporter.toml in French (fr_FR, Europe/Paris): a named reader greeted with
    # her courtesy, an ongoing breach measured to the letter's date, a clock still running.
    import shutil

    project = tmp_path / "cnil"
    shutil.copytree(Path(__file__).parent / "fixtures" / "cnil", project)
    result = run_in(project, ["build", "briefs/cnil.yaml", "--out", str(project / "out")])
    assert result.exit_code == 0, result.output
    text = re.sub(r"[ \n]+", " ", (project / "out" / "cnil.md").read_text(encoding="utf-8"))  # keeps no-break spaces
    for expected in ("Madame,", "Veuillez agréer, Madame, l’expression de nos salutations distinguées.",
                     "| Situation au 26 novembre 2026 | échéance dans 1 jour, 15 heures et 30 minutes |",
                     "La violation se poursuit depuis le 20 novembre 2026, 08:15 CET\u00a0: 6 jours jusqu’au 26 "
                     "novembre 2026.",
                     "Au 26 novembre 2026, l’activité n’a pas cessé.",
                     "Article 33, paragraphe 1, du RGPD\u00a0: notification à l’autorité de contrôle compétente"):
        assert expected in text, expected
    assert re.search(r"exporter environ 8\s400 fiches clients du support depuis le 20 novembre 2026, 08:15 CET", text)
    assert "Dear" not in text and "Sincerely" not in text and "about" not in text


def test_a_german_project_reports_to_the_bsi(tmp_path: Path) -> None:
    # Records, brief and reporter.toml in German (de_DE, Europe/Berlin): the record's German summary
    # cites its figures in German, the NIS2 clocks read in German, techniques by their ATLAS names.
    import shutil

    project = tmp_path / "bsi"
    shutil.copytree(Path(__file__).parent / "fixtures" / "bsi", project)
    result = run_in(project, ["build", "briefs/bsi.yaml", "--out", str(project / "out")])
    assert result.exit_code == 0, result.output
    assert "Frist läuft noch 1 Tag und 14 Stunden" in result.output  # the build report's clock lines
    text = re.sub(r"[ \n]+", " ", (project / "out" / "bsi.md").read_text(encoding="utf-8"))
    for expected in ("Sehr geehrte Damen und Herren,",
                     "Vom 1. Oktober bis 28. Oktober 2026 stellten etwa 1.800 gefälschte Konten mehr als 3,2 Millionen "
                     "Anfragen an die Modell-API",
                     "| Zeitraum | 1\\. Oktober bis 28. Oktober 2026 (27 Tage) |",
                     "Ziele der Aktivität: Modell-API.",
                     "die Techniken AI Model Inference API Access (AML.T0040) und Extract AI Model (AML.T0024.002) "
                     "beobachtet",
                     "(Frühwarnung): gemeldet an BSI nach Art. 23 NIS-2-Richtlinie (Aktenzeichen BSI-2026-1187)",
                     "Mit freundlichen Grüßen"):
        assert expected in text, expected
    assert "about" not in text and "Sincerely" not in text
