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


@pytest.fixture
def anyio_backend():
    return "asyncio"
