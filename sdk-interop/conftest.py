"""Starts the real `symbi` binary in a fresh project for the SDK interop tests."""

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

# The SDK insists on a local JWT secret even when it only sends an API key; it never leaves the
# client. Set before `symbiont` is imported.
os.environ.setdefault("SYMBIONT_AUTH_JWT_SECRET_KEY", "interop-tests-local-only")

BIN = os.environ.get("SYMBI_BIN") or str(
    Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parent.parent / "target")) / "debug" / "symbi"
)


class Runtime:
    def __init__(self, project: Path, process: subprocess.Popen, base_url: str):
        self.project = project
        self.process = process
        self.base_url = base_url

    @property
    def admin_key(self) -> str:
        return (self.project / ".symbi" / "admin.key").read_text().strip()

    def symbi(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([BIN, *args, "--dir", str(self.project)], capture_output=True, text=True, check=True)


@pytest.fixture()
def runtime(request):
    env_overrides = getattr(request, "param", {})
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        subprocess.run([BIN, "init", str(project), "--no-interact"], check=True, capture_output=True)
        # Start with an empty registry: `symbi up` registers the scaffold's agents/*.symbi.
        for agent_file in (project / "agents").glob("*.symbi"):
            agent_file.unlink()
        env = {k: v for k, v in os.environ.items() if k != "SYMBIONT_API_TOKEN"}
        env.update({"SYMBIONT_LOG": "warn", **env_overrides})
        process = subprocess.Popen(
            [BIN, "up", "--port", "0", "--dir", str(project)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        base = None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            match = re.match(r"symbi: listening on (http://\S+)", line)
            if match:
                base = match.group(1)
                break
        assert base, "symbi up did not report its address"
        try:
            yield Runtime(project, process, base + "/api/v1")
        finally:
            process.terminate()
            assert process.wait(timeout=30) == 0, "symbi up did not exit cleanly on SIGTERM"
