"""The calibrate dialogue and the systemd notify protocol over a real datagram socket."""

from __future__ import annotations

import os
import socket
import tomllib

import pytest

from lightctl.calibrate import parse_point, points_snippet, run_calibrate
from lightctl.config import Config, SensorConfig
from lightctl.errors import SensorError
from lightctl.sdnotify import notify, watchdog_period


def dialogue(answers: list[str], raws: list[float]):
    said: list[str] = []
    answers_iter, raws_iter = iter(answers), iter(raws)

    def ask(prompt: str) -> str:
        said.append(prompt)
        try:
            return next(answers_iter)
        except StopIteration:
            raise EOFError from None

    def read_raw() -> float:
        value = next(raws_iter)
        if isinstance(value, Exception):
            raise value
        return value

    return ask, said.append, read_raw, said


def test_calibrate_dialogue_averages_and_prints_snippet():
    """Each typed lux pairs with the mean of the raw readings; the snippet is valid TOML."""
    ask, say, read_raw, said = dialogue(["5", "200", ""], [0.11, 0.13] + [0.5, 0.6])
    snippet = run_calibrate(
        Config(sensor=SensorConfig(type="mcp3008", channel=0)),
        read_raw=read_raw,
        ask=ask,
        say=say,
        samples=2,
    )
    points = tomllib.loads(snippet)["sensor"]["calibration"]["points"]
    assert points == [[pytest.approx(0.12), 5.0], [pytest.approx(0.55), 200.0]]
    assert snippet in said


def test_calibrate_rejects_bad_input_and_undoes():
    """Garbage, zero lux and a sensor error change nothing; 'u' drops the last point."""
    ask, say, read_raw, said = dialogue(
        ["abc", "0", "10", "99", "u", "50", "300", ""],
        [SensorError("NACK"), 0.2, 0.4, 0.8],
    )
    snippet = run_calibrate(Config(), read_raw=read_raw, ask=ask, say=say, samples=1)
    points = tomllib.loads(snippet)["sensor"]["calibration"]["points"]
    assert points == [[0.4, 50.0], [0.8, 300.0]]
    text = "\n".join(said)
    assert "not a positive number" in text and "could not read the sensor: NACK" in text


def test_calibrate_quit_and_too_few_points():
    """'q' abandons; ending input with fewer than 2 points abandons too."""
    ask, say, read_raw, _ = dialogue(["q"], [])
    with pytest.raises(KeyboardInterrupt):
        run_calibrate(Config(), read_raw=read_raw, ask=ask, say=say)
    ask, say, read_raw, _ = dialogue(["10"], [0.3] * 5)
    with pytest.raises(KeyboardInterrupt):
        run_calibrate(Config(), read_raw=read_raw, ask=ask, say=say)


def test_points_snippet_and_parse_point():
    """--points RAW:LUX parse, and bad points are refused with the reason."""
    assert parse_point("0.12:5") == (0.12, 5.0)
    with pytest.raises(ValueError, match="RAW:LUX"):
        parse_point("0.12")
    snippet = points_snippet([parse_point("0.55:200"), parse_point("0.12:5")])
    assert tomllib.loads(snippet)["sensor"]["calibration"]["points"] == [
        [0.12, 5.0],
        [0.55, 200.0],
    ]
    with pytest.raises(ValueError, match="rise"):
        points_snippet([(0.1, 5), (0.2, 50), (0.3, 10)])


@pytest.fixture
def notify_socket(tmp_path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2)
    yield str(path), sock
    sock.close()


def test_notify_sends_datagrams(notify_socket):
    """READY=1 and WATCHDOG=1 arrive at the socket named by NOTIFY_SOCKET."""
    path, sock = notify_socket
    assert notify("READY=1", {"NOTIFY_SOCKET": path}) is True
    assert sock.recv(100) == b"READY=1"
    assert notify("WATCHDOG=1", {"NOTIFY_SOCKET": path})
    assert sock.recv(100) == b"WATCHDOG=1"


def test_notify_abstract_socket():
    """An '@name' address is the abstract namespace."""
    name = f"lightctl-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert notify("STATUS=ok", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(100) == b"STATUS=ok"


def test_notify_outside_systemd(tmp_path):
    """No socket, or one nobody listens on, returns False without raising."""
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "nobody")}) is False


def test_watchdog_period():
    """Half of WATCHDOG_USEC, only for the process WATCHDOG_PID names."""
    assert watchdog_period({}) is None
    assert watchdog_period({"WATCHDOG_USEC": "30000000"}) == 15.0
    env = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "123"}
    assert watchdog_period(env, pid=123) == 15.0
    assert watchdog_period(env, pid=124) is None
    assert watchdog_period({"WATCHDOG_USEC": "x"}) is None
    assert watchdog_period({"WATCHDOG_USEC": "0"}) is None
