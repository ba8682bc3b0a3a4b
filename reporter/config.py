"""Organisation defaults from ``reporter.toml`` (found upward from the working directory).

Precedence is defaults < reporter.toml < command line; an option left unset on the
command line never overrides the file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reporter.dates import WindowConvention
from reporter.errors import ConfigError
from reporter.records import Sensitivity

CONFIG_NAME = "reporter.toml"
DEFAULT_AUDIENCES = {
    "public": Sensitivity.PUBLIC,
    "regulator": Sensitivity.CONFIDENTIAL,
    "executive": Sensitivity.RESTRICTED,
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Signatory(_Section):
    """Who signs letters."""

    name: str = Field(description="Full name.")
    title: str | None = Field(None, description="Title under the name.")


class Organisation(_Section):
    """The organisation documents come from."""

    name: str = Field("Example Organisation", description="Name as it appears in letterheads and PDF metadata.")
    address: list[str] = Field(default_factory=list, description="Address lines for the letterhead.")
    logo: Path | None = Field(None, description="SVG or PNG logo, relative to reporter.toml.")
    signatory: Signatory | None = Field(None, description="Default signatory of letters.")


class Documents(_Section):
    """How documents are phrased and printed."""

    locale: str = Field("en_US", description="Babel locale: en_US, en_GB, de_DE.")
    paper: Literal["letter", "a4"] = Field("letter", description="Paper size of PDFs.")
    window_convention: WindowConvention = Field(WindowConvention.ELAPSED, description="elapsed or inclusive.")
    sig_figs: int = Field(4, ge=1, le=15, description="Significant figures in prose.")
    font: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .-]{0,63}$")] = Field(
        "DejaVu Sans", description="The organisation's font for charts (an installed font family).")
    small_counts: int = Field(0, ge=0, description="In public documents, show breakdown counts below this as "
                                                   "'fewer than N' (0: off).")


class Paths(_Section):
    """Where things are, relative to reporter.toml."""

    templates: list[Path] = Field(default_factory=list, description="User template directories, searched first.")
    records: list[Path] = Field(default_factory=lambda: [Path("incidents")], description="Record files or directories.")
    output: Path = Field(Path("out"), description="Output directory of `reporter build`.")


class Config(_Section):
    """Everything in reporter.toml."""

    organisation: Organisation = Field(default_factory=Organisation)
    documents: Documents = Field(default_factory=Documents)
    audiences: dict[str, Sensitivity] = Field(default_factory=lambda: dict(DEFAULT_AUDIENCES),
                                              description="Audience name → clearance.")
    paths: Paths = Field(default_factory=Paths)
    root: Path = Field(Path("."), exclude=True, description="Directory of reporter.toml; relative paths start here.")

    @field_validator("audiences")
    @classmethod
    def _with_defaults(cls, audiences: dict[str, Sensitivity]) -> dict[str, Sensitivity]:
        return {**DEFAULT_AUDIENCES, **audiences}

    def resolve(self, path: Path) -> Path:
        """A path from the config, relative to the config's directory."""
        return path if path.is_absolute() else self.root / path

    def clearance(self, audience: str) -> Sensitivity:
        """The clearance of an audience; an unknown audience is an error."""
        try:
            return self.audiences[audience]
        except KeyError:
            raise ConfigError(
                f"unknown audience {audience!r}: expected one of {', '.join(sorted(self.audiences))} "
                f"(audiences are defined in {CONFIG_NAME})"
            ) from None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest reporter.toml in ``start`` or a parent directory."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None, *, search_from: Path | None = None) -> Config:
    """Load ``path`` or the nearest reporter.toml; defaults when there is none.

    Raises:
        ConfigError: unreadable TOML or invalid settings, every problem listed.
    """
    path = path or find_config(search_from)
    if path is None:
        return Config(root=(search_from or Path.cwd()).resolve())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    try:
        return Config.model_validate({**data, "root": path.parent.resolve()})
    except ValidationError as exc:
        lines = []
        for error in exc.errors(include_url=False, include_input=False):
            key = ".".join(str(part) for part in error["loc"])
            message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
            lines.append(f"{path}: {key}: {message}")
        raise ConfigError("\n".join(lines)) from None
