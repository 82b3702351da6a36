"""The grading settings that a resumed run must share with the run that started its results file.

Each line of a results file records the rubric and model of its scorecard, and resume checks
those. The strategy, the structured-output mode and the prompt templates change grades too but
are not part of a scorecard. So the run that starts a results file writes them to a settings
file beside it, ``<results>.settings.yaml``. A resumed run, or a dry run that predicts one, stops
when its own settings differ, because it would otherwise mix grades of two setups in one file.

The offline engine uses none of these settings, so an offline run writes no settings file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from .config import GraderConfig
from .errors import ConfigError
from .prompts import template_fingerprint

__all__ = [
    "SETTINGS_SUFFIX",
    "check_settings",
    "grading_settings",
    "settings_path",
    "write_settings",
]

SETTINGS_SUFFIX = ".settings.yaml"
"""Appended to the results file's name to name its settings file."""

# The command-line option of each setting, for messages.
_OPTIONS = {
    "strategy": "--strategy",
    "mode": "--mode",
    "prompts": "--prompt-dir",
}


def grading_settings(config: GraderConfig) -> dict[str, str]:
    """Return the settings that change a judge model's grades and are not in a scorecard.

    ``mode`` is the resolved structured-output mode, so ``--mode auto`` and the mode it
    resolves to count as the same. ``prompts`` is a hash of the template files and the
    library's prompt version. Returns an empty dict for the offline engine.
    """
    if config.is_offline:
        return {}
    from .engines.modes import resolve_mode  # imports litellm, which only a judge model needs

    return {
        "strategy": config.strategy,
        "mode": resolve_mode(config),
        "prompts": template_fingerprint(config.prompt_dir),
    }


def settings_path(results_path: Path) -> Path:
    """Return the settings file of a results file: ``results.jsonl.settings.yaml``.

    A symlinked results file has its settings beside its target, so a run through the link and
    a run through the target read the same settings.
    """
    target = results_path.resolve()
    return target.with_name(target.name + SETTINGS_SUFFIX)


def check_settings(results_path: Path, settings: dict[str, str]) -> bool:
    """Raise ConfigError when the results file's settings file records other ``settings``.

    Returns False when there is no settings file, so nothing could be checked, and True
    otherwise. A setting that the file does not record is not checked. With empty
    ``settings`` (the offline engine) the file is not read.
    """
    if not settings:
        return True
    path = settings_path(results_path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}, the grading settings of {results_path}: "
            f"{exc.strerror or exc}; it must be a readable file, or delete it to resume "
            "without checking the strategy, mode and prompts"
        ) from exc
    recorded = _parse(path, data)
    for name, value in settings.items():
        if name in recorded and recorded[name] != value:
            raise ConfigError(_mismatch(results_path, path, name, str(recorded[name]), value))
    return True


def write_settings(results_path: Path, settings: dict[str, str]) -> None:
    """Write the settings file of a results file that has no scorecard yet.

    A settings file left from an earlier results file of the same name is replaced. The write
    is atomic, so a killed run leaves the old file or the new one. Nothing is written when
    ``settings`` is empty. Raises ConfigError when the file cannot be written.
    """
    if not settings:
        return
    path = settings_path(results_path)
    text = (
        f"# Grading settings of {path.name.removesuffix(SETTINGS_SUFFIX)}, written by the run "
        "that started it.\n"
        "# A run that resumes that file with other settings stops instead of mixing grades.\n"
        + yaml.safe_dump(settings, sort_keys=False)
    )
    # Created with open() rather than tempfile.mkstemp, so the file gets the umask's mode like
    # the results file, and another user who may resume the results file can read it.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if not isinstance(exc, OSError):
            raise
        raise ConfigError(
            f"cannot write {path}, the grading settings of {results_path}: "
            f"{exc.strerror or exc}; make its folder writable, or remove what is at that path"
        ) from exc


def _parse(path: Path, data: bytes) -> dict[str, Any]:
    try:
        recorded = yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError):
        recorded = None
    if not isinstance(recorded, dict):
        raise ConfigError(
            f"{path} is not a settings file of this program (expected a mapping of setting to "
            "value); delete it, and the results file beside it is resumed without checking "
            "its strategy, mode and prompts"
        )
    return recorded


def _mismatch(results_path: Path, path: Path, name: str, recorded: str, current: str) -> str:
    option = _OPTIONS.get(name, name)
    start_over = (
        f"or pass another --out file, or delete {results_path} and {path} to grade "
        "everything again"
    )
    if name == "prompts":
        return (
            f"{results_path}: its calls were graded with other prompt templates than this run's "
            f"({path} records {recorded}, this run's are {current}): another {option}, edited "
            f"templates, or a winback-grader release with other shipped prompts; resume with "
            f"the templates of the first run, {start_over}"
        )
    return (
        f"{results_path}: its calls were graded with {option} {recorded} (recorded in {path}), "
        f"but this run uses {option} {current}; pass {option} {recorded} to resume, {start_over}"
    )
