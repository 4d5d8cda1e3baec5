import asyncio
import os
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import anyio
import pytest

from intercomkit import _bridge
from intercomkit._bridge import allow_nested, run_sync
from intercomkit.errors import ConfigurationError, NotFound


class Custom(Exception):
    pass


async def add(a, b):
    await asyncio.sleep(0)
    return a + b


def test_plain_function():
    assert run_sync(add(1, 2)) == 3


def test_async_function_and_plain_awaitable():
    async def main():
        return "ok"

    assert run_sync(main) == "ok"

    class Awaitable:
        def __await__(self):
            return add(2, 2).__await__()

    assert run_sync(Awaitable()) == 4


@pytest.mark.parametrize("exc", [Custom("boom"), KeyError("k"), NotFound("no contact", status=404)])
def test_exceptions_keep_their_type(exc):
    async def fail():
        raise exc

    with pytest.raises(type(exc)) as info:
        run_sync(fail())
    assert info.value is exc


@pytest.mark.anyio
async def test_inside_a_running_loop():
    # What a Jupyter cell does: a loop is running in this thread and the code calls run_sync synchronously.
    outer = asyncio.get_running_loop()

    async def where():
        return asyncio.get_running_loop()

    inner = run_sync(where())
    assert inner is not outer and inner.is_running()


def test_anyio_inside_the_bridge():
    async def main():
        async with anyio.create_task_group() as tg:
            results = []
            for i in range(3):
                tg.start_soon(lambda i=i: _append(results, i))
        return sorted(results)

    async def _append(results, i):
        await anyio.sleep(0)
        results.append(i)

    assert run_sync(main()) == [0, 1, 2]


def test_many_threads_at_once():
    def work(i):
        return run_sync(add(i, i))

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(40))) == [2 * i for i in range(40)]


def test_one_loop_so_objects_survive_between_calls():
    async def make():
        return asyncio.Event()

    event = run_sync(make())

    async def use():
        event.set()
        await event.wait()
        return True

    assert run_sync(use())


def test_timeout_cancels_the_coroutine():
    cancelled = threading.Event()

    async def forever():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError, match="cancelled"):
        run_sync(forever(), timeout=0.01)
    assert cancelled.wait(5)


def test_coroutine_raising_timeout_error_is_not_confused_with_ours():
    async def fail():
        raise TimeoutError("from inside")

    with pytest.raises(TimeoutError, match="from inside"):
        run_sync(fail(), timeout=5)


_CTRL_C_SCRIPT = """
import asyncio, os, signal, threading, time
from intercomkit import run_sync

started, cancelled = threading.Event(), threading.Event()

async def forever():
    started.set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        cancelled.set()
        raise

def interrupt():
    started.wait(5)
    time.sleep(0.3)  # let the main thread reach its wait, as a human Ctrl-C would
    os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C: interrupt_main() cannot wake a blocked wait

threading.Thread(target=interrupt).start()
try:
    run_sync(forever())
except KeyboardInterrupt:
    print("interrupted", "cancelled" if cancelled.wait(5) else "still-running")
"""


@pytest.mark.skipif(os.name != "posix", reason="needs SIGINT")
def test_keyboard_interrupt_cancels_the_coroutine():
    # In a fresh interpreter: the test runner's own event loop may own SIGINT in this process.
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _CTRL_C_SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "interrupted cancelled", out.stderr


def test_calling_from_the_bridge_itself_is_refused():
    async def nested():
        return run_sync(add(1, 1))

    with pytest.raises(RuntimeError, match="use await"):
        run_sync(nested())


def test_not_awaitable():
    with pytest.raises(TypeError):
        run_sync(42)
    with pytest.raises(TypeError):
        run_sync(lambda: 42)


def test_loop_restarts_after_stop():
    assert run_sync(add(1, 1)) == 2
    _bridge._BRIDGE.stop()
    assert run_sync(add(2, 1)) == 3


def test_allow_nested_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "nest_asyncio2", None)
    with pytest.raises(ConfigurationError, match=r"intercomkit\[nested\]"):
        allow_nested()


def test_allow_nested_applies(monkeypatch):
    calls = []
    fake = types.SimpleNamespace(apply=lambda: calls.append("applied"))
    monkeypatch.setitem(sys.modules, "nest_asyncio2", fake)
    allow_nested()
    assert calls == ["applied"]


def test_import_does_not_patch_asyncio():
    assert "nest_asyncio2" not in sys.modules or not hasattr(asyncio, "_nest_patched")
