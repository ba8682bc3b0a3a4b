"""User templates run with bounded time, memory and recursion; runaways end as one clear error.

A user template is rendered in a forked child with a memory ceiling, killed after
``MAX_RENDER_SECONDS`` of wall clock even inside one long C-level operation; the sandbox refuses
huge powers, products, repetitions and ranges before doing the work. Each case goes through the
CLI: exit 1 and one ``Error:`` line, never a traceback, and the build process itself does not grow.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest
import yaml

from tests.support import run_in, write_manifest

BODY = "user-report/body.md.j2"
RUNAWAY = "refusing a runaway template"
CONFIG = """
[organisation]
name = "Limits Test Lab"
address = ["1 Test Road"]
[organisation.signatory]
name = "Sam Signer"
title = "Chief of Tests"
[documents]
locale = "en_US"
[paths]
records = ["incidents"]
"""
RECORD = {
    "id": "limits", "title": "An incident", "category": "distillation", "status": "confirmed",
    "sensitivity": "public", "summary": "A campaign drove {interactions} interactions.",
    "window": {"start": "2026-04-22", "end": "2026-06-05"}, "figures": {"interactions": 28_800_000},
}


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "reporter.toml").write_text(CONFIG)
    (root / "incidents").mkdir()
    (root / "incidents" / "limits.yaml").write_text(yaml.safe_dump(RECORD, sort_keys=False))
    write_manifest(root / "templates" / "user-report", base="disclosure-summary",
                   description="A user's template, to test limits.")
    (root / "briefs").mkdir()
    for template in ("user-report", "disclosure-summary"):
        (root / "briefs" / f"{template}.yaml").write_text(yaml.safe_dump({
            "template": template, "audience": "public", "title": "Limits", "date": "2026-06-12",
            "incidents": ["limits"], "formats": ["md", "html"]}, sort_keys=False))
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _project(tmp_path / "p")


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> float:
    import reporter.render as render

    monkeypatch.setattr(render, "MAX_RENDER_SECONDS", 2.0)
    return 2.0


def _build(root: Path, body: str) -> tuple[int, str, float]:
    (root / "templates" / "user-report" / "body.md.j2").write_text(body)
    started = time.perf_counter()
    result = run_in(root, ["build", "briefs/user-report.yaml", "--template-dir", "templates"])
    return result.exit_code, result.output, time.perf_counter() - started


def _fails_with(root: Path, body: str, message: str) -> float:
    code, output, seconds = _build(root, body)
    assert (code, output) == (1, f"Error: {BODY}: {message}\n")
    return seconds


def test_huge_power_is_refused_before_it_is_computed(project: Path, short_limit: float) -> None:
    seconds = _fails_with(project, "{{ 7 ** 123456789 }}",
                          f"7 ** 123456789 would be a number of about 104,333,090 digits (the limit is 4,300); {RUNAWAY}")
    assert seconds < short_limit


def test_one_long_c_operation_is_stopped_at_the_time_limit(project: Path, short_limit: float,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """With the cheap check out of the way, the power runs for minutes in one C call: it is killed."""
    import reporter.render as render

    monkeypatch.setattr(render, "MAX_INT_DIGITS", 10**12)
    seconds = _fails_with(project, "{{ 7 ** 123456789 }}", f"rendering took over 2 s; {RUNAWAY}")
    assert short_limit <= seconds < short_limit + 3


def test_huge_string_repetition_is_refused(project: Path) -> None:
    _fails_with(project, "{{ 'x' * 10**10 }}",
                f"'x' * 10000000000 would be 10,000,000,000 characters long (the limit is 2,000,000); {RUNAWAY}")
    _fails_with(project, "{{ [1, 2] * 10**9 }}",
                f"[1, 2] * 1000000000 would be 2,000,000,000 items long (the limit is 2,000,000); {RUNAWAY}")


def test_huge_product_is_refused(project: Path) -> None:
    _fails_with(project, "{% set n = 10 ** 4000 %}{{ n * n }}",
                f"a 4,001-digit number * a 4,001-digit number would be a number of over 4,300 digits; {RUNAWAY}")


def test_recursive_macro_is_stopped(project: Path) -> None:
    _fails_with(project, "{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}{{ down(0) }}",
                f"recursion too deep (a macro, include or import that calls itself without end); {RUNAWAY}")


def test_recursive_include_is_stopped(project: Path) -> None:
    _fails_with(project, "{% include 'user-report/body.md.j2' %}",
                f"recursion too deep (a macro, include or import that calls itself without end); {RUNAWAY}")


def test_huge_list_is_refused(project: Path) -> None:
    _fails_with(project, "{{ range(10**9) | list | length }}",
                f"range(1000000000) would have 1,000,000,000 items (the limit is 100,000); {RUNAWAY}")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_memory_is_bounded_and_the_build_process_does_not_grow(project: Path) -> None:
    """Filters and concatenation the sandbox cannot check beforehand meet the child's memory ceiling.

    ``center`` on constants is even folded while compiling: the child compiles, not the build process.
    """
    before = _peak_mib()
    _fails_with(project, "{{ 'x' | center(10**9) | length }}",
                f"rendering used more than 512 MiB of memory; {RUNAWAY}")
    _fails_with(project, "{% set ns = namespace(s='x' * 1000000) %}{% for i in range(12) %}"
                         "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
                f"rendering used more than 512 MiB of memory; {RUNAWAY}")
    _fails_with(project, "{{ 'x' * 1000000 ~ 'y' * 1000000 ~ 'z' * 1000000 }}",
                f"output is over 2,000,000 characters; {RUNAWAY}")
    assert _peak_mib() - before < 100


def test_a_smaller_memory_limit_holds(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reporter.render as render

    monkeypatch.setattr(render, "MAX_RENDER_MEMORY_MIB", 64)
    _fails_with(project, "{% set s = 'x' * 1000000 %}{{ ([s] * 100) | join | length }}",
                f"rendering used more than 64 MiB of memory; {RUNAWAY}")
    code, output, _ = _build(project, "{{ ('x' * 1000000) | length }} {{ 2 ** 100 }} {{ [0] * 3 }} {{ 'a' + 'b' }}")
    assert code == 0, output
    text = (project / "out" / "user-report.md").read_text()
    assert "1000000 1267650600228229401496703205376 \\[0, 0, 0\\] ab" in text


def test_confined_rendering_gives_the_same_bytes(project: Path) -> None:
    """A bundled template rendered in a child (a user directory exists) and in-process: same files."""
    (project / "templates" / "user-report" / "body.md.j2").write_text("{{ title }}\n")
    confined = run_in(project, ["build", "briefs/disclosure-summary.yaml", "--template-dir", "templates",
                                "--out", "confined"])
    assert confined.exit_code == 0, confined.output
    here = run_in(project, ["build", "briefs/disclosure-summary.yaml", "--out", "here"])
    assert here.exit_code == 0, here.output
    for suffix in (".md", ".html"):
        made = (project / "confined" / f"disclosure-summary{suffix}").read_bytes()
        assert made == (project / "here" / f"disclosure-summary{suffix}").read_bytes()
        assert len(made) > 300  # a whole document, not an error page


def test_the_build_process_compiles_nothing_and_children_reuse_the_code(project: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Children compile; the code comes back, so the next child compiles nothing either."""
    import reporter.render as render

    (project / "templates" / "user-report" / "body.md.j2").write_text(
        "{% import 'user-report/parts.md.j2' as parts %}{{ parts.hello(title) }}\n")
    (project / "templates" / "user-report" / "parts.md.j2").write_text("{% macro hello(t) %}Hello {{ t }}{% endmacro %}")
    templates = render.Templates(user_dirs=[project / "templates"])
    env = templates.environment(markdown=True)
    first = render.render_template(templates, BODY, {"title": "*T*"}, markdown=True)
    assert first == "Hello \\*T\\*\n"
    assert len(env.bytecode_cache.codes) == 2 and len(env.cache) == 0  # type: ignore[union-attr,arg-type]

    def no_compiling(*args: object, **kwargs: object) -> None:
        raise AssertionError("compiled again")

    monkeypatch.setattr(type(env), "compile", no_compiling)
    assert render.render_template(templates, BODY, {"title": "*T*"}, markdown=True) == first
