"""Files named in reporter.toml (the logo): read only when they are what they claim to be.

A file named in the configuration is read only if, after resolving symlinks, it lies inside
the project (the directory of reporter.toml), is a regular file (not a FIFO, a device or
``/dev/zero``) and is no larger than :data:`MAX_ASSET_BYTES`. An SVG is embedded only if it
holds nothing active or external: no scripts, event handlers, foreign objects, entity
declarations or references outside the file itself.
"""

from __future__ import annotations

import os
import re
import stat
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from reporter.errors import ConfigError

MAX_ASSET_BYTES = 2 * 1024 * 1024
MIME_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_ACTIVE_ELEMENTS = frozenset({"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
                              "listener", "set", "animate", "animatetransform", "animatemotion"})
_EXTERNAL = re.compile(r"(?i)url\(\s*['\"]?\s*(?!#)|@import|expression\(|javascript:")


def read_asset(path: Path, root: Path, key: str) -> tuple[str, bytes]:
    """The MIME type and bytes of a file named at ``key`` in reporter.toml.

    Raises:
        ConfigError: the file is outside the project, not a regular file, too large, of a
            kind that is not allowed, or (an SVG) holds active or external content.
    """
    mime = MIME_TYPES.get(path.suffix.lower())
    if mime is None:
        raise ConfigError(f"{key}: expected an .svg or .png file, not {path.name}")
    data = read_confined(path, root, key, MAX_ASSET_BYTES)
    if mime == "image/png" and not data.startswith(_PNG_SIGNATURE):
        raise ConfigError(f"{key}: {path} is not a PNG image")
    if mime == "image/svg+xml":
        problem = svg_problem(data)
        if problem:
            raise ConfigError(f"{key}: {path} is refused: {problem}")
    return mime, data


def read_confined(path: Path, root: Path, key: str, limit: int) -> bytes:
    """The bytes of a file named at ``key`` in reporter.toml: only a regular file inside the
    project (``root``; symlinks resolved), at most ``limit`` bytes, and never a FIFO to wait on.

    Raises:
        ConfigError: any of these is not so, or the file cannot be read.
    """
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"{key}: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not resolved.is_relative_to(root.resolve()):
        raise ConfigError(f"{key}: {path} leads outside the project ({root}); only files inside it are read")
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is then refused as not regular.
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
    too_large = f"{key}: {path} is larger than {limit // (1024 * 1024)} MiB"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{key}: {path} is not a regular file")
        if info.st_size > limit:
            raise ConfigError(too_large)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ConfigError(too_large)
    return data


def svg_problem(data: bytes) -> str | None:
    """Why an SVG may not be embedded (active or external content), or None when it may."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        return "it declares a document type or entities"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        return f"it is not well-formed XML ({exc})"
    if _local(root.tag) != "svg":
        return "its root element is not <svg>"
    for element in root.iter():
        name = _local(element.tag)
        if name in _ACTIVE_ELEMENTS:
            return f"it holds a <{name}> element"
        for attribute, value in element.attrib.items():
            local = _local(attribute)
            if local.startswith("on"):
                return f"it has an event handler ({local})"
            if local in ("href", "src") and not value.strip().startswith("#"):
                return "it refers to something outside itself (href)"
            if _EXTERNAL.search(value):
                return f"its {local} attribute refers to something outside itself"
        if name == "style" and element.text and _EXTERNAL.search(element.text):
            return "its style sheet refers to something outside itself"
    return None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()
