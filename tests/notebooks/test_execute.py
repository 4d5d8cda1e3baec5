"""Every notebook runs top to bottom on a real kernel against the embedded sandbox, and is saved clean."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from .conftest import NOTEBOOKS

nbclient = pytest.importorskip("nbclient")

EXPECTED = {
    "01-quickstart",
    "02-explore-contacts",
    "03-bulk-export",
    "04-send-messages",
    "05-webhooks",
    "06-support-data",
    "07-support-analytics",
}

# Things that look like credentials: Intercom access tokens are base64 ("dG9rOm…"), OAuth codes and client
# secrets long hex or base64 runs. The sandbox's demo token is the word "sandbox", which is no secret.
SECRET_PATTERNS = [
    re.compile(r"dG9rO[A-Za-z0-9+/=_-]+"),  # base64 of "tok:"
    re.compile(r"\b[A-Fa-f0-9]{32,}\b"),
    re.compile(r"\b[A-Za-z0-9+/_-]{40,}={0,2}"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9]"),
    re.compile(r"(?i)(token|secret|password)\s*=\s*['\"][^'\"]+['\"]"),
]


def test_all_notebooks_are_present() -> None:
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_without_outputs_or_secrets(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert "widgets" not in nb.metadata, "saved widget state: clear it (Kernel → Restart and Clear Outputs)"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell was saved with its outputs"
            assert cell.execution_count is None, f"{path.name}: a cell was saved with an execution count"
        assert not cell.get("attachments"), f"{path.name}: a cell has attachments"
    text = path.read_text(encoding="utf-8")
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path.name} contains something like a secret: {pattern.pattern}"
    # Each notebook tells the analyst what to do next.
    assert any(c.cell_type == "markdown" and "## What next" in c.source for c in nb.cells)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path, tmp_path: Path, jupyter_env: dict[str, str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work / path.name)  # notebooks write files (exports, logs) next to themselves
    nb = nbformat.read(work / path.name, as_version=4)
    # In memory only: a last cell reporting which environment the kernel runs in.
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print('KERNEL-PREFIX', sys.prefix)"))
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        startup_timeout=120,
        resources={"metadata": {"path": str(work)}},
        allow_errors=False,
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    assert nb.cells.pop().outputs[0].text.split()[1] == sys.prefix, (
        "the kernel is not this environment's python"
    )
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    stderr = [
        o.text
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr" and "Traceback" in o.text
    ]
    assert stderr == [], stderr
    CHECKS[path.stem](nb, work)


def _text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(str(out.data.get("text/plain", "")))
    return "\n".join(parts)


def _check_quickstart(nb: nbformat.NotebookNode, work: Path) -> None:
    text = _text(nb)
    assert "workspace 'intercomkit sandbox'" in text
    assert "user" in text and "lead" in text


def _check_explore(nb: nbformat.NotebookNode, work: Path) -> None:
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2, "expected the sign-ups plot and the users-vs-leads plot"
    assert "paying users who signed up in 2025" in _text(nb)


def _check_export(nb: nbformat.NotebookNode, work: Path) -> None:
    for name in ("contacts.csv", "contacts.parquet", "companies.parquet", "pro-contacts.csv"):
        assert (work / name).stat().st_size > 0, name
    assert "5000 rows from CSV, 5000 rows from Parquet" in _text(nb)


def _check_messages(nb: nbformat.NotebookNode, work: Path) -> None:
    text = _text(nb)
    # one single send + five bulk sends; the rerun sends nothing
    assert "The sandbox has received 6 messages." in text
    assert "already_sent    5" in text
    lines = [json.loads(line) for line in (work / "free-plan-check-in.jsonl").read_text().splitlines()]
    assert sum(1 for r in lines if r.get("status") == "sent") == 5


def _check_webhooks(nb: nbformat.NotebookNode, work: Path) -> None:
    text = _text(nb)
    assert "company created: Hopper Analytics" in text
    assert (work / "webhook-events.jsonl").stat().st_size > 0
    forged = next(c for c in nb.cells if "forged.status_code" in c.source)
    results = [o.data["text/plain"] for o in forged.outputs if o.output_type == "execute_result"]
    assert results == ["401"]  # a wrong signature is refused


def _check_support(nb: nbformat.NotebookNode, work: Path) -> None:
    text = _text(nb)
    assert re.search(r"\d+ conversations, \d+ open", text)
    found = re.search(r"(\d+) closed conversations waited more than a day", text)
    parts = re.search(r"(\d+) parts of (\d+) conversations", text)
    assert found and parts and int(found.group(1)) > 0 and 0 < int(parts.group(2)) <= int(found.group(1))
    assert re.search(r"\d+ tickets", text)
    _check_support_export(text)


def _check_support_export(text: str) -> None:
    """The export section: parts short of Intercom's count only in the >500-part conversations, all named; the
    since_last run after a close replaces that conversation's row and parts."""
    assert re.search(r"wrote [\d,]+ conversations to \S+conversations\.parquet", text)
    counts = re.search(r"(\d+) parts written of (\d+) counted by Intercom", text)
    truncated = re.search(r"more than 500 parts: (\S.*)", text)
    assert counts and truncated and truncated.group(1) != "none"
    assert int(counts.group(1)) < int(counts.group(2))  # the sandbox has conversations of more than 500 parts
    assert "deleted during the run: [] | gaps: []" in text
    assert "short only where truncated: True" in text
    assert "since last run: 0 added, 1 updated" in text  # the closed conversation, and nothing else
    closed = re.search(r"conversation \d+: open → closed, (\d+) → (\d+) parts", text)
    # its parts replaced by the current ones, the close among them
    assert closed and int(closed.group(2)) == int(closed.group(1)) + 1
    assert "conversations, one row each: True" in text


def _check_analytics(nb: nbformat.NotebookNode, work: Path) -> None:
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 4, "expected volume/backlog, first response by team, CSAT by admin, reopens/Fin"
    text = _text(nb)
    # The sandbox's statistics are wall-clock: both clocks agree wherever every part is known.
    assert "both clocks agree on every metric of every team: True" in text
    # The reporting export and the API describe the same conversations.
    assert "same conversations: True" in text
    assert re.search(r"conversations per week agree: True \(\d+ weeks\)", text)
    assert "median first response per team agrees: True" in text


CHECKS = {
    "01-quickstart": _check_quickstart,
    "02-explore-contacts": _check_explore,
    "03-bulk-export": _check_export,
    "04-send-messages": _check_messages,
    "05-webhooks": _check_webhooks,
    "06-support-data": _check_support,
    "07-support-analytics": _check_analytics,
}
