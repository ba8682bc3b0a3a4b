"""Archival PDFs (``build --pdf-archive``): PDF/A-3 with the evidence attached; ``reporter verify``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from reporter.archive import MANIFEST, METRICS, NAMES, RECORDS
from tests.support import run_in
from tests.test_documents import BRIEFS, build, copy_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("archive"))
    build(project, project / "out", *BRIEFS, extra=("--format", "pdf", "--pdf-archive"))
    return project


def _attachments(path: Path) -> dict[str, bytes]:
    with pikepdf.open(path) as pdf:
        return {name: bytes(spec.get_file().read_bytes()) for name, spec in pdf.attachments.items()}


def _replace(path: Path, target: Path, name: str, data: bytes) -> None:
    with pikepdf.open(path) as pdf:
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, data, mime_type="application/json")
        pdf.save(target)


def _walk(value: Any):  # noqa: ANN202
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


@pytest.mark.parametrize("brief", BRIEFS)
def test_an_archival_pdf_is_pdfa3_tagged_and_carries_three_attachments(project: Path, brief: str) -> None:
    from pdfua import Severity, validate

    path = project / "out" / f"{brief}.pdf"
    with pikepdf.open(path) as pdf:
        xmp = pdf.Root.Metadata.read_bytes()
        assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="A"' in xmp
        assert b'pdfuaid:part="1"' in xmp
        assert pdf.Root.MarkInfo.Marked is True and "/StructTreeRoot" in pdf.Root
        assert "/OutputIntents" in pdf.Root
        associated = [str(spec.get("/F")) for spec in pdf.Root.AF]
        assert sorted(associated) == sorted(NAMES)
        assert sorted(pdf.attachments) == sorted(NAMES)
    files = _attachments(path)
    records, metrics, manifest = (json.loads(files[name]) for name in (RECORDS, METRICS, MANIFEST))
    assert records["incidents"] and set(metrics["incidents"]["incidents"]) == {i["id"] for i in records["incidents"]}
    assert manifest["conventions"]["window"] in ("elapsed", "inclusive")
    assert manifest["libraries"]["weasyprint"] and manifest["tool"].startswith("reporter ")
    assert manifest["inputs"] and all(len(entry["sha256"]) == 64 for entry in manifest["inputs"])
    report = validate(str(path))
    assert [f for f in report.findings if f.severity is Severity.ERROR] == []


@pytest.mark.parametrize("brief", BRIEFS)
def test_the_attachments_hold_nothing_the_audience_may_not_see(project: Path, brief: str) -> None:
    files = _attachments(project / "out" / f"{brief}.pdf")
    manifest = json.loads(files[MANIFEST])
    clearance = manifest["settings"]["clearance"]
    rank = {"public": 0, "confidential": 1, "restricted": 2}
    for name in (RECORDS, METRICS):
        data = json.loads(files[name])
        for key, value in _walk(data):
            if key == "sensitivity" and value is not None:
                assert rank[value] <= rank[clearance], (name, value)
            assert key != "log"  # evidence-log paths (perhaps codenames) are left out
    text = b"".join(files.values()).decode("utf-8")
    if clearance != "restricted":
        # File names can be codenames: for an outside audience they are only hashed.
        assert all("path" not in entry and len(entry["path_sha256"]) == 64 for entry in manifest["inputs"])
        assert "incidents/" not in text and ".yaml" not in text and "logs/" not in text
    else:
        assert any(entry.get("path", "").startswith("incidents/") for entry in manifest["inputs"])


@pytest.mark.parametrize("brief", BRIEFS)
def test_verify_passes_on_the_built_pdf(project: Path, brief: str) -> None:
    result = run_in(project, ["verify", f"out/{brief}.pdf"])
    assert result.exit_code == 0, result.output
    assert "figures match the attached records" in result.output


def _edited_record(files: dict[str, bytes]) -> bytes:
    records = json.loads(files[RECORDS])
    incident = records["incidents"][0]
    name, figure = next((n, f) for n, f in incident["figures"].items() if isinstance(f.get("value"), int | float))
    figure["value"] = figure["value"] * 2 + 1
    return (json.dumps(records, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def test_verify_fails_on_a_copy_whose_attached_records_were_edited(project: Path, tmp_path: Path) -> None:
    source = project / "out" / "senate-banking-letter.pdf"
    files = _attachments(source)
    edited = _edited_record(files)
    copy = tmp_path / "edited.pdf"
    _replace(source, copy, RECORDS, edited)
    result = run_in(project, ["verify", str(copy)])
    assert result.exit_code == 1
    assert "records.json: its SHA-256 is not the one in manifest.json" in result.output
    assert "the document states" in result.output and "the attached records give" in result.output
    # Even with the manifest's hash made to agree, the figures do not.
    manifest = json.loads(files[MANIFEST])
    import hashlib

    manifest["attachments"][RECORDS] = hashlib.sha256(edited).hexdigest()
    both = tmp_path / "both.pdf"
    _replace(copy, both, MANIFEST, json.dumps(manifest).encode("utf-8"))
    result = run_in(project, ["verify", str(both)])
    assert result.exit_code == 1 and "SHA-256" not in result.output and "mismatch" in result.output


def test_verify_refuses_a_pdf_without_attachments(project: Path, tmp_path: Path) -> None:
    build(project, tmp_path / "plain", "public-disclosure", extra=("--format", "pdf"))
    result = run_in(project, ["verify", str(tmp_path / "plain" / "public-disclosure.pdf")])
    assert result.exit_code == 1 and "not an archival PDF" in result.output
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert run_in(project, ["verify", str(junk)]).exit_code == 1
    assert run_in(project, ["verify", str(tmp_path / "missing.pdf")]).exit_code == 2


def test_archival_pdfs_are_reproducible(project: Path, tmp_path: Path) -> None:
    build(project, tmp_path / "again", "public-disclosure", extra=("--format", "pdf", "--pdf-archive"))
    assert (tmp_path / "again" / "public-disclosure.pdf").read_bytes() == \
        (project / "out" / "public-disclosure.pdf").read_bytes()


def test_an_ordinary_build_attaches_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    build(project, project / "out", "public-disclosure", extra=("--format", "pdf"))
    with pikepdf.open(project / "out" / "public-disclosure.pdf") as pdf:
        assert len(pdf.attachments) == 0 and b"pdfaid" not in pdf.Root.Metadata.read_bytes()
    shutil.rmtree(project / "out")


# -- the canary sweep of tests/test_safety.py, over archival PDFs and their attachments ---------------


def _archival_out(root: Path, audience: str) -> Path:
    from tests import test_safety

    project = test_safety._project(root, audience)
    result = run_in(project, ["build", *(f"briefs/{t}.yaml" for t in test_safety.TEMPLATES), "--out", "out",
                              "--template-dir", "templates", "--format", "pdf", "--pdf-archive"])
    assert result.exit_code == 0, result.output
    return project / "out"


def _attachment_views(out: Path):  # noqa: ANN202
    from tests import test_safety

    for path in sorted(out.glob("*.pdf")):
        for view in test_safety._pdf_views(path.read_bytes(), path):
            yield path, view
        for name, data in _attachments(path).items():
            yield path / name, data.decode("utf-8")


def test_public_archival_pdfs_hold_no_canary(tmp_path: Path) -> None:
    from tests import test_safety

    out = _archival_out(tmp_path / "public", "public")
    hits = [(path.name, canary) for path, view in _attachment_views(out)
            for canary in test_safety.CANARY_TEXT + test_safety.CANARY_NUMBERS
            if canary in view or canary in test_safety._flat(view)]
    assert hits == []
    assert all(len(_attachments(path)) == 3 for path in out.glob("*.pdf"))


def test_regulator_archival_pdfs_hold_no_restricted_canary(tmp_path: Path) -> None:
    from tests import test_safety

    out = _archival_out(tmp_path / "regulator", "regulator")
    hits = [(path.name, canary) for path, view in _attachment_views(out)
            for canary in test_safety.RESTRICTED_CANARIES if canary in view or canary in test_safety._flat(view)]
    assert hits == []
    seen = " ".join(test_safety._flat(view) for _, view in _attachment_views(out))
    assert "CANARY-ACTOR-CONF-5521" in seen  # the sweep is not vacuous
