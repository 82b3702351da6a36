"""``import winback_grader`` stays light: no litellm, no instructor, no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = """
import json, socket, sys
attempts = []
real_connect = socket.socket.connect
def record(self, address):
    attempts.append(repr(address))
    raise OSError("network blocked by the import test")
socket.socket.connect = record
import winback_grader
heavy = sorted(name for name in ("litellm", "instructor", "openai") if name in sys.modules)
print(json.dumps({"heavy": heavy, "connects": attempts}))
"""


def test_import_skips_litellm_and_network() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])

    assert report["heavy"] == []
    assert report["connects"] == []


def test_engine_sets_local_price_map() -> None:
    probe = (
        "import os, winback_grader\n"
        "from winback_grader.config import GraderConfig\n"
        "from winback_grader.engines.llm import LLMEngine\n"
        "LLMEngine(GraderConfig(model='openai/test-model', api_base='http://127.0.0.1:9/v1'))\n"
        "print(os.environ.get('LITELLM_LOCAL_MODEL_COST_MAP'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )

    assert completed.stdout.strip().splitlines()[-1] == "True"
