"""Issue 17 §6: --version, connect / profiles, `sandbox serve` help and startup line, hints that parse."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest

from intercomkit import __version__
from intercomkit._credentials import CLI_HINTS, HOW_TO_CONNECT
from intercomkit.cli import build_parser
from intercomkit.sandbox import Sandbox, serve_in_thread


def _run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intercomkit.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        **kw,
    )


@pytest.fixture
def env(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k != "INTERCOM_ACCESS_TOKEN"}
    clean["INTERCOMKIT_CONFIG_DIR"] = str(tmp_path / "config")
    return clean


@pytest.fixture
def served():
    url, stop = serve_in_thread(Sandbox(contacts=5, token="s3cret-sandbox-token"))
    yield url
    stop()


def test_version():
    done = _run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"intercomkit {__version__}"


def test_connect_from_an_env_var_then_profiles_lists_it_without_the_token(env, served):
    env["MY_TOKEN"] = "s3cret-sandbox-token"
    done = _run("connect", "--base-url", served, "--token-env", "MY_TOKEN", "--profile", "sb", env=env)
    assert done.returncode == 0, done.stderr
    assert "Connected to intercomkit sandbox as " in done.stdout and "profile 'sb'" in done.stdout
    listed = _run("profiles", env=env)
    assert listed.returncode == 0 and listed.stdout.startswith("sb\t") and served in listed.stdout
    for text in (done.stdout, done.stderr, listed.stdout, listed.stderr):
        assert "s3cret" not in text
    # The saved profile works for the export command the hint shows.
    out = os.path.join(env["INTERCOMKIT_CONFIG_DIR"], "..", "c.csv")
    exported = _run("export", "contacts", "--profile", "sb", "--out", out, env=env)
    assert exported.returncode == 0 and "wrote 5 rows" in exported.stdout, exported.stderr


def test_connect_reads_a_prompt_and_refuses_a_wrong_token_saving_nothing(env, served):
    ok = _run("connect", "--base-url", served, input="s3cret-sandbox-token\n", env=env)
    assert ok.returncode == 0 and "profile 'default'" in ok.stdout, ok.stderr
    bad = _run("connect", "--base-url", served, "--profile", "bad", input="wrong\n", env=env)
    assert bad.returncode == 3 and "nothing was saved" in bad.stderr and "Traceback" not in bad.stderr
    assert "bad" not in _run("profiles", env=env).stdout.split()


def test_profiles_when_none_are_saved(env):
    done = _run("profiles", env=env)
    assert (
        done.returncode == 0 and "no saved profiles" in done.stdout and "intercomkit connect" in done.stdout
    )


def test_serve_help_shows_every_option_with_its_default():
    done = _run("sandbox", "serve", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for option in ("--host", "--port", "--contacts", "--companies", "--seed", "--token", "--latency-ms",
                   "--rate-limit", "--window"):  # fmt: skip
        assert re.search(re.escape(option) + r" [A-Z_]+ [^()]*\(default: [^)]+\)", text), option


def test_serve_startup_line_states_the_token_and_a_command_that_parses():
    proc = subprocess.Popen(
        [sys.executable, "-m", "intercomkit.cli", "sandbox", "serve", "--port", "0", "--token", "t0k"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert "accepting the token 't0k'" in line
    command = line.split("(try: ", 1)[1].rstrip(")\n")
    words = shlex.split(command)
    assert words[0] == "INTERCOM_ACCESS_TOKEN=t0k" and words[1] == "intercomkit"
    args = build_parser().parse_args(words[2:])
    assert args.base_url.startswith("http://127.0.0.1:") and not args.base_url.endswith(":0")


@pytest.mark.parametrize("hint", CLI_HINTS)
def test_the_authentication_hint_shows_commands_that_parse(hint):
    assert hint in HOW_TO_CONNECT
    words = shlex.split(hint)
    assert words[0] == "intercomkit"
    build_parser().parse_args(words[1:])  # SystemExit(2) if it does not parse
