"""The checkpoint: ``<out>.partial/manifest.json`` plus one committed part file per finished window.

Commit order makes a crash at any instant safe: a part is written to ``<key>.arrow.tmp``, fsynced and renamed to
``<key>.arrow``; only then is the window added to the manifest (written to a temp file, fsynced, ``os.replace``d).
A part without a manifest entry is ignored and rewritten on resume; a manifest entry always has its part. The
final file is assembled in ``<out>.tmp-<pid>`` and renamed onto ``<out>``, so readers never see half a file.

Both the checkpoint and the state file record the workspace they were written for (the API base URL and
``app.id_code`` from ``GET /me``; never the token): resuming or continuing (``since_last``) against another one
raises ``WorkspaceMismatch`` before anything is written, because it would mix two workspaces' rows in one file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigurationError, WorkspaceMismatch
from ._sinks import fsync_dir

__all__ = [
    "Manifest",
    "StateFile",
    "WindowRecord",
    "check_workspace",
    "describe_kept",
    "describe_workspace",
    "kept",
]

_VERSION = 2  # 2: the manifest records its workspace


def describe_workspace(workspace: Mapping[str, Any] | None) -> str:
    """``workspace 'Acme' (ecahpwf5) at https://api.intercom.io`` — for messages."""
    if not workspace:
        return "an unrecorded workspace"
    name = f" {workspace['name']!r}" if workspace.get("name") else ""
    return f"workspace{name} ({workspace.get('id_code') or 'no id_code'}) at {workspace.get('api')}"


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.get("api") == b.get("api") and a.get("id_code") == b.get("id_code")


def check_workspace(
    recorded: Mapping[str, Any] | None, current: Mapping[str, Any], *, where: str, fix: str
) -> None:
    """Raise ``WorkspaceMismatch`` unless ``recorded`` (from ``where``) is the ``current`` client's workspace."""
    if recorded is not None and _same(recorded, current):
        return
    raise WorkspaceMismatch(
        f"{where} was written for {describe_workspace(recorded)}, but this client is connected to "
        f"{describe_workspace(current)}; {fix}",
        recorded=dict(recorded or {}),
        current=dict(current),
    )


def kept(output: str) -> tuple[int, int]:
    """(windows, rows) committed in ``output``'s checkpoint on disk; (0, 0) without one."""
    try:
        with open(os.path.join(f"{output}.partial", "manifest.json"), encoding="utf-8") as fh:
            windows = json.load(fh)["windows"]
        return len(windows), sum(int(w.get("rows", 0)) for w in windows.values())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return 0, 0


def describe_kept(output: str, windows: int, rows: int) -> str:
    """``3 finished windows (1,250 rows) are kept in OUT.partial`` (or ``nothing was kept``): said by the runner's
    interrupt note and by every CLI error line that can resume."""
    if not windows:
        return "nothing was kept"
    plural = windows != 1
    return (
        f"{windows:,} finished window{'s' if plural else ''} ({rows:,} rows) {'are' if plural else 'is'} kept in "
        f"{output}.partial"
    )


@dataclass
class WindowRecord:
    """A committed window, as the manifest keeps it (the JSON keys are these names: manifest version 2).

    ``received``: distinct rows the walk returned; ``rows``: those written to its part (the rest were created after
    the run's start, ``late``, created outside the window's own instants, ``edge`` (its query reaches into its
    neighbours' under the inclusive date rule: ``_plan.range_query``), or dropped by the exact post filter); ``vanished``: how far Intercom's count fell
    during the walk (deleted, merged); ``total``: Intercom's last count for the window; ``gap``: rows Intercom
    counts that the walk did not return; ``max_updated``: the newest ``updated_at`` written; ``custom``: custom
    attribute → the value types seen; ``part``: its part file in the checkpoint directory; ``csv``: its
    pre-rendered CSV lines (``render_part``'s record), None when the merge renders them; ``parts``: for an export
    that expands each row into others (conversation → parts), the account of that expansion
    (``_protocol.parts.PartsAccount.to_json``): ``rows`` are then the expanded rows.
    """

    received: int
    rows: int
    part: str
    late: int = 0
    edge: int = 0
    vanished: int = 0
    total: int | None = None
    max_updated: int = 0
    custom: dict[str, list[str]] = field(default_factory=dict)
    gap: int = 0
    csv: dict[str, Any] | None = None
    parts: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data = {
            "received": self.received,
            "rows": self.rows,
            "late": self.late,
            "edge": self.edge,
            "vanished": self.vanished,
            "total": self.total,
            "max_updated": self.max_updated,
            "custom": self.custom,
            "gap": self.gap,
            "part": self.part,
        }
        if self.csv is not None:
            data["csv"] = self.csv
        if self.parts is not None:
            data["parts"] = self.parts
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WindowRecord:
        return cls(
            received=int(data["received"]),
            rows=int(data["rows"]),
            part=str(data["part"]),
            late=int(data.get("late", 0)),
            edge=int(data.get("edge", 0)),
            vanished=int(data.get("vanished", 0)),
            total=data.get("total"),
            max_updated=int(data.get("max_updated", 0)),
            custom={str(k): list(v) for k, v in (data.get("custom") or {}).items()},
            gap=int(data.get("gap", 0)),
            csv=data.get("csv"),
            parts=data.get("parts"),
        )


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
        try:
            self._records = {key: WindowRecord.from_json(w) for key, w in data["windows"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigurationError(
                f"the export checkpoint {self.path} is damaged ({exc!r}); delete {directory} or pass "
                "resume=False (--no-resume) to start over"
            ) from None

    @classmethod
    def open(
        cls, output: str, signature: dict[str, Any], *, resume: bool, workspace: dict[str, Any]
    ) -> Manifest:
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
            if not isinstance(data, dict) or data.get("version") != _VERSION:
                raise ConfigurationError(
                    f"{directory} holds an unfinished export from another version of intercomkit; pass "
                    "resume=False (--no-resume) to discard it and start over"
                )
            check_workspace(
                data.get("workspace"),
                workspace,
                where=f"the unfinished export in {directory}",
                fix="pass resume=False (--no-resume) to discard it, or export to another path (--out)",
            )
            if data.get("signature") != json.loads(json.dumps(signature)):
                raise ConfigurationError(
                    f"{directory} holds an unfinished export with different options (kind, format, fields, "
                    "query, since or the workspace's timezone); rerun with the same options to resume it, or pass resume=False "
                    "(--no-resume) to discard it"
                )
            return cls(directory, data, resumed=True)
        if os.path.isdir(directory):
            shutil.rmtree(directory)
        os.makedirs(directory)
        data = {
            "version": _VERSION,
            "signature": signature,
            "workspace": workspace,
            "plan": None,
            "windows": {},
        }
        manifest = cls(directory, data, resumed=False)
        manifest.save()
        return manifest

    @property
    def workspace(self) -> dict[str, Any]:
        return self.data["workspace"]

    @property
    def plan(self) -> dict[str, Any] | None:
        """The plan as JSON (``_plan.Plan.from_json`` reads it), None before it is set."""
        return self.data.get("plan")

    @property
    def windows(self) -> Mapping[str, WindowRecord]:
        """Committed windows by key (read-only: ``commit`` adds one)."""
        return self._records

    def set_plan(self, plan: dict[str, Any]) -> None:
        self.data["plan"] = plan
        self.save()

    def part_path(self, key: str) -> str:
        # Arrow IPC (``_sinks.PartWriter``); records of an earlier version name their Parquet parts, still read.
        return os.path.join(self.directory, f"{key}.arrow")

    def commit(self, key: str, record: WindowRecord) -> None:
        """Record a finished window whose part file is already in place (renamed)."""
        self._records[key] = record
        self.data["windows"][key] = record.to_json()
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
