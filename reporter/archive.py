"""Archival PDFs: the evidence a document rests on, attached to it, and read back by ``verify``.

``reporter build --pdf-archive`` makes each PDF a PDF/A-3 (level a: tagged, and identified as
PDF/UA-1 too) with three attachments:

- ``records.json``: the incident records *as this document's audience may see them* -- the
  redacted, log-computed, small-count-blurred models that the document's figures were
  computed from, never the raw files. Evidence-log paths are left out (a file name can be a
  codename); the log's content hash stays in the manifest.
- ``metrics.json``: the metrics JSON (README, "Metrics JSON") of those records, as computed for
  the document (quantities that could not be computed are left out: a document for someone
  outside says nothing of what is not there).
- ``manifest.json``: provenance -- the SHA-256 of every input file and of the two attachments,
  the tool and library versions, the conventions and settings. For an audience below the
  highest clearance, input files are named only by the SHA-256 of their path.

``reporter verify FILE.pdf`` (:func:`verify`) takes the attachments out again, recomputes
the metrics from the attached records under the attached conventions, and reports every
figure whose value, bounds, qualifier or unit do not match the attached metrics (and any
attachment whose hash is not the manifest's).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reporter.errors import InputError, Problem

if TYPE_CHECKING:  # pragma: no cover
    from reporter.brief import Brief
    from reporter.config import Config
    from reporter.metrics import Settings
    from reporter.records import Collection, Incident

ARCHIVE_FORMAT = "reporter-archive/1"
RECORDS = "records.json"
METRICS = "metrics.json"
MANIFEST = "manifest.json"
NAMES = (RECORDS, METRICS, MANIFEST)
_LIBRARIES = ("weasyprint", "pydyf", "pikepdf", "pydantic", "babel", "jinja2", "markdown-it-py", "vl-convert-python",
              "altair", "pypandoc-binary", "python-docx")


def format_extras(brief: Brief, brief_path: Path, config: Config, collection: Collection, settings: Settings,
                  formats: list[Any], config_path: Path | None, *, archive: bool = False) -> dict[str, Any]:
    """What the formats of one document need beyond its text, as :class:`~reporter.formats.Sources` fields.

    ``reference_docx`` when Word is made and ``documents.reference_docx`` is set; ``attachments``
    when an archival PDF is asked for (``archive``) and PDF is made.

    Raises:
        ConfigError: the reference document is refused (see :func:`reporter.formats.docx.read_reference`).
    """
    from reporter.formats import output_format

    names = {output_format(name).name for name in formats}
    extras: dict[str, Any] = {}
    if "docx" in names and config.documents.reference_docx is not None:
        from reporter.formats.docx import read_reference

        extras["reference_docx"] = read_reference(config.resolve(config.documents.reference_docx), config.root)
    if archive and "pdf" in names:
        extras["attachments"] = attachments(brief, brief_path, config, collection, settings, config_path)
    return extras


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _record_json(incident: Incident) -> dict[str, Any]:
    data = incident.model_dump(mode="json")
    evidence = []
    for entry in data.get("evidence", []):
        entry = dict(entry)
        if entry.pop("log", None) is not None:  # a path: perhaps a codename; its hash is in the manifest
            entry["text"] = entry.get("text") or "Event log (its SHA-256 is in manifest.json)."
        evidence.append(entry)
    if "evidence" in data:
        data["evidence"] = evidence
    return data


def _known(value: Any) -> Any:
    """Metrics JSON without the quantities that could not be computed."""
    if isinstance(value, dict):
        if "qualifier" in value and "phrase" in value:
            return value
        return {key: _known(item) for key, item in value.items()
                if not (isinstance(item, dict) and item.get("qualifier") == "unknown")}
    if isinstance(value, list):
        return [_known(item) for item in value]
    return value


def metrics_for(incidents: list[Incident], settings: Settings, as_of: Any) -> dict[str, Any]:
    """The metrics JSON of ``incidents``, as attached (unknown quantities left out)."""
    from reporter.metrics import collection_metrics, dumps_json, metrics_json

    computed = collection_metrics(incidents, settings, as_of=as_of)
    return _known(json.loads(dumps_json(metrics_json(computed))))


def _library_versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found


def attachments(brief: Brief, brief_path: Path, config: Config, collection: Collection, settings: Settings,
                config_path: Path | None) -> dict[str, bytes]:
    """The three attachments of one archival PDF (see the module's description)."""
    from reporter.audience import for_audience
    from reporter.document import _inputs, _select, tool_version
    from reporter.models import Sensitivity
    from reporter.quantities import ABOUT_TOLERANCE

    audience = str(brief.audience)
    clearance = config.clearance(audience)
    selected, compare = _select(brief, str(brief_path), collection)
    small_counts = config.documents.small_counts
    kept = for_audience(selected, clearance, small_counts, withhold_totals=brief.withhold_totals)
    kept_compare = for_audience(compare, clearance, small_counts, withhold_totals=brief.withhold_totals)
    as_of = brief.date.date
    records = {"format": ARCHIVE_FORMAT, "audience": audience,
               "incidents": [_record_json(i) for i in kept.incidents],
               "compare": [_record_json(i) for i in kept_compare.incidents]}
    metrics = {"incidents": metrics_for(kept.incidents, settings, as_of),
               "compare": metrics_for(kept_compare.incidents, settings, as_of)}
    records_bytes, metrics_bytes = _dumps(records), _dumps(metrics)
    # Only the files behind what the audience sees (as the methodology appendix lists them).
    visible = {i.id for i in (*kept.incidents, *kept_compare.incidents)}
    visible_loaded = [loaded for loaded in selected + compare if loaded.incident.id in visible]
    logs = [Path(s.source) for s in {**kept.summaries, **kept_compare.summaries}.values()]
    internal = clearance is Sensitivity.RESTRICTED
    inputs = []
    for view in _inputs(visible_loaded, brief_path, config, config_path, logs):
        entry = {"path": view.path} if internal else {"path_sha256": _sha256(view.path.encode("utf-8"))}
        inputs.append({**entry, "sha256": view.sha256})
    manifest = {
        "format": ARCHIVE_FORMAT,
        "tool": f"reporter {tool_version()}",
        "libraries": _library_versions(),
        "conventions": {"window": settings.convention.value, "locale": settings.locale, "sig_figs": settings.sig_figs,
                        "about_tolerance": ABOUT_TOLERANCE},
        "settings": {"template": brief.template, "audience": audience, "clearance": clearance.value,
                     "date": brief.date.text, "as_of": as_of.isoformat(), "small_counts": small_counts,
                     "withhold_totals": bool(brief.withhold_totals)},
        "inputs": inputs,
        "attachments": {RECORDS: _sha256(records_bytes), METRICS: _sha256(metrics_bytes)},
    }
    return {RECORDS: records_bytes, METRICS: metrics_bytes, MANIFEST: _dumps(manifest)}


# -- reading back ----------------------------------------------------------------------------------


@dataclass
class Verification:
    """What ``reporter verify`` found.

    Attributes:
        checked: figures compared.
        mismatches: one line per figure (or attachment) that does not match.
        manifest: the attached manifest.
    """

    checked: int = 0
    mismatches: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def read_attachments(path: Path) -> dict[str, bytes]:
    """The embedded files of a PDF, by name.

    Raises:
        InputError: not a readable PDF.
    """
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            return {name: bytes(spec.get_file().read_bytes()) for name, spec in pdf.attachments.items()}
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise InputError([Problem(str(path), None, None, None, f"not a readable PDF: {exc}")]) from None


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and not ("qualifier" in value and "phrase" in value):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    return {prefix: value}


def _numbers(value: Any) -> Any:
    """What a figure says, without its wording: value, bounds, qualifier and unit (the phrase
    follows from them, at a precision the records carry only as written)."""
    if isinstance(value, dict) and "phrase" in value:
        return {key: item for key, item in value.items() if key != "phrase"}
    return value


def _describe(value: Any) -> str:
    if isinstance(value, dict) and "phrase" in value:
        return repr(value["phrase"])
    return json.dumps(value, ensure_ascii=False)[:120]


def verify(path: Path) -> Verification:
    """Recompute the figures of an archival PDF from its attached records.

    Raises:
        InputError: not a PDF, or not an archival one (an attachment missing or unreadable).
    """
    from reporter.dates import parse_when
    from reporter.dates import WindowConvention
    from reporter.metrics import Settings
    from reporter.records import Incident

    files = read_attachments(path)
    missing = [name for name in NAMES if name not in files]
    if missing:
        raise InputError([Problem(str(path), None, None, None,
                                  f"not an archival PDF from reporter build --pdf-archive: no {', '.join(missing)} "
                                  "attached")])
    try:
        records = json.loads(files[RECORDS])
        metrics = json.loads(files[METRICS])
        manifest = json.loads(files[MANIFEST])
        conventions = manifest["conventions"]
        settings = Settings(convention=WindowConvention(conventions["window"]), locale=conventions["locale"],
                            sig_figs=int(conventions["sig_figs"]))
        as_of = parse_when(manifest["settings"]["as_of"]).date
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError([Problem(str(path), None, None, None, f"unreadable attachments: {exc}")]) from None
    result = Verification(manifest=manifest)
    for name in (RECORDS, METRICS):
        stated = manifest.get("attachments", {}).get(name)
        if stated != _sha256(files[name]):
            result.mismatches.append(f"{name}: its SHA-256 is not the one in {MANIFEST}")
    for part in ("incidents", "compare"):
        try:
            incidents = [Incident.model_validate(item) for item in records.get(part, [])]
        except ValueError as exc:
            result.mismatches.append(f"{RECORDS}: {part}: not valid records: {str(exc).splitlines()[0]}")
            continue
        recomputed = _flatten(metrics_for(incidents, settings, as_of))
        attached = _flatten(metrics.get(part, {}))
        for key in sorted(set(recomputed) | set(attached)):
            result.checked += 1
            if _numbers(recomputed.get(key)) != _numbers(attached.get(key)):
                result.mismatches.append(f"{part}.{key}: the document states {_describe(attached.get(key))}, "
                                         f"the attached records give {_describe(recomputed.get(key))}")
    return result


__all__ = ["NAMES", "Verification", "attachments", "format_extras", "metrics_for", "read_attachments", "verify"]
