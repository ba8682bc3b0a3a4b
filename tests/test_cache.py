"""The cache of validated files: hits, misses, versions, corruption, atomic writes."""

from __future__ import annotations

import json
import marshal
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reporter import cache as cache_module
from reporter.cache import CACHE_FILE, RecordCache, cache_dir, file_key
from reporter.cli import app
from reporter.records import validate_files

ROOT = Path(__file__).parent.parent
INCIDENTS = ROOT / "incidents"
runner = CliRunner()


def _copy_incidents(target: Path) -> Path:
    """The example records, with the evidence log one of them cites."""
    shutil.copytree(INCIDENTS, target, dirs_exist_ok=True)
    return target


def _same(a, b) -> None:  # noqa: ANN001
    assert [(x.path, x.index, x.incident) for x in a.collection.incidents] == [
        (x.path, x.index, x.incident) for x in b.collection.incidents]
    assert [x.incident.model_fields_set for x in a.collection.incidents] == [
        x.incident.model_fields_set for x in b.collection.incidents]
    assert a.problems == b.problems and a.files == b.files and a.records == b.records
    for x, y in zip(a.collection.incidents, b.collection.incidents, strict=True):
        assert {n: f.quantity for n, f in x.incident.figures.items()} == {
            n: f.quantity for n, f in y.incident.figures.items()}


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("REPORTER_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "reporter"


def test_second_run_restores_the_same_collection(tmp_path: Path, _isolated_record_cache: Path) -> None:
    records = _copy_incidents(tmp_path / "records")
    plain = validate_files([records])
    first = validate_files([records], cache=True)
    assert (_isolated_record_cache / CACHE_FILE).exists()
    cache = RecordCache()
    assert len(cache.entries) == len(plain.collection.files)  # every seed file is valid: all cached
    second = validate_files([records], cache=True)
    _same(plain, first)
    _same(plain, second)
    # A restored incident re-reads its file for locations, only when a problem needs one.
    restored = second.collection.incidents[0]
    assert restored.document.data is None
    assert restored.problem(("id",), "x") == plain.collection.incidents[0].problem(("id",), "x")


def test_changed_file_is_read_again(tmp_path: Path) -> None:
    records = _copy_incidents(tmp_path / "records")
    validate_files([records], cache=True)
    seed = records / "2026-06-distillation-campaign.yaml"
    seed.write_text(seed.read_text().replace("title: ", "title: Changed ", 1))
    again = validate_files([records], cache=True)
    _same(validate_files([records]), again)
    assert any(x.incident.title.startswith("Changed ") for x in again.collection.incidents)


def test_invalid_files_are_not_cached_and_report_the_same(tmp_path: Path, _isolated_record_cache: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.yaml").write_text("id: a\ntitle: A\ncategory: x\nfigures:\n  accounts: lots\n")
    (bad / "b.yaml").write_text("id: a\ntitle: B\ncategory: x\n")  # duplicate id across files
    (bad / "c.yaml").write_text("id: a\ntitle: C\ncategory: x\n")
    plain = validate_files([bad])
    assert not plain.ok
    for _ in range(2):
        _same(plain, validate_files([bad], cache=True))
    assert len(RecordCache().entries) == 2  # b and c are valid on their own; a is not cached


def test_other_versions_and_corrupt_caches_are_ignored(tmp_path: Path, _isolated_record_cache: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    records = _copy_incidents(tmp_path / "records")
    plain = validate_files([records])
    path = _isolated_record_cache / CACHE_FILE
    for content in (b"", b"garbage", marshal.dumps(("another-version", {})), marshal.dumps([1, 2, 3]),
                    marshal.dumps((cache_module.version_tag(), {b"k": "not an entry"}))):
        path.write_bytes(content)
        _same(plain, validate_files([records], cache=True))
    # An entry under the right key that does not decode is read again, not trusted.
    raw = (records / "2023-credential-stuffing.yaml").read_bytes()
    path.write_bytes(marshal.dumps((cache_module.version_tag(), {file_key(raw, ".yaml", 32): [(None, (9, "x"))]})))
    _same(plain, validate_files([records], cache=True))
    # Another version of the code: the cache is not trusted.
    validate_files([records], cache=True)
    monkeypatch.setattr(cache_module, "_VERSION", "other")
    assert RecordCache().entries == {}


def test_write_is_atomic_and_failures_are_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 _isolated_record_cache: Path) -> None:
    records = _copy_incidents(tmp_path / "records")
    validate_files([records], cache=True)
    assert [p.name for p in _isolated_record_cache.iterdir()] == [CACHE_FILE]  # no temporary left
    unwritable = tmp_path / "file-not-dir"
    unwritable.write_text("")
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(unwritable / "sub"))
    _same(validate_files([records]), validate_files([records], cache=True))

    def failing_replace(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "fresh"))
    monkeypatch.setattr(os, "replace", failing_replace)
    validate_files([records], cache=True)
    assert list((tmp_path / "fresh").iterdir()) == []


def test_key_depends_on_content_suffix_and_depth() -> None:
    assert file_key(b"a: 1", ".yaml", 32) == file_key(b"a: 1", ".YAML", 32)
    assert len({file_key(b"a: 1", ".yaml", 32), file_key(b"a: 2", ".yaml", 32), file_key(b"a: 1", ".json", 32),
                file_key(b"a: 1", ".yaml", 4)}) == 4


def test_metrics_cli_cache_and_no_cache_agree(tmp_path: Path, _isolated_record_cache: Path) -> None:
    records = _copy_incidents(tmp_path / "records")
    outputs = []
    for args in (["--no-cache"], [], [], ["--no-cache"]):
        result = runner.invoke(app, ["metrics", str(records), "--format", "json", *args])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
        if args == ["--no-cache"] and len(outputs) == 1:
            assert not (_isolated_record_cache / CACHE_FILE).exists()
    assert len(set(outputs)) == 1
    assert json.loads(outputs[0])["collection"]["count"] >= 5


def test_unchanged_second_run_prints_the_stored_result(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The whole output is stored by a key of the code, the options and every file's content."""
    records = tmp_path / "records"
    records.mkdir()
    for name in ("2026-06-distillation-campaign.yaml", "2026-02-distillation-campaigns.yaml"):
        (records / name).write_bytes((INCIDENTS / name).read_bytes())
    first = runner.invoke(app, ["metrics", "--format", "json", str(records)])
    from reporter import records as records_module

    def fail(*args, **kwargs):  # noqa: ANN002, ANN003
        raise AssertionError("a stored result must not load the records again")

    monkeypatch.setattr(records_module, "validate_files", fail)
    second = runner.invoke(app, ["metrics", "--format", "json", str(records)])
    assert second.exit_code == 0 and second.output == first.output
    other_options = runner.invoke(app, ["metrics", "--format", "csv", str(records)])
    assert other_options.exit_code != 0  # a different key: it had to load, and loading was disabled
    monkeypatch.undo()
    seed = records / "2026-06-distillation-campaign.yaml"
    seed.write_text(seed.read_text().replace("accounts: about 25,000\n  interactions", "accounts: about 26,000\n  interactions"))
    changed = runner.invoke(app, ["metrics", "--format", "json", str(records)])
    assert changed.output != first.output and '"phrase": "about 26,000"' in changed.output


def test_output_from_a_file_changed_mid_run_is_not_stored(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """The key is the content read first; if a file changes before the records are loaded,
    the output (of the new content) must not be stored under the old content's key."""
    from reporter import records as records_module
    from reporter.cache import RESULTS_DIR

    records = tmp_path / "records"
    records.mkdir()
    seed = records / "2026-06-distillation-campaign.yaml"
    seed.write_bytes((INCIDENTS / seed.name).read_bytes())
    stored = cache_dir() / RESULTS_DIR
    load_collection = records_module.load_collection

    def edit_then_load(*args, **kwargs):  # noqa: ANN002, ANN003
        seed.write_text(seed.read_text().replace("accounts: about 25,000", "accounts: about 26,000"))
        return load_collection(*args, **kwargs)

    monkeypatch.setattr(records_module, "load_collection", edit_then_load)
    edited = runner.invoke(app, ["metrics", "--format", "json", str(records)])
    assert edited.exit_code == 0 and '"phrase": "about 26,000"' in edited.output
    assert not stored.exists() or not list(stored.iterdir())
    monkeypatch.setattr(records_module, "load_collection", load_collection)
    again = runner.invoke(app, ["metrics", "--format", "json", str(records)])  # unchanged from here on
    assert again.output == edited.output and len(list(stored.iterdir())) == 1


@pytest.mark.parametrize("library", cache_module.LIBRARIES)
def test_a_library_version_changes_every_key(monkeypatch: pytest.MonkeyPatch, library: str) -> None:
    """Babel phrases, pydantic validates, PyYAML and rapidyaml read, orjson writes: another
    version of any of them may change what is cached, so it changes the keys."""
    from importlib import metadata

    files = [(INCIDENTS / "2023-credential-stuffing.yaml", "a.yaml")]
    raws = [files[0][0].read_bytes()]
    monkeypatch.setattr(cache_module, "_VERSION", None)
    before = cache_module.version_tag(), cache_module.result_key(["metrics"], files, raws, 32)
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.0-other" if name == library else real(name))
    monkeypatch.setattr(cache_module, "_VERSION", None)
    after = cache_module.version_tag(), cache_module.result_key(["metrics"], files, raws, 32)
    assert before[0] != after[0] and before[1] != after[1]
    assert dict(cache_module.library_versions())[library] == "0.0.0-other"


def test_every_module_of_the_package_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    package = Path(cache_module.__file__).parent
    read = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    cache_module.code_digest()
    assert set(read) == set(package.rglob("*.py"))
    names = {path.name for path in read}
    assert {"records.py", "models.py", "problems.py", "parallel.py", "loader.py", "cache.py", "metrics.py",
            "tables.py", "cli.py", "quantities.py", "dates.py", "fast.py"} <= names


def test_caches_are_written_atomically_into_private_directories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written = []
    real = cache_module.write_atomic
    monkeypatch.setattr(cache_module, "write_atomic",
                        lambda path, data, **kw: written.append(path) or real(path, data, **kw))
    monkeypatch.setenv("REPORTER_CACHE_DIR", str(tmp_path / "new" / "cache"))
    records = _copy_incidents(tmp_path / "records")
    validate_files([records], cache=True)
    results = cache_module.ResultCache()
    results.put("key", "text")
    assert results.get("key") == "text"
    assert written == [tmp_path / "new" / "cache" / CACHE_FILE, results.directory / "key"]
    for directory in (tmp_path / "new" / "cache", results.directory):
        assert directory.stat().st_mode & 0o777 == 0o700
    # The files hold what confidential records say: only their owner may read them.
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o600
