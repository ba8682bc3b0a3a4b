"""Output formats are a registry: the brief, the CLI, the writer and the parallel path read it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from reporter import formats
from reporter.brief import Brief, load_brief
from reporter.config import load_config
from reporter.document import build_brief, build_briefs
from reporter.formats import REGISTRY, Format, OutputFormat, Product, Source, Sources
from reporter.records import load_collection
from tests.support import run_in

ROOT = Path(__file__).resolve().parent.parent


def test_every_listed_module_defines_one_format() -> None:
    assert list(REGISTRY) == ["md", "html", "pdf", "docx"]
    for module in formats.MODULES:
        fmt = importlib.import_module(f"reporter.formats.{module}").FORMAT
        assert REGISTRY[fmt.name] is fmt
    suffixes = [fmt.suffix for fmt in REGISTRY.values()]
    assert len(set(suffixes)) == len(suffixes) and all(s.startswith(".") for s in suffixes)
    assert [f.value for f in Format] == list(REGISTRY)
    assert formats.by_suffix(".PDF") is REGISTRY["pdf"] and formats.by_suffix(".txt") is None


def test_the_cli_offers_the_registered_formats() -> None:
    result = run_in(ROOT, ["build", "--help"])
    assert "--format <list[md|html|pdf|docx]>" in result.output
    refused = run_in(ROOT, ["build", "briefs/public-disclosure.yaml", "--format", "txt"])
    assert refused.exit_code == 2 and "'txt' is not one of 'md', 'html', 'pdf', 'docx'" in refused.output
    render = run_in(ROOT, ["render", "--template", "disclosure-summary", "--audience", "public",
                           "--incident", "distillation-2026-q2", "-o", "x.txt"])
    assert render.exit_code == 2 and "-o: expected a file ending in .md, .html, .pdf or .docx" in render.output


def test_a_brief_accepts_the_registered_formats_only() -> None:
    base = {"template": "disclosure-summary", "audience": "public", "title": "T", "date": "2026-06-11"}
    assert Brief.model_validate({**base, "formats": ["md", "pdf"]}).formats == [Format.MD, Format.PDF]
    with pytest.raises(ValidationError, match="'md', 'html', 'pdf' or 'docx'"):
        Brief.model_validate({**base, "formats": ["odt"]})


def _plain(sources: Sources) -> Product:
    # A stand-in format made from the Markdown body, as a new module would define it.
    return Product(("PLAIN\n" + sources.markdown).encode("utf-8"), assets={})


@pytest.fixture
def plain_format(monkeypatch: pytest.MonkeyPatch) -> OutputFormat:
    fmt = OutputFormat(name="txt", suffix=".txt", description="plain text", source=Source.MARKDOWN, make=_plain,
                       slow=True)
    monkeypatch.setitem(REGISTRY, "txt", fmt)
    # A template says which formats it makes: these make the new one too.
    from reporter.render import Templates

    original = Templates.manifest

    def manifest(self: Templates, name: str):  # noqa: ANN202
        found = original(self, name)
        return found.model_copy(update={"formats": [*found.formats, "txt"]})

    monkeypatch.setattr(Templates, "manifest", manifest)
    return fmt


def test_a_registered_format_is_built_and_written_by_the_shared_path(tmp_path: Path,
                                                                     plain_format: OutputFormat) -> None:
    config = load_config(ROOT / "reporter.toml")
    collection = load_collection([ROOT / "incidents"])
    path = ROOT / "briefs" / "public-disclosure.yaml"
    brief = load_brief(path)
    built = build_brief(brief, path, config, collection, tmp_path, ["md", "txt"])
    names = sorted(p.name for p in built.paths if p.parent == tmp_path)
    assert names == ["public-disclosure.md", "public-disclosure.txt"]
    text = (tmp_path / "public-disclosure.txt").read_text()
    assert text.startswith("PLAIN\n# ") and "about 25,000" in text
    # The parallel path hands slow formats to worker processes, which find them in the registry too.
    parallel = tmp_path / "parallel"
    briefs = [(p, load_brief(p)) for p in sorted((ROOT / "briefs").glob("*.yaml"))]
    build_briefs(briefs, config, collection, parallel, ["txt"], workers=2)
    assert sorted(p.name for p in parallel.iterdir()) == sorted(
        name for p, _ in briefs for name in (f"{p.stem}.txt", f"{p.stem}.build.json"))
    assert (parallel / "public-disclosure.txt").read_bytes() == (tmp_path / "public-disclosure.txt").read_bytes()


def test_two_briefs_that_would_write_the_same_file_are_refused_before_writing(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "same.yaml").write_text(
            (ROOT / "briefs" / "public-disclosure.yaml").read_text(), encoding="utf-8")
    result = run_in(ROOT, ["build", str(tmp_path / "a" / "same.yaml"), str(tmp_path / "b" / "same.yaml"),
                           "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "would both write same.md in " in result.output
    assert not (tmp_path / "out").exists()
