"""Settings: organisation defaults from ``reporter.toml``, and the one way they are resolved.

Every command that reads records or briefs resolves its settings with :func:`resolve_config`:
defaults < ``reporter.toml`` (the nearest one upward from the working directory, or the one
named with ``--config``) < the command line. An option left unset on the command line
(``None``) never overrides the file, so ``window_convention = "inclusive"`` in the file gives
45 days for April 22 to June 5 in ``metrics``, ``check``, ``chart`` and ``build`` alike.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from reporter.dates import WindowConvention
from reporter.errors import ConfigError, UsageError
from reporter.records import Sensitivity

if TYPE_CHECKING:  # pragma: no cover
    from reporter.metrics import Settings

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

    locale: str = Field("en_US", description="Babel locale of documents and records: en_US, en_GB, de_DE, fr_FR.")
    paper: Literal["letter", "a4"] = Field("letter", description="Paper size of PDFs.")
    window_convention: WindowConvention = Field(WindowConvention.ELAPSED, description="elapsed or inclusive.")
    sig_figs: int = Field(4, ge=1, le=15, description="Significant figures in prose.")
    font: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 .-]{0,63}$")] = Field(
        "DejaVu Sans", description="The organisation's font for charts (an installed font family).")
    small_counts: int = Field(0, ge=0, description="In public documents, show breakdown counts below this as "
                                                   "'fewer than N' (0: off).")
    timezone: str = Field("UTC", description="IANA time zone of the organisation (e.g. Europe/Dublin): a date "
                                             "without a time starts a regulatory clock at the start of that day here.")
    reference_docx: Path | None = Field(None, description="Word reference document (styles, letterhead) for .docx "
                                                          "output, relative to reporter.toml; read only inside the project.")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown time zone {value!r}: expected an IANA name such as UTC, Europe/Dublin or "
                             "America/New_York") from None
        return value

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        from babel import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (UnknownLocaleError, ValueError, TypeError):
            raise ValueError(f"unknown locale {value!r}: expected a Babel locale such as en_US, en_GB or de_DE") from None
        return value


def parse_size(text: str | int) -> int:
    """A size such as ``8MiB``, ``500KiB``, ``2MB`` or ``1048576`` in bytes.

    Raises:
        ValueError: not a size.
    """
    if isinstance(text, int) and not isinstance(text, bool) and text >= 0:
        return text
    match = re.fullmatch(r"\s*(\d+)\s*(|k|kb|kib|m|mb|mib|g|gb|gib)\s*", str(text).lower())
    if not match:
        raise ValueError("expected a size such as 8MiB, 500KiB or 1048576")
    factor = {"": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024**2, "mb": 1000**2, "mib": 1024**2,
              "g": 1024**3, "gb": 1000**3, "gib": 1024**3}[match.group(2)]
    return int(match.group(1)) * factor


class Input(_Section):
    """Limits on the files the product reads."""

    max_file_size: Annotated[int, Field(ge=1)] = Field(
        8 * 1024 * 1024, description="Refuse record and brief files larger than this (e.g. \"8MiB\").")

    @field_validator("max_file_size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return parse_size(value)


class Evidence(_Section):
    """How evidence logs are read."""

    engine: Literal["local", "dask"] = Field("local", description="local: streaming in this process; dask: a cluster.")
    scheduler: str | None = Field(None, description="Address of a running Dask scheduler (with engine = \"dask\").")


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
    input: Input = Field(default_factory=Input)
    evidence: Evidence = Field(default_factory=Evidence)
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

    def settings(self) -> Settings:
        """How figures are computed and phrased, from ``[documents]``."""
        from reporter.metrics import Settings

        documents = self.documents
        return Settings(convention=documents.window_convention, locale=documents.locale, sig_figs=documents.sig_figs)

    _records_locale: str | None = PrivateAttr(None)

    @property
    def records_locale(self) -> str:
        """The locale records are written in: ``[documents] locale`` as reporter.toml says it
        (``--locale`` changes what documents are phrased in, not how records read)."""
        return self._records_locale or self.documents.locale

    def record_paths(self) -> list[Path]:
        """``paths.records``, resolved against the config's directory."""
        return [self.resolve(p) for p in self.paths.records]


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


# Command-line options that stand for a setting of reporter.toml: option name → (section, key).
OPTIONS = {
    "window_convention": ("documents", "window_convention"),
    "locale": ("documents", "locale"),
    "sig_figs": ("documents", "sig_figs"),
    "max_file_size": ("input", "max_file_size"),
    "engine": ("evidence", "engine"),
    "scheduler": ("evidence", "scheduler"),
}


def resolve_config(path: Path | None = None, *, search_from: Path | None = None, **options: Any) -> Config:
    """The settings of one command: defaults < reporter.toml < command line.

    Args:
        path: ``--config``; None finds the nearest reporter.toml upward (or uses the defaults).
        search_from: where that search starts (the working directory by default).
        options: command-line values by option name (see :data:`OPTIONS`); ``None`` means
            "not given" and leaves the file's value in place.

    Raises:
        ConfigError: the file is invalid.
        UsageError: a command-line value is invalid (named as its option).
    """
    if path is not None and not path.is_file():
        raise UsageError(f"--config: no such file: {path}")
    config = load_config(path, search_from=search_from)
    config._records_locale = config.documents.locale  # before --locale: records keep reporter.toml's
    given = {name: value for name, value in options.items() if value is not None}
    if not given:
        return config
    sections: dict[str, dict[str, Any]] = {}
    for name, value in given.items():
        section, key = OPTIONS[name]
        sections.setdefault(section, {})[key] = getattr(value, "value", value)
    updates = {}
    for section, values in sections.items():
        current = getattr(config, section)
        try:
            updates[section] = type(current).model_validate({**current.model_dump(), **values})
        except ValidationError as exc:
            error = exc.errors(include_url=False, include_input=False)[0]
            option = next(name for name, (s, k) in OPTIONS.items() if s == section and k == error["loc"][0])
            message = str(error.get("ctx", {}).get("error", error["msg"]))
            raise UsageError(f"--{option.replace('_', '-')}: {message}") from None
    return config.model_copy(update=updates)
