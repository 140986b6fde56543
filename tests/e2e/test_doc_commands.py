"""Every command line of README.md, BENCHMARKS.md and docs/ runs as written.

The command lines are taken from the pages themselves: shell code blocks (fenced or
indented) and inline commands with options such as `lightctl replay --set
threshold=15`. They run from the checkout, with the project's venv first on PATH, in a
fresh home folder where the demo has run (so its state is there, as after
`./scripts/demo.sh`), against the demo daemon still serving. The one rewrite: the
page's port 8080 becomes the test's free port. A command that cannot run here (it needs
a Pi, a broker of your own, root, or runs for minutes) must be listed in NOT_RUN with
the reason, so a new command in the docs is either run here or explained.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.broker import free_port
from tests.e2e.helpers import DaemonProcess

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", ROOT / "BENCHMARKS.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAMS = ("lightctl ", "./scripts/", "scripts/", "sudo ", "python ", "curl ", "mosquitto_")
PROGRAMS += ("URL=",)

NOT_RUN = {
    "./scripts/demo.sh": "serves on port 8080 until Ctrl-C; it execs `lightctl run --demo`, "
    "which this test runs (tests/e2e/test_demo.py checks the demo itself)",
    "./scripts/test.sh": "is the test suite that runs this test",
    "sudo scripts/install.sh --enable-buses": "installs a system service as root "
    "(tests/hardware/test_install_script.py runs the installer in a sandbox)",
    "python benchmarks/run.py": "runs for minutes; BENCHMARKS.md quotes its figures",
    "python -m pytest tests/faults -q -p no:cacheprovider": "is part of this suite",
    'python -m pytest tests/faults -q -m "not slow"': "is part of this suite",
    "mosquitto_sub -v -t 'lightctl/#'": "listens to your broker on localhost:1883 until "
    "Ctrl-C (tests/mqtt covers every topic)",
    "mosquitto_pub -t lightctl/porch/lamp/set -m OFF": "needs your broker and a node "
    '"porch" (tests/mqtt/test_commands.py sends the same)',
    "mosquitto_pub -t lightctl/porch/threshold/set -m 15": "needs your broker and a node "
    '"porch" (tests/mqtt/test_commands.py sends the same)',
    "lightctl check-config --config /etc/lightctl/config.toml": "reads the installed "
    "config; the examples/config.toml line beside it runs here",
    "sudo /opt/lightctl/venv/bin/lightctl calibrate --config /etc/lightctl/config.toml "
    "--write": "reads an analogue sensor on a Pi (tests/hardware/test_calibrate_command.py "
    "runs it against a modelled ADS1115)",
    "lightctl run --demo": "is the demo daemon this test starts",
    "python benchmarks/ha_check.py --ha-python ~/ha-venv/bin/python": "needs Home Assistant "
    "in a venv of its own (tests/e2e/test_home_assistant.py runs it when one is named)",
}


def _code_blocks(text: str):
    for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.M | re.S):
        if m.group(1) in ("", "sh", "bash", "console", "shell"):
            yield m.group(2)
    outside = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    for m in re.finditer(r"\n\n((?:    .*\n?)+)", outside):
        yield "\n".join(line[4:] for line in m.group(1).splitlines())


def _is_synopsis(line: str) -> bool:
    """`tool [--option N]` or `--input FILE`: a usage line, not a command to type."""
    words = r"FILE|PATH|URL|KEY|VALUE|RAW|LUX|PASSWORD|HOST|PORT|DIR|N"
    return bool(re.search(rf"\[|<|\.\.\.|(?<![\w$])(?:{words})\b", line))


def doc_commands() -> list[tuple[str, str]]:
    """(page, command) for every command line of the pages, in order, without repeats."""
    found: dict[str, str] = {}
    for page in PAGES:
        text = page.read_text()
        for block in _code_blocks(text):
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                line = re.sub(r"\s+#\s.*$", "", line).strip()
                if line.startswith(PROGRAMS) and not _is_synopsis(line.removeprefix("URL=")):
                    found.setdefault(line, page.name)
        for m in re.finditer(r"`(lightctl [^`]*--[^`]*)`", text):
            line = " ".join(m.group(1).split())
            if not _is_synopsis(line):
                found.setdefault(line, page.name)
    return [(page, cmd) for cmd, page in found.items()]


COMMANDS = doc_commands()


def test_the_pages_have_commands_and_every_unrun_one_is_explained():
    assert len(COMMANDS) > 15
    cmds = {c for _, c in COMMANDS}
    assert "lightctl replay --set threshold=15" in cmds
    stale = set(NOT_RUN) - cmds
    assert not stale, f"NOT_RUN names commands no page has any more: {stale}"


SELF_CONTAINED = [*PAGES, ROOT / "pyproject.toml", *sorted((ROOT / "lightctl").rglob("*.py"))]


@pytest.mark.parametrize("path", SELF_CONTAINED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_cites_a_document_outside_the_repository(path):
    """The docs stand alone: no page points at numbered sections ("§") of a document
    users do not have; the repository's own pages link by file name instead."""
    text = path.read_text()
    assert "\u00a7" not in text


@pytest.fixture(scope="module")
def after_the_demo(tmp_path_factory):
    """A home folder where the demo ran, and the demo still serving on a free port."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"HOME": str(home), "XDG_STATE_HOME": "", "LIGHTCTL_CONFIG": ""}
    demo = DaemonProcess(home, args=["--demo", "--listen", f"127.0.0.1:{port}"], port=port, env=env)
    demo.start(timeout=30)
    demo.wait_for(lambda s: s["light"] is not None, what="the demo's first reading")
    bin_dir = str(Path(sys.executable).parent)
    run_env = {
        **os.environ,
        **env,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "URL": f"http://127.0.0.1:{port}",
    }
    yield port, run_env, home
    demo.terminate(timeout=10)
    demo.kill()


@pytest.mark.parametrize(("page", "command"), COMMANDS, ids=[c[:60] for _, c in COMMANDS])
def test_command_runs_as_written(page, command, after_the_demo):
    if command in NOT_RUN:
        pytest.skip(f"{page}: {NOT_RUN[command]}")
    port, env, home = after_the_demo
    line = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
    res = subprocess.run(
        ["bash", "-c", line],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert res.returncode == 0, f"{page}: {command}\n{res.stdout[-1500:]}\n{res.stderr[-1500:]}"
    assert "Traceback" not in res.stderr, res.stderr[-2000:]


def test_status_into_a_closed_pipe_is_quiet(after_the_demo):
    """`lightctl status --json | head -c 10`: the reader leaving early is no error."""
    port, env, _home = after_the_demo
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        res = subprocess.run(
            [sys.executable, "-m", "lightctl", "status", "--url", f"127.0.0.1:{port}", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert res.returncode == 0 and res.stderr == ""


def test_status_names_the_zone_and_the_simulated_clock(after_the_demo):
    port, env, _home = after_the_demo
    res = subprocess.run(
        [sys.executable, "-m", "lightctl", "status", "--url", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    assert "times     in Europe/Paris; simulated clock, 60x real time" in res.stdout
