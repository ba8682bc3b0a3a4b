"""The fast paths, behind one switch.

Four things make a large collection quick, and none of them may change any output:

- rapidyaml reads YAML files where its result is certainly libyaml's (:mod:`reporter.loader`);
- worker processes share out the files of ``validate`` and ``metrics`` (:mod:`reporter.parallel`);
- the record cache keeps validated files by content (:class:`reporter.cache.RecordCache`);
- the result cache keeps whole outputs of ``reporter metrics`` (:class:`reporter.cache.ResultCache`).

Setting ``REPORTER_NO_FAST=1`` turns all four off: files are read by libyaml only, in this
process only, and nothing is read from or written to a cache. Use it to check that a result
does not depend on them, or to rule them out when looking for a bug.
"""

from __future__ import annotations

import os

SWITCH = "REPORTER_NO_FAST"


def fast_paths_enabled() -> bool:
    """Whether the fast paths may be used: True unless the environment variable
    ``REPORTER_NO_FAST`` is set to anything but ``""`` or ``"0"`` (see the module docstring).

    The environment is read at each call; callers ask once per operation (a ``validate_files``,
    a ``start_map``, a cache), never once per file.
    """
    return os.environ.get(SWITCH, "") in ("", "0")
