"""Briefs against their template's manifest: no key is silently ignored, defaults come from it.

Every key a manifest lists must change the document when a brief sets it, and every key it
does not list must be refused with its location; a brief's formats must be ones the
template makes, and an omitted audience or formats list is the manifest's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from reporter.brief import EVERY_BRIEF, TEMPLATE_KEYS, load_brief
from reporter.errors import InputError, TemplateError
from reporter.formats import Format
from reporter.render import Templates
from tests.support import run_in

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = Templates().names()

# A brief each bundled template builds from (audience and formats left to the manifest).
BASE_BRIEFS: dict[str, dict[str, Any]] = {
    "regulator-letter": {"incidents": ["distillation-2026-q2"]},
    "executive-briefing": {"incidents": ["distillation-2026-q2"]},
    "disclosure-summary": {"incidents": ["distillation-2026-q2"]},
    "gdpr-notification": {"incidents": ["support-export-breach-2026"]},
    "sec-8k": {"incidents": ["ransomware-outage-2026"]},
    "ai-act-serious-incident": {"incidents": ["grid-agent-incident-2026"]},
}

# For every key a template may use: a value, and what the document shows when it is set.
SAMPLES: dict[str, tuple[Any, str]] = {
    "compare": (["distillation-2026-q1"], "## Comparison with earlier incidents"),
    "to": ([{"name": "Zebulon Quartermaine", "organisation": "Office of Zeta"}], "Zebulon Quartermaine"),
    "from": ({"name": "Xanthe Proudfoot", "title": "Keeper of Zeta"}, "Xanthe Proudfoot"),
    "salutation": ("Greetings to the Zeta committee", "Greetings to the Zeta committee"),
    "bottom_line": ("Zeta is the bottom line.", "Zeta is the bottom line."),
    "body": ("Zeta is the drafter's own paragraph.", "Zeta is the drafter's own paragraph."),
    "body_file": ("zeta-letter.md", "Zeta is a paragraph from a file beside the brief."),
    "conclusion": ("Zeta is the concluding paragraph.", "Zeta is the concluding paragraph."),
    "closing": ("Zeta regards,", "Zeta regards,"),
    "our_reference": ("ZETA-OURS-1", "Our reference: ZETA-OURS-1"),
    "your_reference": ("ZETA-YOURS-2", "Your reference: ZETA-YOURS-2"),
    "cc": (["Zeta Copyholder"], "Zeta Copyholder"),
    "enclosures": (["Zeta annex"], "Zeta annex"),
    "contact": ({"name": "Zeta Desk", "email": "zeta@example.org"}, "Zeta Desk"),
    "appendix": ("figures", "## Appendix: methodology"),
    "period_label": ("the Zeta quarter", "the Zeta quarter"),
    "categories": (["distillation"], "Category: distillation"),
    "category_labels": ({"distillation": "Zeta distillation"}, "Category: Zeta distillation"),
    "advice": (["Follow the Zeta advice."], "Follow the Zeta advice."),
    "asks": (["Consider the Zeta request."], "Consider the Zeta request."),
    "actions": (["We took the Zeta action."], "We took the Zeta action."),
    "recommendations": (["Adopt the Zeta recommendation."], "Adopt the Zeta recommendation."),
    "marking": ("ZETA EYES ONLY", "ZETA EYES ONLY"),
}
# The marking is a banner of the HTML and PDF pages; everything else is in the Markdown body.
HTML_ONLY = {"marking"}


def write_brief(path: Path, template: str, **keys: Any) -> Path:
    if "body_file" in keys:  # the file it names, beside the brief
        (path.parent / keys["body_file"]).write_text(SAMPLES["body_file"][1] + "\n", encoding="utf-8")
    data = {"template": template, "title": "Zeta test", "date": "2026-06-10", **BASE_BRIEFS.get(template, {}), **keys}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def project() -> tuple[Any, Any]:
    from reporter.config import load_config
    from reporter.records import load_collection

    return load_config(ROOT / "reporter.toml"), load_collection([ROOT / "incidents"])


def build(project: tuple[Any, Any], brief_path: Path, out: Path, formats: list[str]) -> dict[str, str]:
    from reporter.document import build_brief

    config, collection = project
    brief = load_brief(brief_path, templates=Templates())
    build_brief(brief, brief_path, config, collection, out, [Format(f) for f in formats])
    return {f: (out / f"{brief_path.stem}.{f}").read_text(encoding="utf-8") for f in formats}


def test_sample_for_every_template_key() -> None:
    assert set(SAMPLES) == set(TEMPLATE_KEYS)
    assert TEMPLATE_KEYS == ("compare", "to", "from", "salutation", "bottom_line", "body", "body_file", "conclusion",
                             "closing", "our_reference", "your_reference", "cc", "enclosures", "contact", "appendix",
                             "period_label", "categories", "category_labels", "advice", "asks", "actions", "recommendations", "marking")


@pytest.mark.parametrize(("template", "key"), [(t, k) for t in BUNDLED for k in Templates().manifest(t).keys])
def test_every_manifest_key_reaches_the_document(project: tuple[Any, Any], tmp_path: Path, template: str,
                                                 key: str) -> None:
    """A manifest that lists a key its template drops fails here: nothing in a brief is ignored."""
    value, shown = SAMPLES[key]
    fmt = "html" if key in HTML_ONLY else "md"
    baseline = build(project, write_brief(tmp_path / "plain.yaml", template), tmp_path / "a", [fmt])[fmt]
    with_key = build(project, write_brief(tmp_path / "keyed.yaml", template, **{key: value}), tmp_path / "b", [fmt])[fmt]
    assert shown not in baseline
    assert shown in with_key, f"{template} does not show the brief's {key}"


@pytest.mark.parametrize(("template", "key"),
                         [(t, k) for t in BUNDLED for k in TEMPLATE_KEYS if k not in Templates().manifest(t).keys])
def test_keys_a_template_does_not_use_are_refused(tmp_path: Path, template: str, key: str) -> None:
    path = write_brief(tmp_path / "brief.yaml", template, **{key: SAMPLES[key][0]})
    line = path.read_text().splitlines().index(next(l for l in path.read_text().splitlines() if l.startswith(f"{key}:")))
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    uses = ", ".join((*EVERY_BRIEF, *Templates().manifest(template).keys))
    assert str(info.value) == f"{path}:{line + 1}:1: {key}: the {template} template does not use this key (it uses {uses})"


def test_unused_key_message_in_full(tmp_path: Path) -> None:
    path = tmp_path / "letter.yaml"
    path.write_text("template: regulator-letter\ntitle: T\ndate: 2026-06-10\nincidents: [distillation-2026-q2]\n"
                    "recommendations: [Fund it.]\n")
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    uses = ("template, audience, title, date, incidents, formats, withhold_totals, locale, to, from, salutation, bottom_line, body, "
            "body_file, compare, conclusion, closing, our_reference, your_reference, cc, enclosures, contact, appendix, "
            "asks, actions, marking")
    assert str(info.value).splitlines() == [
        f"{path}:5:1: recommendations: the regulator-letter template does not use this key (it uses {uses})",
    ]
    # Without the templates nothing is checked (the lead's callers pass them).
    assert load_brief(path).recommendations == ["Fund it."]


def test_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("template: disclosure-summary\ntitle: T\ndate: 2026-13-01\nasks: [x]\nincidnts: []\n")
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    lines = str(info.value).splitlines()
    assert [line.split(": ", 2)[:2] for line in lines] == [[f"{path}:3:7", "date"], [f"{path}:4:1", "asks"],
                                                           [f"{path}:5:1", "incidnts"]]


def test_unknown_template_is_located(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("title: T\ntemplate: press-release\ndate: 2026-06-10\n")
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    assert str(info.value) == (f"{path}:2:11: template: no template named 'press-release' "
                               "(available: ai-act-serious-incident, disclosure-summary, executive-briefing, "
                               "gdpr-notification, regulator-letter, sec-8k)")
    path.write_text("title: T\ntemplate: default:press-release\ndate: 2026-06-10\n")
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    assert str(info.value) == (f"{path}:2:11: template: no bundled template named 'press-release' "
                               "(bundled: ai-act-serious-incident, disclosure-summary, executive-briefing, "
                               "gdpr-notification, regulator-letter, sec-8k)")


def test_audience_and_formats_default_to_the_manifest(tmp_path: Path) -> None:
    for template in BUNDLED:
        manifest = Templates().manifest(template)
        brief = load_brief(write_brief(tmp_path / f"{template}.yaml", template), templates=Templates())
        assert brief.audience == manifest.audience
        assert brief.formats == manifest.formats
    named = load_brief(write_brief(tmp_path / "x.yaml", "regulator-letter", audience="executive", formats=["md"]),
                       templates=Templates())
    assert (named.audience, named.formats) == ("executive", [Format.MD])
    assert load_brief(write_brief(tmp_path / "y.yaml", "regulator-letter")).audience is None


def _user_template(root: Path, name: str, manifest: str, body: str = "{{ title }}\n") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "template.toml").write_text(manifest)
    (folder / "body.md.j2").write_text(body)
    return root


MD_ONLY = """description = "Markdown only."
keys = ["asks"]
incidents = "many"
audience = "executive"
formats = ["md"]
subject = "Note: {title}"
"""


def test_formats_the_template_does_not_make_are_refused(tmp_path: Path) -> None:
    templates = Templates(user_dirs=[_user_template(tmp_path / "tpl", "note", MD_ONLY)])
    path = tmp_path / "b.yaml"
    path.write_text("template: note\ntitle: T\ndate: 2026-06-10\nformats: [md, pdf, html]\n")
    with pytest.raises(InputError) as info:
        load_brief(path, templates=templates)
    assert str(info.value).splitlines() == [
        f"{path}:4:15: formats[1]: the note template does not make pdf (it makes md)",
        f"{path}:4:20: formats[2]: the note template does not make html (it makes md)",
    ]
    path.write_text("template: note\ntitle: T\ndate: 2026-06-10\nasks: [a]\n")
    brief = load_brief(path, templates=templates)
    assert (brief.formats, brief.audience) == ([Format.MD], "executive")


def test_no_formats_is_an_error(tmp_path: Path) -> None:
    path = write_brief(tmp_path / "b.yaml", "disclosure-summary", formats=[])
    with pytest.raises(InputError) as info:
        load_brief(path, templates=Templates())
    assert str(info.value) == f"{path}:6:10: formats: List should have at least 1 item after validation, not 0"


def test_user_template_without_manifest_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "tpl" / "memo"
    folder.mkdir(parents=True)
    (folder / "body.md.j2").write_text("{{ title }}\n")
    path = tmp_path / "b.yaml"
    path.write_text("template: memo\ntitle: T\ndate: 2026-06-10\n")
    with pytest.raises(TemplateError) as info:
        load_brief(path, templates=Templates(user_dirs=[tmp_path / "tpl"]))
    assert str(info.value) == (f"{folder}: template has no template.toml (every template folder needs one; "
                               "`reporter new template` writes a template with its manifest)")


def test_sender_spelt_as_the_field_is_checked_too(tmp_path: Path) -> None:
    path = write_brief(tmp_path / "b.yaml", "disclosure-summary", sender={"name": "X"})
    with pytest.raises(InputError, match="sender: the disclosure-summary template does not use this key"):
        load_brief(path, templates=Templates())


@pytest.mark.parametrize("template", BUNDLED)
def test_new_brief_takes_the_manifest(tmp_path: Path, template: str) -> None:
    from reporter.scaffold import new_brief

    manifest = Templates().manifest(template)
    path = new_brief("fresh", tmp_path, template=template)
    brief = load_brief(path, templates=Templates())
    assert (brief.template, brief.audience, brief.formats) == (template, manifest.audience, manifest.formats)
    text = path.read_text()
    for key in TEMPLATE_KEYS:
        assert (f"\n# {key}:" in text) == (key in manifest.keys), key
    # Every key it offers, uncommented, still makes a valid brief for the template.
    # (body_file gives the paragraphs body would: a brief has one or the other, so it stays commented.)
    uncommented = "\n".join(line[2:] if line.startswith("# ") and not line.startswith(("# Also", "# body_file:"))
                            and (line[2:].split(":")[0] in TEMPLATE_KEYS or line.startswith(("#   ", "# - ")))
                            else line for line in text.splitlines())
    path.write_text(uncommented)
    full = load_brief(path, templates=Templates())
    assert {key for key in manifest.keys if getattr(full, "sender" if key == "from" else key)} == \
        set(manifest.keys) - {"body_file"}


def test_new_brief_for_unknown_template(tmp_path: Path) -> None:
    from reporter.errors import UsageError
    from reporter.scaffold import new_brief

    with pytest.raises(UsageError, match=r"^--template: no template named 'nope' \(available: "):
        new_brief("fresh", tmp_path, template="nope")


def test_cli_refuses_unused_key(tmp_path: Path) -> None:
    from tests.test_documents import copy_project

    project = copy_project(tmp_path / "p")
    (project / "briefs" / "x.yaml").write_text(
        "template: disclosure-summary\naudience: public\ntitle: T\ndate: 2026-06-10\n"
        "incidents: [distillation-2026-q2]\nasks: [Do it.]\n")
    result = run_in(project, ["build", "briefs/x.yaml", "--format", "md"])
    assert result.exit_code == 1
    assert result.output == ("briefs/x.yaml:6:1: asks: the disclosure-summary template does not use this key "
                             "(it uses template, audience, title, date, incidents, formats, withhold_totals, locale, body, "
                             "conclusion, period_label, categories, category_labels, advice, contact, actions, marking)\n")
