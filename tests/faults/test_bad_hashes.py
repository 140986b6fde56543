"""`web.password_hash` cut short, altered or too weak: check-config exits 2 naming the key
(never echoing the value), and the daemon would not start with it."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from lightctl.cli import main
from lightctl.webapp.auth import hash_password

GOOD_SCRYPT = hash_password("correct horse")
GOOD_PBKDF2 = generate_password_hash("correct horse", method="pbkdf2:sha256:600000")


def check(tmp_path, value: str, capsys) -> tuple[int, str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'node_id = "n"\nstate_dir = "{tmp_path / "state"}"\n'
        '[sensor]\ntype = "simulated"\n[relay]\ntype = "mock"\n'
        f'[web]\nlisten = "0.0.0.0:8080"\npassword_hash = "{value}"\n'
    )
    code = main(["check-config", "--config", str(cfg)])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    "value", [GOOD_SCRYPT, GOOD_PBKDF2, "pbkdf2:sha512:100000$abcdefgh$" + "0" * 128]
)
def test_whole_hashes_pass(tmp_path, capsys, value):
    code, out = check(tmp_path, value, capsys)
    assert code == 0, out


BAD = {
    "scrypt prefix only": "scrypt:",
    "scrypt cut in the key": GOOD_SCRYPT[:-1],
    "scrypt without key": GOOD_SCRYPT.rsplit("$", 1)[0],
    "scrypt key altered": GOOD_SCRYPT[:-1] + "Z",
    "scrypt without salt": GOOD_SCRYPT.split("$")[0] + "$$" + GOOD_SCRYPT.split("$")[2],
    "scrypt N=2": "scrypt:2:8:1$abcdefgh$" + "0" * 128,
    "scrypt N not a power of 2": "scrypt:30000:8:1$abcdefgh$" + "0" * 128,
    "scrypt r=1": "scrypt:32768:1:1$abcdefgh$" + "0" * 128,
    "scrypt without params": "scrypt$abcdefgh$" + "0" * 128,
    "pbkdf2 one iteration": "pbkdf2:sha256:1$abcdefgh$" + "0" * 64,
    "pbkdf2 1000 iterations": generate_password_hash("x", method="pbkdf2:sha256:1000"),
    "pbkdf2 md5": "pbkdf2:md5:600000$abcdefgh$" + "0" * 32,
    "pbkdf2 cut": GOOD_PBKDF2[:40],
    "pbkdf2 sha512 with a sha256 key": "pbkdf2:sha512:600000$abcdefgh$" + "0" * 64,
    "pbkdf2 non-ASCII iterations": "pbkdf2:sha256:６00000$abcdefgh$" + "0" * 64,
    "pbkdf2 1_000_000": "pbkdf2:sha256:1_000_000$abcdefgh$" + "0" * 64,
    "a password typed in": "hunter2",
    "trailing space": GOOD_SCRYPT + " ",
}


@pytest.mark.parametrize("value", list(BAD.values()), ids=list(BAD))
def test_bad_hashes_exit_2_naming_the_key_not_the_value(tmp_path, capsys, value):
    code, out = check(tmp_path, value, capsys)
    assert code == 2, out
    assert "web.password_hash" in out
    if len(value) > 8:
        assert value not in out
