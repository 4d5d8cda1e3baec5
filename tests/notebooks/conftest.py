"""Shared setup for the notebook tests: where the notebooks are, and a Jupyter environment of our own.

Kernels must be this interpreter's: ``python3`` is the kernelspec ipykernel installs into the environment, and
jupyter_client launches its ``python`` with ``sys.executable``. The user's own Jupyter/IPython directories are
replaced by temporary ones, so a personal kernelspec, profile or setting cannot leak in, and intercomkit's config
directory is temporary too, so nothing a notebook saves reaches the real credentials file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def isolated_env(base: Path) -> dict[str, str]:
    """Environment variables giving Jupyter, IPython and intercomkit private directories under ``base``."""
    dirs = {
        "JUPYTER_CONFIG_DIR": "jupyter-config",
        "JUPYTER_DATA_DIR": "jupyter-data",
        "JUPYTER_RUNTIME_DIR": "jupyter-runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
        "INTERCOMKIT_CONFIG_DIR": "intercomkit-config",
        "MPLCONFIGDIR": "matplotlib",
    }
    env = {}
    for var, name in dirs.items():
        path = base / name
        path.mkdir(parents=True, exist_ok=True)
        env[var] = str(path)
    # This interpreter's scripts first, so a `python` anyone resolves from PATH is ours too.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger warning in every kernel's stderr
    env.pop("INTERCOM_ACCESS_TOKEN", None)
    return env


@pytest.fixture
def jupyter_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = isolated_env(tmp_path_factory.mktemp("jupyter-home"))
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    return env
