"""``client.admins``: the teammates of the workspace (``GET /admins``, not paginated)."""

from __future__ import annotations

from typing import Any

from .._models import Admin
from ._base import Resource, listed, segment

__all__ = ["Admins"]


class Admins(Resource):
    async def list(self) -> list[Admin]:
        body = await self._client.request("GET", "/admins")
        return [Admin(a) for a in listed(body, "admins")]

    async def get(self, admin_id: str | int) -> Admin:
        return Admin(await self._on("admin", admin_id, "GET", f"/admins/{segment(admin_id, 'admin_id')}"))

    async def frame(self, **options: Any) -> Any:
        from .._frames import admins_frame

        return admins_frame([a.raw for a in await self.list()], **options)
