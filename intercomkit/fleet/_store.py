"""Where a fleet's dataset lives: a local (or shared) directory, or an fsspec URL (``s3://``, ``gs://``,
``memory://``). Each write is atomic the way the store allows: write-then-rename on a filesystem, one put of the
whole object on an object store (a reader sees the old object or the new one, never half of one).
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

from ..errors import WriteFailed
from ..export._sinks import fsync_dir

__all__ = ["FleetStore"]


def _is_url(out: str) -> bool:
    return "://" in out and not out.startswith("file://")


class FleetStore:
    """``out`` as given by the user; every name below is relative to it (``contacts/workspace=a/part-0.parquet``)."""

    def __init__(self, out: str | os.PathLike[str]) -> None:
        text = os.fspath(out)
        if text.startswith("file://"):
            text = text[len("file://") :]
        self.out = text
        self.local = not _is_url(text)
        self._fs: Any = None
        self._root = os.path.abspath(text) if self.local else text.rstrip("/")
        if not self.local:
            try:
                from fsspec.core import url_to_fs
            except ImportError:  # pragma: no cover - the fleet extra installs it
                raise ImportError(
                    f"writing the fleet to {text} needs fsspec: pip install 'intercomkit[fleet]'"
                ) from None
            self._fs, self._root = url_to_fs(text)
            self._root = self._root.rstrip("/")

    def __repr__(self) -> str:
        return f"FleetStore({self.out!r})"

    def path(self, name: str) -> str:
        return os.path.join(self._root, *name.split("/")) if self.local else f"{self._root}/{name}"

    def url(self, name: str) -> str:
        """What a reader (DuckDB, pyarrow, pandas) is given for ``name``."""
        return self.path(name) if self.local else f"{self.out.rstrip('/')}/{name}"

    # -- reading ---------------------------------------------------------------------------------------------

    def read_json(self, name: str) -> dict[str, Any] | None:
        try:
            if self.local:
                with open(self.path(name), "rb") as fh:
                    raw = fh.read()
            else:
                raw = self._fs.cat_file(self.path(name))
        except FileNotFoundError:
            return None
        data = json.loads(raw)
        return data if isinstance(data, dict) else None

    def exists(self, name: str) -> bool:
        return os.path.exists(self.path(name)) if self.local else self._fs.exists(self.path(name))

    # -- writing ---------------------------------------------------------------------------------------------

    def write_json(self, name: str, data: Any) -> None:
        self.write_bytes(name, json.dumps(data, indent=2, sort_keys=True).encode() + b"\n")

    def write_bytes(self, name: str, payload: bytes) -> None:
        target = self.path(name)
        try:
            if not self.local:
                self._fs.pipe_file(target, payload)
                return
            directory = os.path.dirname(target)
            os.makedirs(directory, exist_ok=True)
            # A name no reader globs for (``*.parquet``) and that pyarrow's discovery skips (leading dot).
            temp = os.path.join(directory, f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex[:8]}")
            try:
                with open(temp, "wb") as fh:
                    fh.write(payload)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, target)
            finally:
                if os.path.exists(temp):
                    os.unlink(temp)
            fsync_dir(directory)
        except OSError as exc:
            raise WriteFailed(
                f"cannot write {self.url(name)}: {exc.strerror or exc}",
                path=self.url(name),
                reason=exc.strerror or str(exc),
            ) from exc

    def remove_temporaries(self, directory: str) -> None:
        """Temporary files a killed writer left in ``directory`` (local stores only; object stores have none)."""
        if not self.local:
            return
        folder = self.path(directory)
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            return
        for entry in names:
            if entry.startswith(".") and ".tmp-" in entry:
                try:
                    os.unlink(os.path.join(folder, entry))
                except FileNotFoundError:
                    pass
