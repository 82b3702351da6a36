"""The on-disk grade cache: its folder, persistence across processes, and what it stores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from winback_grader import ConfigError, GraderConfig
from winback_grader.cache import GradeCache, default_cache_dir, open_cache


def test_default_dir_uses_environment_variable(tmp_path: Path) -> None:
    environ = {"WINBACK_GRADER_CACHE_DIR": str(tmp_path / "grades")}
    assert default_cache_dir(environ) == tmp_path / "grades"


def test_default_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir({}) == tmp_path / "xdg" / "winback-grader"


def test_default_dir_not_working_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    folder = default_cache_dir({})
    assert folder == Path.home() / ".cache" / "winback-grader"
    assert folder.resolve() != tmp_path.resolve()


def test_open_cache_honours_config(tmp_path: Path) -> None:
    assert open_cache(GraderConfig(model="openai/m", cache=False)) is None
    cache = open_cache(GraderConfig(model="openai/m", cache_dir=tmp_path / "c"))
    assert cache is not None
    assert cache.directory == tmp_path / "c"
    cache.close()


def test_values_survive_reopening(tmp_path: Path) -> None:
    with GradeCache(tmp_path) as cache:
        cache.set("key-1", {"score": 3, "usage": {"prompt_tokens": 10}})
    with GradeCache(tmp_path) as cache:
        assert cache.get("key-1") == {"score": 3, "usage": {"prompt_tokens": 10}}
        assert cache.get("key-2") is None


def test_another_process_reads_and_writes(tmp_path: Path) -> None:
    with GradeCache(tmp_path) as cache:
        cache.set("from-parent", {"n": 1})
    script = (
        "import sys\n"
        "from winback_grader.cache import GradeCache\n"
        "cache = GradeCache(sys.argv[1])\n"
        "print(cache.get('from-parent'))\n"
        "cache.set('from-child', {'n': 2})\n"
        "cache.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "{'n': 1}"
    with GradeCache(tmp_path) as cache:
        assert cache.get("from-child") == {"n": 2}


def test_unwritable_folder_names_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError) as caught:
        GradeCache(blocker / "cache")
    message = str(caught.value)
    assert f"cannot open the grade cache in {str(blocker / 'cache')!r}" in message
    assert "--cache-dir" in message
    assert "--no-cache" in message
