import os

import pytest
from hypothesis import Phase, settings

# CI runs the same examples every time (a red build is reproducible, never a lucky draw) and skips shrinking, which
# can take minutes on whole-conversation fuzz tests; locally hypothesis explores and shrinks as usual.
settings.register_profile(
    "ci", derandomize=True, phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def fresh_workspace_state():
    """Every test starts with no per-workspace state (rate budgets, open scrolls). Sandboxes share one token and base
    URL, so without this a budget an earlier test left alive (the registry holds budgets weakly, and one kept by an
    uncollected reference cycle survives) carries that test's clock into the next: a FakeClock run ahead by its
    retries' sleeps left a reset minutes past the real time, and a real-clock export then waited for it."""
    from intercomkit._workspaces import SHARED_WORKSPACES

    SHARED_WORKSPACES.reset()
    yield
    SHARED_WORKSPACES.reset()


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def isolated_session(tmp_path, monkeypatch):
    """No token in the environment, credentials under tmp_path, and a fresh ``ik.connect()`` session around the test."""
    from intercomkit._credentials import ENV_CONFIG_DIR, ENV_TOKEN
    from intercomkit._session import SESSION
    from intercomkit.oauth import STATES

    monkeypatch.setenv(ENV_CONFIG_DIR, str(tmp_path / "config"))
    monkeypatch.delenv(ENV_TOKEN, raising=False)
    SESSION.reset()
    STATES.reset()
    yield
    SESSION.reset()
    STATES.reset()
