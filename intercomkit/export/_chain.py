"""A resource walked as one chain (``ChainPaging``: companies' scroll, which Intercom runs one at a time): the whole
walk is one window, committed at the end; the walk checks itself against Intercom's counts (expected, missing)."""

from __future__ import annotations

import os

from ._fields import check_custom_fields
from ._manifest import WindowRecord
from ._resources import ChainPaging
from ._result import ExportResult
from ._run import Run
from ._sinks import PartWriter, items_table, observe_custom

__all__ = ["ChainRun"]

_KEY = "chain"


class ChainRun(Run):
    async def export(self) -> ExportResult:
        paging = self.resource.paging
        assert isinstance(paging, ChainPaging)
        await self.identify()
        await check_custom_fields(self.client, self.options.kind, self.out_columns)
        manifest = self.open_manifest(self.signature(None, None))
        self.frozen_at = int(self.clock())
        if _KEY not in manifest.windows:
            self.commit(_KEY, await self._walk(paging))
        record = manifest.windows[_KEY]
        if record.gap:
            self.gap(_KEY, record, "")
        rows = self.merge()
        manifest.remove()
        return self.result(rows, expected=record.total, peak_concurrency=1)

    async def _walk(self, paging: ChainPaging) -> WindowRecord:
        assert self.manifest is not None
        path = self.manifest.part_path(_KEY)
        part = PartWriter(path, self.part_schema)
        custom: dict[str, set[str]] = {}
        received = 0
        try:
            walker = paging.walk(self.client)
            async for page in walker.pages():  # distinct ids across restarts of the walk
                if self.bar is None:
                    self.open_bar(paging.estimate(walker), 0)
                items = page.items
                received += len(items)
                if items:
                    observe_custom(items, custom)
                    part.write(items_table(self.options.kind, items, self.part_columns))
                self._advance(len(items))
            expected, gap = walker.expected, walker.missing
            part.commit()
        except BaseException:
            part.discard()
            raise
        finally:
            self.close_bar()
        return WindowRecord(
            received=received,
            rows=received,
            total=expected,
            custom={k: sorted(v) for k, v in custom.items()},
            gap=gap,
            part=os.path.basename(path),
        )
