"""Shared fixtures: the loopback OpenAI-compatible server and the real data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# litellm downloads its model price map on import unless LITELLM_LOCAL_MODEL_COST_MAP selects
# the bundled copy, and tests must never reach the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from openai_server import OpenAIServer

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests off the developer's model, keys and cache folder."""
    monkeypatch.delenv("WINBACK_GRADER_MODEL", raising=False)
    monkeypatch.setenv("WINBACK_GRADER_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh loopback OpenAI-compatible server; script replies with ``server.script(...)``."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real transcripts beside the repository; the test skips when it is absent."""
    folder = Path(
        os.environ.get("WINBACK_GRADER_SHARED_DATA", REPO_ROOT.parent / "shared" / "data" / "raw")
    )
    if not folder.is_dir():
        pytest.skip(
            f"real data folder {folder} is absent (set WINBACK_GRADER_SHARED_DATA to its path)"
        )
    return folder


@pytest.fixture
def call_folder(tmp_path: Path) -> Path:
    """A folder of two short two-speaker calls, call-0.txt and call-1.txt."""
    folder = tmp_path / "calls"
    folder.mkdir()
    for n in range(2):
        (folder / f"call-{n}.txt").write_text(
            f"Agent: Hi, this is Dana from Acme calling about account number {n}.\n"
            "Customer: I left because the price went up a lot last spring.\n",
            encoding="utf-8",
        )
    return folder
