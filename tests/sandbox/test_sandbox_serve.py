"""The sandbox over a real socket with uvicorn, including a dropped connection."""

from __future__ import annotations

import httpx
import pytest

from intercomkit.sandbox import Faults, Sandbox, serve_in_thread

pytest.importorskip("uvicorn")


def test_serve_in_thread_and_drop():
    sb = Sandbox(contacts=10, companies=2, faults=Faults(rate=0.0))
    url, stop = serve_in_thread(sb)
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {sb.token}"}) as http:
            assert http.get("/contacts").json()["total_count"] == 10
            sb._faults.faults = Faults(rate=1.0, kinds=("drop",))
            with pytest.raises(httpx.RemoteProtocolError):
                http.get("/contacts")
    finally:
        stop()
