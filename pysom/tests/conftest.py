"""Shared fixtures: the repository root, the `som` binary of this build, a scratch folder."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def som_bin() -> str:
    b = os.environ.get("SOM_BIN")
    if not b:
        pytest.skip("SOM_BIN (the som binary) is not set; run through `cargo test --test python`")
    return b


@pytest.fixture
def cli(som_bin):
    def run(*args: str) -> subprocess.CompletedProcess:
        p = subprocess.run([som_bin, *map(str, args)], capture_output=True, text=True, cwd=ROOT)
        assert p.returncode == 0, p.stderr
        return p

    return run


@pytest.fixture(autouse=True)
def _cwd(monkeypatch):
    # Docstring examples and tests name bundled files relative to the repository root.
    monkeypatch.chdir(ROOT)
