"""The login under attack, in process against the real app with a real scrypt hash:

- after one good Basic login, the right password with a wrong user name, timed
  (a short answer would tell an attacker the password is right);
- 40 wrong Basic logins at once from one address: how many password checks ran,
  and the answers.

    python benchmarks/login_attacks.py
"""

from __future__ import annotations

import base64
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import lightctl.webapp.auth as auth  # noqa: E402
from lightctl.config import WebConfig  # noqa: E402
from lightctl.webapp import create_app  # noqa: E402
from tests.web.conftest import running_switch  # noqa: E402


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def app_with(switch, pw_hash: str):
    web = WebConfig(host="0.0.0.0", port=8080, username="admin", password_hash=pw_hash)
    return create_app(switch.controller, web, secret_key=b"k" * 32)


def main() -> int:
    """The figures, against the real daemon (manual clock, state in a temporary folder)."""
    with (
        tempfile.TemporaryDirectory() as folder,
        running_switch(Path(folder), serve=False, seed=False) as switch,
    ):
        return attack(switch)


def attack(switch) -> int:
    pw_hash = auth.hash_password("pw")
    client = app_with(switch, pw_hash).test_client()
    assert client.get("/api/status", headers=basic("admin", "pw")).status_code == 200
    times = []
    for _ in range(4):
        t0 = time.perf_counter()
        code = client.get("/api/status", headers=basic("root", "pw")).status_code
        times.append((time.perf_counter() - t0) * 1000)
    shown = ", ".join(f"{t:.1f}" for t in times)
    print(f"after a good login, right password + wrong user: {code} in {shown} ms")

    app = app_with(switch, pw_hash)
    checks = [0]
    real = auth.check_password_hash

    def counted(h: str, p: str) -> bool:
        checks[0] += 1
        return real(h, p)

    auth.check_password_hash = counted
    codes: list[int] = []
    threads = [
        threading.Thread(
            target=lambda i=i: codes.append(
                app.test_client().get("/api/status", headers=basic("admin", f"x{i}")).status_code
            )
        )
        for i in range(40)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    auth.check_password_hash = real
    answers = {c: codes.count(c) for c in sorted(set(codes))}
    print(f"40 parallel wrong logins: {checks[0]} password checks, answers {answers}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
