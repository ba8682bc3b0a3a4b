"""Letters a signer sends as is: the drafter's prose with cited figures, read back; forms of address;
the build's checks first; nothing internal in an external document (#14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reporter import letters
from reporter.prose import Citations, CitationError, Scope, reading_problems
from reporter.quantities import Quantity, parse_quantity
from tests.support import run_in
from tests.test_documents import copy_project


def _citations() -> Citations:
    seed = Scope(figures={"accounts": parse_quantity("about 25,000"), "interactions": parse_quantity("28.8 million"),
                          "window_days": Quantity.exact(44, unit="days"),
                          "daily_rate": parse_quantity("28.8 million") / Quantity.exact(44)},
                 window=("April 22 to June 5, 2026", "April 22, 2026", "June 5, 2026"), withheld=frozenset({"records"}))
    earlier = Scope(figures={"interactions": parse_quantity("over 16 million")})
    return Citations(incidents={"seed": seed, "feb": earlier}, selected=("seed",), audience="regulator")


@pytest.mark.parametrize(("text", "filled"), [
    ("{accounts}", "about 25,000"),
    ("approximately {accounts:bare} accounts", "approximately 25,000 accounts"),
    ("roughly {daily_rate:bare} a day", "roughly 655,000 a day"),
    ("a {window_days:adjective} window", "a 44-day window"),
    ("from {window:start} to {window:end}", "from April 22, 2026 to June 5, 2026"),
    ("{window}", "April 22 to June 5, 2026"),
    ("in February, {feb.interactions} interactions", "in February, more than 16 million interactions"),
    ("{incidents:count} incident", "one incident"),
])
def test_citations_fill(text: str, filled: str) -> None:
    assert _citations().fill(text) == filled


@pytest.mark.parametrize(("text", "message"), [
    ("{nope.accounts}", "{nope.accounts}: no selected or compared incident 'nope' (expected one of feb, seed)"),
    ("{accounts:adjective}", "{accounts:adjective}: no form 'adjective' of accounts (expected phrase, bare)"),
    ("{records}", "{records}: the incident's records is withheld from the regulator audience; a document for it "
                  "cannot cite the figure"),
    ("{feb.window}", "{feb.window}: incident 'feb' has no window"),
])
def test_citations_that_cannot_be_filled_say_why(text: str, message: str) -> None:
    assert _citations().problems(text) == [message]
    with pytest.raises(CitationError):
        _citations().fill(text)


@pytest.mark.parametrize(("text", "quoted"), [
    ("about about 25,000 accounts", "'about about 25,000' doubles a qualifier"),
    ("approximately about 25,000", "'approximately about 25,000' doubles a qualifier"),
    ("more than more than 16 million", "'more than more than 16' doubles a qualifier"),
    ("up to up to 48,000", "'up to up to 48,000' doubles a qualifier"),
    ("since since May", "'since since May' doubles a qualifier"),
    ("We saw the the accounts.", "'the the' repeats a word"),
    ("Between April 22 to June 5 the operator", "'Between April 22 to June 5' mixes 'between … and' with 'from … to'"),
])
def test_reading_problems_are_found(text: str, quoted: str) -> None:
    problems = reading_problems(text)
    assert len(problems) == 1 and problems[0].startswith(quoted), problems


@pytest.mark.parametrize("text", ["over about six weeks", "between April 22 and June 5", "it had had no effect",
                                  "about 25,000 accounts and about 28.8 million interactions"])
def test_sound_prose_reads_clean(text: str) -> None:
    assert reading_problems(text) == []


@given(st.sampled_from(["accounts", "interactions", "daily_rate"]), st.sampled_from(["about", "approximately", "some"]))
def test_a_bare_citation_after_ones_own_qualifier_never_doubles(name: str, qualifier: str) -> None:
    text = _citations().fill(f"{qualifier} {{{name}:bare}}")
    assert reading_problems(text) == [] and not any(ch.isalpha() for ch in text.split(" ", 1)[1].split()[0])


# -- forms of address ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "title", "address", "organisation", "kind", "greets"), [
    ("Tim Scott", "Chairman", ["United States Senate"], "Committee on Banking", "legislator", "Chairman Scott"),
    ("Elizabeth Warren", "Ranking Member", ["United States Senate"], "", "legislator", "Ranking Member Warren"),
    ("Todd Young", "", ["United States Senate"], "", "legislator", "Senator Young"),
    ("Nancy Mace", "", ["U.S. House of Representatives"], "", "legislator", "Representative Mace"),
    ("Jane Whitfield", "Director of Enforcement", [], "Agency", "person", "Director Whitfield"),
    ("Lina Ortiz", "Director, Bureau of Consumer Protection", [], "FTC", "person", "Director Ortiz"),
    ("Sam Lee", "Head of Policy", [], "", "person", "Sam Lee"),
    ("Breach Notification Unit", "", [], "Data Protection Commission", "office", ""),
])
def test_recipients_are_greeted_by_convention(name: str, title: str, address: list[str], organisation: str,
                                              kind: str, greets: str) -> None:
    found = letters.kind_of(name, address, organisation)
    assert found == kind
    assert letters.salutation_name(name, title, found, address, organisation) == greets
    assert letters.honorific(found, None, "en_US") == ("The Honorable" if kind == "legislator" else "")


def test_salutations_and_closings_by_locale() -> None:
    assert letters.salutation(["Chairman Scott", "Ranking Member Warren"], "en_US") == \
        "Dear Chairman Scott and Ranking Member Warren:"
    assert letters.salutation([""], "en_US") == "Dear Sir or Madam:"
    assert letters.closing("Dear Sir or Madam:", "en_US") == "Sincerely,"
    assert letters.salutation([""], "en_GB") == "Dear Sir or Madam,"
    assert letters.closing("Dear Sir or Madam,", "en_GB") == "Yours faithfully,"
    assert letters.closing("Dear Director Whitfield,", "en_GB") == "Yours sincerely,"
    assert letters.salutation([""], "de_DE") == "Sehr geehrte Damen und Herren,"
    assert letters.closing("Sehr geehrte Damen und Herren,", "de_DE") == "Mit freundlichen Grüßen"
    assert letters.salutation_problem("Dear The Honorable Tim Scott:") is not None
    assert letters.salutation_problem("Dear Senator Scott:") is None


@pytest.mark.parametrize(("locale", "greeting", "close"), [
    ("de_DE", "Sehr geehrte Frau Dr. Ortiz, sehr geehrter Herr Scott,", "Mit freundlichen Grüßen"),
    ("fr_FR", "Madame, Monsieur,", "Veuillez agréer, Madame, Monsieur, l’expression de nos salutations distinguées."),
    ("en_US", "Dear Dr. Ortiz and Chairman Scott:", "Sincerely,"),
])
def test_a_courtesy_greets_a_person_by_name_in_each_language(locale: str, greeting: str, close: str) -> None:
    ortiz = letters.salutation_name("Ana Ortiz", "Dr.", "person", [], "", None, "Frau", locale)
    scott = letters.salutation_name("Tim Scott", "Chairman", "legislator", ["United States Senate"], "", None, "Mr.",
                                    locale)
    assert letters.salutation([ortiz, scott], locale) == greeting
    assert letters.closing(greeting, locale) == close
    # One reader: the French close names her as the greeting does.
    alone = letters.salutation([letters.salutation_name("Ana Ortiz", "", "person", [], "", None, "Madame", locale)],
                               locale)
    assert alone == {"de_DE": "Sehr geehrte Frau Ortiz,", "fr_FR": "Madame,", "en_US": "Dear Ms. Ortiz:"}[locale]
    if locale == "fr_FR":
        assert letters.closing(alone, locale) == "Veuillez agréer, Madame, l’expression de nos salutations distinguées."
    # Without a courtesy a German or French letter greets as it greets an office.
    bare = letters.salutation([letters.salutation_name("Ana Ortiz", "", "person", [], "", None, None, locale)], locale)
    assert bare == {"de_DE": "Sehr geehrte Damen und Herren,", "fr_FR": "Madame, Monsieur,",
                    "en_US": "Dear Ana Ortiz:"}[locale]


# -- through the command line ---------------------------------------------------------------------------

LETTER = """template: regulator-letter
title: Distillation campaign against our models
date: 2026-06-12
incidents: [distillation-2026-q2]
compare: [distillation-2026-q1]
to:
  - name: Maria Cantwell
    title: Chair
    organisation: Committee on Commerce, Science, and Transportation
    address: [United States Senate, "Washington, DC 20510"]
  - name: Ted Cruz
    title: Ranking Member
    organisation: Committee on Commerce, Science, and Transportation
    address: [United States Senate, "Washington, DC 20510"]
cc: [Senator Todd Young]
enclosures: [Technical annex]
contact: {name: Sam Okafor, email: sam@example.org}
body_file: letter.md
formats: [md, pdf]
"""
BODY = """Between {window:start} and {window:end}, a single operator drove {interactions} interactions through
{accounts} fraudulent accounts over a {window_days:adjective} window.

In February we disclosed campaigns of {distillation-2026-q1.interactions} interactions.
"""


def test_a_drafted_senate_letter_reads_right(tmp_path: Path) -> None:
    from pypdf import PdfReader

    project = copy_project(tmp_path / "p")
    (project / "briefs" / "commerce.yaml").write_text(LETTER)
    (project / "briefs" / "letter.md").write_text(BODY)
    result = run_in(project, ["build", "briefs/commerce.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(project / "out" / "commerce.pdf").pages).split())
    for phrase in ("The Honorable Maria Cantwell", "The Honorable Ted Cruz", "Dear Chair Cantwell and Ranking Member "
                   "Cruz:", "through about 25,000 fraudulent accounts over a 44-day window",
                   "In February we disclosed campaigns of more than 16 million interactions", "Sincerely,",
                   "cc: Senator Todd Young", "Enclosure: Technical annex", "Sam Okafor (sam@example.org)",
                   "Re: Distillation campaign against our models"):
        assert phrase in flat, phrase
    for phrase in ("withheld", "SHA-256", "incidents/", "reporter 0.", "not computable", "Dear The Honorable"):
        assert phrase not in flat, phrase
    assert reading_problems((project / "out" / "commerce.md").read_text()) == []
    report = json.loads((project / "out" / "commerce.build.json").read_text())
    assert report["withheld"]["items"] == 1 and report["inputs"] and report["tool"].startswith("reporter ")
    assert {"incident": "distillation-2026-q2", "part": "summary",
            "reason": "the brief's own paragraphs (body) take its place"} in report["left_out"]


def test_contradicting_or_doubled_prose_stops_the_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    brief = LETTER.replace("body_file: letter.md\n", "body: Over a 2.5-month window, about {accounts} accounts.\n")
    (project / "briefs" / "commerce.yaml").write_text(brief)
    result = run_in(project, ["build", "briefs/commerce.yaml", "--out", "out"])
    assert result.exit_code == 1
    assert ("briefs/commerce.yaml:18:7: body: '2.5-month' contradicts the window of 44 days (elapsed convention); "
            "cite it as {window_days}") in result.output
    assert ("briefs/commerce.yaml:18:7: body: with its figures filled in, 'about about 25,000' doubles a qualifier: "
            "write it once") in result.output
    assert result.output.endswith("Error: 2 errors, 0 warnings: nothing was written\n")
    assert not (project / "out").exists()


def test_strict_fails_on_warnings_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    plain = run_in(project, ["build", "briefs/senate-banking-letter.yaml", "--out", "out"])
    assert plain.exit_code == 0 and "after the document's date 2026-06-10: the document leaves it out" in plain.output
    strict = run_in(project, ["build", "briefs/senate-banking-letter.yaml", "--out", "strict", "--strict"])
    assert strict.exit_code == 1
    assert strict.output.endswith("Error: 0 errors, 1 warning (--strict: warnings fail): nothing was written\n")
    assert not (project / "strict").exists()


def test_an_office_in_britain_is_greeted_sir_or_madam(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    toml = project / "reporter.toml"
    toml.write_text(toml.read_text().replace('locale = "en_US"', 'locale = "en_GB"').replace('paper = "letter"',
                                                                                            'paper = "a4"'))
    result = run_in(project, ["build", "briefs/gdpr-notification.yaml", "--out", "out", "--format", "md"])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "gdpr-notification.md").read_text()
    assert "Dear Sir or Madam," in text and "Yours faithfully," in text
    assert "Dear Breach Notification Unit" not in text and "Sincerely," not in text


def test_no_bundled_document_doubles_a_word_or_qualifier(tmp_path: Path) -> None:
    """The check over all prose: every bundled document, as rendered, reads clean."""
    project = copy_project(tmp_path / "p")
    result = run_in(project, ["build", *sorted(str(p.relative_to(project)) for p in (project / "briefs").glob("*.yaml")),
                              "--out", "out", "--format", "md"])
    assert result.exit_code == 0, result.output
    for path in sorted((project / "out").glob("*.md")):
        assert reading_problems(path.read_text()) == [], path.name


def test_a_record_whose_summary_doubles_a_qualifier_fails_check(tmp_path: Path) -> None:
    """Records are read back like briefs: "more than {interactions}" over "over 16 million" doubles."""
    (tmp_path / "r.yaml").write_text(
        "id: doubled\ntitle: Doubled qualifier\ncategory: distillation\nstatus: closed\n"
        "summary: Together more than {interactions} interactions.\nfigures: {interactions: over 16 million}\n"
        "actions: [{text: Suspended the the accounts}]\n")
    result = run_in(tmp_path, ["check", "r.yaml"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "r.yaml:5:10: summary: in the summary, 'more than more than 16' doubles a qualifier: write it once; a cited "
        "figure brings its own qualifier (cite {name:bare} after words of your own)",
        "r.yaml:7:18: actions[0].text: 'the the' repeats a word",
        "2 errors, 0 warnings (1 file, 1 record checked).",
    ]


def test_a_filing_carries_no_preparer_notes_and_the_report_has_its_clocks(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    result = run_in(project, ["build", "briefs/sec-8k.yaml", "--out", "out", "--format", "md"])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "sec-8k.md").read_text()
    assert "preparer" not in text and "due in" not in text
    report = json.loads((project / "out" / "sec-8k.build.json").read_text())
    assert {"incident": "ransomware-outage-2026", "regime": "sec-8k-1.05", "report": "form-8k",
            "due": "2026-01-21T22:30:00Z", "status": "due",
            "status_text": "due in 1 day 22 hours 30 minutes"} in report["clocks"]
    assert ("briefs/sec-8k.yaml: note: clock: ransomware-outage-2026 sec-8k-1.05 form-8k: due in 1 day 22 hours "
            "30 minutes (due 2026-01-21T22:30:00Z)") in result.output


def test_a_window_cited_in_a_summary_and_in_a_brief_reads_the_same(tmp_path: Path) -> None:
    """One phrase per figure: a record's summary and the drafter's body cite {window} alike, in the
    document's zone and to the minute, as its key figures print it."""
    project = copy_project(tmp_path / "p")
    (project / "incidents" / "timed.yaml").write_text(
        "id: timed\ntitle: Timed outage\ncategory: outage\nstatus: confirmed\nsensitivity: public\n"
        "summary: Service was down {window}.\n"
        "window: {start: '2026-03-02T22:40:00+01:00', end: '2026-03-03T03:15:00+01:00'}\n"
        "figures: {users: 'about 1,200'}\n")
    (project / "briefs" / "timed.yaml").write_text(
        "template: regulator-letter\ntitle: Outage\ndate: 2026-03-10\nincidents: [timed]\nformats: [md]\n"
        "body: The outage lasted {window}, beginning {window:start}.\n")
    result = run_in(project, ["build", "briefs/timed.yaml", "--out", "out"])
    assert result.exit_code == 0, result.output
    text = (project / "out" / "timed.md").read_text().replace("\u202f", " ")  # Babel's space before PM
    phrase = "March 2, 2026, 9:40 PM to March 3, 2026, 2:15 AM UTC"
    assert f"The outage lasted {phrase}, beginning March 2, 2026, 9:40 PM UTC." in text
    assert f"| Window | {phrase}" in text
    from reporter.config import load_config
    from reporter.context import fill_summary
    from reporter.metrics import incident_metrics
    from reporter.records import load_collection

    loaded = load_collection([project / "incidents" / "timed.yaml"]).incidents[0]
    settings = load_config(project / "reporter.toml").settings()
    filled = fill_summary(loaded.incident, incident_metrics(loaded.incident, settings), settings, set())
    assert filled.replace("\u202f", " ") == f"Service was down {phrase}."


def test_a_letter_names_each_technique_it_cites() -> None:
    # Offline, from the ATLAS names bundled with the package; an ATT&CK id, which it has no name for, stays an id.
    from reporter.context import technique_name

    assert technique_name("AML.T0024.002") == "Extract AI Model (AML.T0024.002)"
    assert technique_name("AML.T0040") == "AI Model Inference API Access (AML.T0040)"
    assert technique_name("T1078") == "T1078"
    golden = (Path(__file__).parent / "golden" / "senate-banking-letter.md").read_text(encoding="utf-8")
    assert "the techniques observed were Extract AI Model (AML.T0024.002) and AI Model Inference API Access " \
           "(AML.T0040)." in golden
