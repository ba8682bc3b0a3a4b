"""The README stays true: its command reference is `--help`, and every command is in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.main import get_command

from reporter.cli import app

ROOT = Path(__file__).resolve().parent.parent


def test_readme_command_reference_is_current() -> None:
    result = subprocess.run([sys.executable, "tools/readme_help.py", "--check"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_every_command_is_documented() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        assert f"### `reporter {name}`" in readme
        assert command.help, f"{name} has no help text"


def test_readme_opens_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0]
    assert "make demo" in head and "make test" in head


def test_python_dash_m_works() -> None:
    result = subprocess.run([sys.executable, "-m", "reporter", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "Usage:" in result.stdout
