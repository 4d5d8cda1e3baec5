"""The fleet's workspace list: a CSV or YAML file (or rows in Python) naming each workspace and where its
credential comes from. Never a token: the list travels to Dask workers, task keys and the fleet manifest.

    name,token_env,profile,region,base_url
    acme,ACME_TOKEN,,eu,
    globex,,globex-profile,,

Every problem is found in one pass and reported together (:class:`~intercomkit.errors.WorkspaceListError`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .._protocol.regions import REGIONS, resolve_base_url
from ..errors import ConfigurationError, WorkspaceListError

__all__ = ["FleetWorkspace", "read_workspaces"]

# A Hive partition value and one path segment on every store: no '/', '=', spaces or a leading dot.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
COLUMNS = ("name", "token_env", "profile", "region", "base_url")
_SECRET_COLUMNS = {"token", "access_token", "secret", "client_secret", "password", "bearer"}


@dataclass(frozen=True)
class FleetWorkspace:
    """One workspace of a fleet: its ``name`` (the partition ``workspace=<name>``) and where its token comes from,
    ``token_env`` (an environment variable on the workers) or ``profile`` (a saved profile on the workers)."""

    name: str
    token_env: str | None = None
    profile: str | None = None
    region: str | None = None
    base_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def credential(self) -> str:
        """Where the token comes from, for messages: ``$ACME_TOKEN`` or ``profile 'acme'`` (never the token)."""
        return f"${self.token_env}" if self.token_env else f"profile {self.profile!r}"


def read_workspaces(source: Any) -> list[FleetWorkspace]:
    """Workspaces from a ``.csv`` / ``.yaml`` / ``.yml`` path, or an iterable of mappings or ``FleetWorkspace``."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        rows, where = _read_file(path), path
    else:
        if isinstance(source, Mapping) or not isinstance(source, Iterable):
            raise ConfigurationError(
                "workspaces must be a path to a CSV or YAML file, or a list of rows such as "
                "[{'name': 'acme', 'token_env': 'ACME_TOKEN'}]"
            )
        rows = [w.to_dict() if isinstance(w, FleetWorkspace) else w for w in source]
        where = "the workspace list"
    return _parse(rows, where)


def _read_file(path: str) -> list[Any]:
    lowered = path.lower()
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigurationError(f"cannot read the workspace list {path}: {exc.strerror or exc}") from None
    if lowered.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text)))
    if lowered.endswith((".yaml", ".yml")):
        try:
            import yaml
        except ImportError:  # pragma: no cover - the fleet extra installs it
            raise ImportError(
                "reading a YAML workspace list needs PyYAML: pip install 'intercomkit[fleet]'"
            ) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise WorkspaceListError(f"{path} is not valid YAML: {exc}") from None
        if isinstance(data, Mapping) and "workspaces" in data:
            data = data["workspaces"]
        if not isinstance(data, list):
            raise WorkspaceListError(
                f"{path}: expected a list of workspaces (or a 'workspaces:' key holding one), "
                f"got {type(data).__name__}"
            )
        return data
    raise ConfigurationError(f"the workspace list {path} must end in .csv, .yaml or .yml")


def _parse(rows: list[Any], where: str) -> list[FleetWorkspace]:
    problems: list[tuple[str, str]] = []
    found: list[FleetWorkspace] = []
    seen: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        at = f"row {number}"
        if not isinstance(row, Mapping):
            problems.append((at, f"expected name and token_env or profile, got {type(row).__name__}"))
            continue
        values = {str(k).strip().lower(): _text(v) for k, v in row.items() if k is not None}
        secret = sorted(_SECRET_COLUMNS & values.keys())
        if secret:
            # The value is not echoed: it may be a real token.
            problems.append(
                (
                    at,
                    f"column {secret[0]!r}: never put a token in the list; name an environment variable "
                    "(token_env) or a saved profile (profile)",
                )
            )
            continue
        unknown = sorted(k for k in values if k not in COLUMNS and values[k] is not None)
        if unknown:
            problems.append((at, f"unknown column {unknown[0]!r}; known: {', '.join(COLUMNS)}"))
        name = values.get("name")
        if not name:
            problems.append((at, "no name"))
            continue
        at = f"row {number} ({name!r})" if _NAME.fullmatch(name) else at
        if not _NAME.fullmatch(name):
            problems.append(
                (
                    at,
                    f"name {name[:40]!r} must be letters, digits, '_', '.' or '-' (it names a folder "
                    "workspace=<name>), starting with a letter or digit, at most 100 characters",
                )
            )
            continue
        if name in seen:
            problems.append((at, f"name {name!r} is also on {seen[name]}"))
            continue
        seen[name] = f"row {number}"
        token_env, profile = values.get("token_env"), values.get("profile")
        if bool(token_env) == bool(profile):
            problems.append((at, "give exactly one of token_env (an environment variable) or profile"))
            continue
        if token_env and not _ENV.fullmatch(token_env):
            problems.append((at, f"token_env {token_env[:40]!r} is not an environment variable name"))
            continue
        region, base_url = values.get("region"), values.get("base_url")
        if region is not None:
            region = region.lower()
            if region not in REGIONS:
                problems.append((at, f"unknown region {region!r}; valid: {', '.join(REGIONS)}"))
                continue
        if region and base_url:
            problems.append((at, "give region or base_url, not both"))
            continue
        if base_url is not None:
            try:
                resolve_base_url(base_url=base_url)
            except ConfigurationError as exc:
                problems.append((at, str(exc)))
                continue
        found.append(FleetWorkspace(name, token_env, profile, region, base_url))
    if not rows:
        problems.append((where, "no workspaces"))
    if problems:
        shown = "; ".join(f"{at}: {text}" for at, text in problems[:10])
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        raise WorkspaceListError(f"{where}: {shown}{more}", problems=problems)
    return found


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
