"""``export(client, options)``: run one export of the resource ``options.kind`` describes, and turn what stops it
into the errors the API promises (``WriteFailed``, the interrupt note saying what the checkpoint keeps).

A search-paged resource gets a ``SearchRun`` (many windows at once), a chain-paged one a ``ChainRun``.
"""

from __future__ import annotations

import errno
import logging
import os
from typing import TYPE_CHECKING

import anyio

from ..errors import WriteFailed
from ._chain import ChainRun
from ._manifest import describe_kept
from ._options import ExportOptions
from ._resources import SearchPaging, resource
from ._result import ExportResult
from ._runner import SearchRun

if TYPE_CHECKING:
    from .._client import AsyncClient

__all__ = ["export"]

logger = logging.getLogger("intercomkit.export")


async def export(client: AsyncClient, options: ExportOptions) -> ExportResult:
    if os.path.isdir(options.path):  # found now, not after the whole export when the final rename fails
        raise _write_failed(
            options.path, IsADirectoryError(errno.EISDIR, "it is a directory", options.path), 0, 0
        )
    described = resource(options.kind)
    flow = SearchRun if isinstance(described.paging, SearchPaging) else ChainRun
    run = flow(client, options, described)
    try:
        return await run.export()
    except (WriteFailed, TimeoutError):
        run.forget_if_empty()
        raise
    except OSError as exc:
        windows, rows = run.forget_if_empty()
        raise _write_failed(options.path, exc, windows, rows) from exc
    except (anyio.get_cancelled_exc_class(), KeyboardInterrupt) as exc:
        windows, rows = run.forget_if_empty()
        note = _kept_note(options.path, windows, rows)
        logger.warning("export interrupted: %s", note, extra={"export_kept": True})
        exc.add_note(f"intercomkit: {note}")
        raise
    except BaseException:
        run.forget_if_empty()
        raise


def _kept_note(path: str, windows: int, rows: int) -> str:
    if not windows:
        return f"nothing was kept for {path}"
    return f"{describe_kept(path, windows, rows)}; run the same export again to resume"


def _write_failed(path: str, exc: OSError, windows: int, rows: int) -> WriteFailed:
    target = exc.filename if isinstance(exc.filename, str) else path
    reason = exc.strerror or str(exc) or type(exc).__name__
    return WriteFailed(
        f"cannot write {target}: {reason}; {_kept_note(path, windows, rows)}",
        path=target,
        reason=reason,
        committed=windows,
    )
