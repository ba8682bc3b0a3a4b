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
