"""Regenerate (or, with --check, verify) the README's command reference from `--help`.

Run `python tools/readme_help.py` after changing a command; the test suite runs the check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from typer.main import get_command
from typer.testing import CliRunner

from reporter.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- help:start -->", "<!-- help:end -->"


def reference() -> str:
    runner = CliRunner()
    names = list(get_command(app).commands)  # type: ignore[attr-defined]
    parts = []
    for args in ([], *([name] for name in names)):
        result = runner.invoke(app, [*args, "--help"], env={"COLUMNS": "100", "TERM": "dumb"}, terminal_width=100)
        title = "reporter " + " ".join(args) if args else "reporter"
        parts.append(f"### `{title}`\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def render(text: str) -> str:
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{reference()}{END}{after}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    updated = render(text)
    if "--check" in sys.argv:
        if updated != text:
            print("README command reference is out of date: run python tools/readme_help.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
