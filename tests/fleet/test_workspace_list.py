"""The fleet's workspace list: CSV or YAML, every bad row named, and never a token in it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intercomkit.errors import WorkspaceListError
from intercomkit.fleet import FleetWorkspace, read_workspaces


def test_csv_and_yaml_lists_read_the_same(tmp_path):
    csv = tmp_path / "ws.csv"
    csv.write_text(
        "name,token_env,profile,region,base_url\n"
        "acme,ACME_TOKEN,,eu,\n"
        "globex,,globex-profile,,\n"
        "local,LOCAL_TOKEN,,,http://127.0.0.1:8765\n"
    )
    yaml = tmp_path / "ws.yaml"
    yaml.write_text(
        "workspaces:\n"
        "  - {name: acme, token_env: ACME_TOKEN, region: EU}\n"
        "  - {name: globex, profile: globex-profile}\n"
        "  - {name: local, token_env: LOCAL_TOKEN, base_url: 'http://127.0.0.1:8765'}\n"
    )
    expected = [
        FleetWorkspace("acme", token_env="ACME_TOKEN", region="eu"),
        FleetWorkspace("globex", profile="globex-profile"),
        FleetWorkspace("local", token_env="LOCAL_TOKEN", base_url="http://127.0.0.1:8765"),
    ]
    assert read_workspaces(csv) == expected
    assert read_workspaces(yaml) == expected
    assert read_workspaces(str(csv)) == expected
    assert read_workspaces(expected) == expected
    assert expected[0].credential == "$ACME_TOKEN" and expected[1].credential == "profile 'globex-profile'"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({"token_env": "A"}, "no name"),
        ({"name": "a/b", "token_env": "A"}, "letters, digits"),
        ({"name": "a=b", "token_env": "A"}, "letters, digits"),
        ({"name": ".hidden", "token_env": "A"}, "letters, digits"),
        ({"name": "a"}, "exactly one of token_env"),
        ({"name": "a", "token_env": "A", "profile": "p"}, "exactly one of token_env"),
        ({"name": "a", "token_env": "NOT A VAR"}, "not an environment variable name"),
        ({"name": "a", "token_env": "A", "region": "mars"}, "unknown region 'mars'"),
        ({"name": "a", "token_env": "A", "region": "eu", "base_url": "http://x"}, "region or base_url"),
        ({"name": "a", "token_env": "A", "base_url": "ftp://x"}, "needs a scheme and a host"),
        ({"name": "a", "token_env": "A", "colour": "red"}, "unknown column 'colour'"),
        ({"name": "a", "token": "dG9rOmFiYw=="}, "never put a token in the list"),
        ({"name": "a", "access_token": "dG9rOmFiYw=="}, "never put a token in the list"),
    ],
)
def test_each_bad_row_is_named(row, problem):
    with pytest.raises(WorkspaceListError, match="row 1") as caught:
        read_workspaces([row])
    assert problem in str(caught.value)
    assert caught.value.problems and caught.value.problems[0][0].startswith("row 1")
    assert "dG9rOmFiYw==" not in str(caught.value)


def test_every_problem_is_reported_at_once_and_duplicates_are_refused(tmp_path):
    path = tmp_path / "ws.csv"
    path.write_text("name,token_env\nacme,A\nacme,B\n,C\nok,D\n")
    with pytest.raises(WorkspaceListError) as caught:
        read_workspaces(path)
    assert [where for where, _ in caught.value.problems] == ["row 2 ('acme')", "row 3"]
    assert "also on row 1" in str(caught.value) and str(path) in str(caught.value)


def test_files_that_are_not_lists_are_named(tmp_path):
    with pytest.raises(WorkspaceListError, match="no workspaces"):
        read_workspaces([])
    (tmp_path / "ws.yaml").write_text("name: acme\n")
    with pytest.raises(WorkspaceListError, match="expected a list"):
        read_workspaces(tmp_path / "ws.yaml")
    (tmp_path / "bad.yaml").write_text("- [unclosed\n")
    with pytest.raises(WorkspaceListError, match="not valid YAML"):
        read_workspaces(tmp_path / "bad.yaml")
    (tmp_path / "ws.txt").write_text("name\n")
    with pytest.raises(ValueError, match=r"\.csv, \.yaml or \.yml"):
        read_workspaces(tmp_path / "ws.txt")
    with pytest.raises(ValueError, match="cannot read"):
        read_workspaces(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="a list of rows"):
        read_workspaces({"name": "acme"})


_cells = st.one_of(
    st.none(), st.text(max_size=12), st.integers(), st.sampled_from(["eu", "us", "A_1", "x/y"])
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["name", "token_env", "profile", "region", "base_url", "token", "x"]), _cells
        ),
        max_size=4,
    )
)
def test_any_rows_parse_or_give_a_named_error(rows):
    try:
        parsed = read_workspaces(rows)
    except WorkspaceListError as exc:
        assert exc.problems
        for row in rows:
            secret = row.get("token")
            if isinstance(secret, str) and len(secret) > 3:
                assert secret not in str(exc)
    else:
        assert len({ws.name for ws in parsed}) == len(parsed) == len(rows)
        assert all(bool(ws.token_env) != bool(ws.profile) for ws in parsed)
