"""Helpers shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner, Result

from reporter.cli import app

_runner = CliRunner()


def run_in(directory: Path, args: list[str]) -> Result:
    """Run the CLI with ``directory`` as the working directory (reporter.toml is found from it)."""
    old = Path.cwd()
    os.chdir(directory)
    try:
        return _runner.invoke(app, args)
    finally:
        os.chdir(old)


def write_manifest(directory: Path, *, base: str = "disclosure-summary", **fields: object) -> Path:
    """A user template's ``template.toml``: the bundled ``base``'s manifest with ``fields`` changed."""
    import json

    from reporter.render import Templates

    data = {**Templates().manifest(f"default:{base}").model_dump(mode="json"), **fields}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "template.toml"
    # JSON strings and lists of strings are valid TOML values.
    path.write_text("".join(f"{key} = {json.dumps(value)}\n" for key, value in data.items()), encoding="utf-8")
    return path
