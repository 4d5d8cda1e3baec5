"""The checkpoint: ``<out>.partial/manifest.json`` plus one committed part file per finished window.

Commit order makes a crash at any instant safe: a part is written to ``<key>.parquet.tmp``, fsynced and renamed to
``<key>.parquet``; only then is the window added to the manifest (written to a temp file, fsynced, ``os.replace``d).
A part without a manifest entry is ignored and rewritten on resume; a manifest entry always has its part. The
final file is assembled in ``<out>.tmp-<pid>`` and renamed onto ``<out>``, so readers never see half a file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigurationError
from ._sinks import fsync_dir

__all__ = ["Manifest", "StateFile"]

_VERSION = 1


def _write_json_atomic(path: str, data: Mapping[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        # json.dumps, not json.dump: only the one-shot path uses the C encoder (dump streams through the
        # pure-Python one, ~10x slower on a manifest rewritten after every window).
        fh.write(json.dumps(data, separators=(",", ":"), sort_keys=True))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(os.path.dirname(path) or ".")


class Manifest:
    """What a run is (its ``signature``), its plan, and the windows already committed."""

    def __init__(self, directory: str, data: dict[str, Any], *, resumed: bool) -> None:
        self.directory = directory
        self.path = os.path.join(directory, "manifest.json")
        self.data = data
        self.resumed = resumed

    @classmethod
    def open(cls, output: str, signature: dict[str, Any], *, resume: bool) -> Manifest:
        directory = f"{output}.partial"
        path = os.path.join(directory, "manifest.json")
        if os.path.exists(path) and resume:
            try:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
            except (OSError, ValueError) as exc:
                raise ConfigurationError(
                    f"the export checkpoint {path} is unreadable ({exc}); delete {directory} or pass "
                    "resume=False (--no-resume) to start over"
                ) from None
            if data.get("version") != _VERSION or data.get("signature") != json.loads(json.dumps(signature)):
                raise ConfigurationError(
                    f"{directory} holds an unfinished export with different options (kind, format, fields, "
                    "query, since or the workspace's timezone); rerun with the same options to resume it, or pass resume=False "
                    "(--no-resume) to discard it"
                )
            return cls(directory, data, resumed=True)
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.makedirs(directory)
        data = {"version": _VERSION, "signature": signature, "plan": None, "windows": {}}
        manifest = cls(directory, data, resumed=False)
        manifest.save()
        return manifest

    @property
    def plan(self) -> dict[str, Any] | None:
        return self.data.get("plan")

    @property
    def windows(self) -> dict[str, dict[str, Any]]:
        return self.data["windows"]

    def set_plan(self, plan: dict[str, Any]) -> None:
        self.data["plan"] = plan
        self.save()

    def part_path(self, key: str) -> str:
        return os.path.join(self.directory, f"{key}.parquet")

    def commit(self, key: str, info: dict[str, Any]) -> None:
        """Record a finished window whose part file is already in place (renamed)."""
        self.windows[key] = info
        self.save()

    def save(self) -> None:
        _write_json_atomic(self.path, self.data)

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class StateFile:
    """``<out>.export.json``: written after a successful export; ``since_last`` starts from its ``high_water``."""

    def __init__(self, output: str) -> None:
        self.path = f"{output}.export.json"

    def read(self) -> dict[str, Any] | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the export state {self.path}: {exc}") from None
        return data if isinstance(data, dict) else None

    def write(self, data: Mapping[str, Any]) -> None:
        _write_json_atomic(self.path, data)
