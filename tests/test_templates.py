"""Templates as data: manifests (template.toml), the template list, shared parts, scaffolding."""

from __future__ import annotations

from pathlib import Path
import pytest

from reporter.errors import TemplateError, TemplateMissing, UsageError
from reporter.formats import Format, names
from reporter.manifest import Manifest, load_manifest
from reporter.render import Templates, bundled_templates

ROOT = Path(__file__).resolve().parent.parent

VALID = """description = "A memo."
keys = ["asks"]
incidents = "many"
audience = "executive"
formats = ["md", "html"]
subject = "Memo: {title}"
"""


def test_every_manifest_field_is_described() -> None:
    for name, info in Manifest.model_fields.items():
        assert info.description, f"Manifest.{name} has no description"
    assert Manifest.model_config["extra"] == "forbid"


def test_bundled_manifests() -> None:
    templates = Templates()
    assert templates.names() == ["ai-act-serious-incident", "disclosure-summary", "executive-briefing",
                                 "gdpr-notification", "regulator-letter", "sec-8k"]
    facts = {name: (m.keys, m.incidents, m.audience, m.subject_for("T"))
             for name in templates.names() for m in [templates.manifest(name)]}
    assert facts == {
        "regulator-letter": (["to", "from", "salutation", "bottom_line", "body", "body_file", "compare", "conclusion",
                              "closing", "our_reference", "your_reference", "cc", "enclosures", "contact", "appendix",
                              "asks", "actions", "marking"], "one", "regulator", "Letter: T"),
        "executive-briefing": (["compare", "bottom_line", "recommendations", "marking"], "many", "executive",
                               "Executive briefing: T"),
        "disclosure-summary": (["body", "conclusion", "period_label", "categories", "category_labels", "advice",
                                "contact", "actions", "marking"], "many", "public", "T"),
        "gdpr-notification": (["to", "from", "salutation", "closing", "our_reference", "your_reference", "cc",
                               "enclosures", "contact", "actions", "marking"], "one", "regulator",
                              "GDPR Art. 33 notification: T"),
        "sec-8k": (["from", "marking"], "one", "public", "Form 8-K Item 1.05: T"),
        "ai-act-serious-incident": (["to", "from", "salutation", "closing", "our_reference", "your_reference", "cc",
                                     "enclosures", "contact", "actions", "marking"], "one", "regulator",
                                    "Serious incident report: T"),
    }
    for name in templates.names():
        manifest = templates.manifest(f"default:{name}")
        assert manifest == templates.manifest(name)
        assert {str(f) for f in manifest.formats} <= set(names())
        assert manifest.one_incident is (manifest.incidents == "one")
    # The manifest is the one place a template's subject is written.
    for page in bundled_templates().glob("*/page.html.j2"):
        assert "block subject" not in page.read_text() or page.parent.name == "base", page


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_loads(tmp_path: Path) -> None:
    manifest = load_manifest(_write(tmp_path, VALID))
    assert manifest.formats == [Format.MD, Format.HTML]
    assert manifest.subject_for("{x} & co") == "Memo: {x} & co"


@pytest.mark.parametrize(("text", "message"), [
    (VALID + 'colour = "red"\n',
     "colour: unknown key (expected one of description, keys, incidents, audience, formats, subject, reader, omits)"),
    (VALID.replace('keys = ["asks"]', 'keys = ["asks", "wishes"]'),
     "keys: 'wishes' is not a brief key (expected some of compare, to, from, salutation, bottom_line, body, "
     "body_file, conclusion, closing, our_reference, your_reference, cc, enclosures, contact, appendix, period_label, "
     "categories, category_labels, advice, asks, actions, recommendations, marking)"),
    (VALID.replace('keys = ["asks"]', 'keys = ["title"]'),
     "keys: 'title' is a key of every brief; list only the template's own keys"),
    (VALID.replace('keys = ["asks"]', 'keys = ["asks", "asks"]'), "keys: lists a key twice"),
    (VALID.replace('"many"', '"several"'), "incidents: Input should be 'one' or 'many'"),
    (VALID.replace('["md", "html"]', '["md", "odt"]'), "formats.1: Input should be 'md', 'html', 'pdf' or 'docx'"),
    (VALID.replace('["md", "html"]', '[]'), "formats: List should have at least 1 item after validation, not 0"),
    (VALID.replace('["md", "html"]', '["md", "md"]'), "formats: lists a format twice"),
    (VALID.replace("{title}", "{date}"),
     "subject: the only placeholder is {title} (write {{ and }} for literal braces)"),
    (VALID.replace("{title}", "{title"),
     "subject: expected '}' before end of string (write {{ and }} for literal braces)"),
    (VALID.replace('"executive"', '"Top Brass"'),
     "audience: String should match pattern '^[a-z0-9][a-z0-9-]{0,63}$'"),
    (VALID.replace('description = "A memo."\n', ""), "description: required key missing"),
])
def test_manifest_problems_are_located(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TemplateError) as info:
        load_manifest(path)
    assert str(info.value) == f"{path}: {message}"


def test_manifest_problems_all_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, 'description = ""\nincidents = "one"\n')
    with pytest.raises(TemplateError) as info:
        load_manifest(path)
    assert str(info.value).splitlines() == [f"{path}: description: must not be empty",
                                            f"{path}: audience: required key missing",
                                            f"{path}: formats: required key missing",
                                            f"{path}: subject: required key missing"]


def test_manifest_toml_syntax_error(tmp_path: Path) -> None:
    path = _write(tmp_path, 'description = "x\n')
    with pytest.raises(TemplateError) as info:
        load_manifest(path)
    assert str(info.value).startswith(f"{path}: invalid TOML: ") and "line 1" in str(info.value)


def test_user_templates_come_first(tmp_path: Path) -> None:
    for root, name in ((tmp_path / "a", "zeta"), (tmp_path / "b", "alpha"), (tmp_path / "b", "disclosure-summary")):
        (root / name).mkdir(parents=True)
        (root / name / "template.toml").write_text(VALID)
        (root / name / "body.md.j2").write_text("{{ title }}\n")
    (tmp_path / "a" / "partials").mkdir()  # neither manifest nor body: not a template
    (tmp_path / "a" / "base").mkdir()
    (tmp_path / "a" / "base" / "body.md.j2").write_text("x")
    templates = Templates(user_dirs=[tmp_path / "a", tmp_path / "b"])
    assert templates.names() == ["zeta", "alpha", "disclosure-summary", "ai-act-serious-incident",
                                 "executive-briefing", "gdpr-notification", "regulator-letter", "sec-8k"]
    assert templates.manifest("disclosure-summary").description == "A memo."
    assert templates.manifest("default:disclosure-summary").audience == "public"
    with pytest.raises(TemplateMissing, match=r"^no template named 'base' \(available: zeta, alpha, "):
        templates.manifest("base")
    with pytest.raises(TemplateMissing, match="no template named '../a/zeta'"):
        templates.manifest("../a/zeta")


def test_manifest_symlinked_out_is_refused(tmp_path: Path) -> None:
    outside = _write(tmp_path, VALID)
    folder = tmp_path / "tpl" / "memo"
    folder.mkdir(parents=True)
    (folder / "template.toml").symlink_to(outside)
    with pytest.raises(TemplateError, match="template manifest leads outside its template directory"):
        Templates(user_dirs=[tmp_path / "tpl"]).manifest("memo")


# -- reporter new template -------------------------------------------------------------------------


def _build(tmp_path: Path, brief_text: str, template_dirs: list[Path], formats: list[str], stem: str) -> dict[str, str]:
    from reporter.brief import load_brief
    from reporter.config import load_config
    from reporter.document import build_brief
    from reporter.records import load_collection

    path = tmp_path / f"{stem}.yaml"
    path.write_text(brief_text)
    brief = load_brief(path, templates=Templates(user_dirs=template_dirs))
    out = tmp_path / "out"
    build_brief(brief, path, load_config(ROOT / "reporter.toml"), load_collection([ROOT / "incidents"]), out,
                [Format(f) for f in formats], extra_template_dirs=template_dirs)
    return {f: (out / f"{stem}.{f}").read_text(encoding="utf-8") for f in formats}


BRIEF = "template: {template}\ntitle: T\ndate: 2026-06-11\nincidents: [distillation-2026-q2]\n"


def test_scaffolded_template_builds_as_its_base(tmp_path: Path) -> None:
    from reporter.scaffold import new_template

    folder = new_template("press-note", tmp_path / "tpl")
    assert sorted(p.name for p in folder.iterdir()) == ["body.md.j2", "template.toml"]
    assert '{% extends "default:disclosure-summary/body.md.j2" %}' in (folder / "body.md.j2").read_text()
    manifest = Templates(user_dirs=[tmp_path / "tpl"]).manifest("press-note")
    assert manifest.description == "Press note: a template based on disclosure-summary."
    assert manifest.model_dump(exclude={"description"}) == \
        Templates().manifest("disclosure-summary").model_dump(exclude={"description"})
    mine = _build(tmp_path, BRIEF.format(template="press-note"), [tmp_path / "tpl"], ["md", "html"], "mine")
    bundled = _build(tmp_path, BRIEF.format(template="disclosure-summary"), [], ["md", "html"], "bundled")
    assert mine["md"] == bundled["md"]
    assert mine["html"] == bundled["html"].replace('class="disclosure-summary ', 'class="press-note ')


def test_scaffolded_letter_keeps_its_page_and_style(tmp_path: Path) -> None:
    from reporter.scaffold import new_template

    folder = new_template("my-letter", tmp_path / "tpl", base="regulator-letter")
    assert sorted(p.name for p in folder.iterdir()) == ["body.md.j2", "page.html.j2", "style.css", "template.toml"]
    built = _build(tmp_path, BRIEF.format(template="my-letter") + "asks: [Act.]\n", [tmp_path / "tpl"],
                   ["md", "html"], "letter")
    assert "Sincerely," in built["md"] and "## Our requests" in built["md"]
    assert 'class="letterhead"' in built["html"] and ".letterhead { text-align: right;" in built["html"]


def test_new_template_refusals(tmp_path: Path) -> None:
    from reporter.scaffold import new_template

    new_template("memo", tmp_path)
    with pytest.raises(UsageError, match="already exists"):
        new_template("memo", tmp_path)
    with pytest.raises(UsageError, match="is not a slug"):
        new_template("My Memo", tmp_path)
    with pytest.raises(UsageError, match=r"^--template: no bundled template named 'base' \(bundled: "):
        new_template("other", tmp_path, base="base")
    assert not (tmp_path / "other").exists()


# -- metadata subject --------------------------------------------------------------------------------


def test_subject_comes_from_the_manifest(tmp_path: Path) -> None:
    built = _build(tmp_path, BRIEF.format(template="regulator-letter"), [], ["html"], "letter")
    assert '<meta name="description" content="Letter: T">' in built["html"]


# -- shared parts --------------------------------------------------------------------------------------


def test_shared_parts_are_written_once() -> None:
    """The bodies use the base parts instead of copies of them."""
    bodies = {p.parent.name: p.read_text() for p in bundled_templates().glob("*/body.md.j2")}
    for name, body in bodies.items():
        assert "[^{{ s.number }}]:" not in body, f"{name} copies the source notes"
        assert "Inputs, read by" not in body, f"{name} copies the methodology appendix"
        assert '{% include "base/sources.md.j2" %}' in body
    for name in ("regulator-letter", "gdpr-notification", "ai-act-serious-incident"):
        assert '{% include "base/letter_head.md.j2" %}' in bodies[name]
        assert '{% include "base/letter_close.md.j2" %}' in bodies[name]
        assert "Sincerely," not in bodies[name], f"{name} writes its own closing"
    assert "{% call figures_appendix(methodology" in bodies["regulator-letter"]
    assert "{% call appendix(methodology" in bodies["executive-briefing"]
    for name in ("regulator-letter", "disclosure-summary"):
        assert "key_figures(incident" in bodies[name]


def test_a_user_base_part_overrides_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / "tpl" / "base").mkdir(parents=True)
    (tmp_path / "tpl" / "base" / "sources.md.j2").write_text("\nSOURCES OVERRIDDEN\n")
    built = _build(tmp_path, BRIEF.format(template="disclosure-summary"), [tmp_path / "tpl"], ["md"], "s")
    assert built["md"].endswith("SOURCES OVERRIDDEN\n")
