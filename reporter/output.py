"""Deterministic, atomic writes: no reader ever sees a half-written document."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from reporter.errors import OutputError, UsageError

def _file_mode() -> int:
    # mkstemp creates 0600 files; a document should get the mode any new file would (umask).
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()
_SAFE_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def write_atomic(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory, then rename.

    The temporary file is flushed and fsynced before ``os.replace``, which is atomic on
    POSIX: a crash leaves either the old file or the new one, never a mixture. ``mode``: the
    file's permissions (default: what any new file gets under the umask; caches of
    confidential records pass ``0o600``).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}{PARTIAL}{os.getpid()}-", suffix=".tmp",
                                         dir=path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, _FILE_MODE if mode is None else mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


PARTIAL = ".reporter-partial-"
"""Part of every temporary file's name: ``.<name>.reporter-partial-<pid>-<random>.tmp``."""
_PARTIAL_NAME = re.compile(r"^\..+" + re.escape(PARTIAL) + r"(\d+)-[^/]*\.tmp$")


def remove_partials(directory: Path) -> list[Path]:
    """Remove what a killed run left in ``directory``: temporary files of processes no longer alive.

    A build that is stopped midway (killed, or the machine lost power) cannot remove its
    temporary files; the next run writing to the same directory does. Files of a process
    still running (another build into the same directory) are left alone.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL_NAME.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False) or _alive(int(match.group(1))):
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def output_path(directory: Path, stem: str, suffix: str) -> Path:
    """``directory/stem+suffix``, refusing any stem that could leave ``directory``."""
    if not _SAFE_STEM.match(stem) or ".." in stem:
        raise UsageError(f"cannot use {stem!r} as an output name: expected letters, digits, '.', '_' and '-'")
    target = (directory / f"{stem}{suffix}").resolve()
    if target.parent != directory.resolve():
        raise UsageError(f"output name {stem!r} would leave the output directory")
    return target
