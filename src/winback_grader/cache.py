"""The persistent grade cache: validated model replies on disk, shared by runs and processes.

The LLM engine computes each key (a sha256 of the model, the rendered messages, the response
schema, the sampling parameters and the prompt version, never the API key) and stores the
validated reply with its token usage. This module only stores and returns those dicts.

Grading redacts transcripts before any engine runs, so the stored replies hold redacted text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from .config import GraderConfig
from .errors import ConfigError

__all__ = ["CACHE_DIR_ENV_VAR", "GradeCache", "default_cache_dir", "open_cache"]

CACHE_DIR_ENV_VAR = "WINBACK_GRADER_CACHE_DIR"
APP_NAME = "winback-grader"


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return ``$WINBACK_GRADER_CACHE_DIR`` when set, else the platform's user cache folder.

    On Linux that folder is ``$XDG_CACHE_HOME/winback-grader``, or ``~/.cache/winback-grader``.
    """
    env = os.environ if environ is None else environ
    configured = env.get(CACHE_DIR_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


class GradeCache:
    """A diskcache ``Cache`` of grade replies keyed by the LLM engine's request hash.

    diskcache keeps its data in SQLite with file locking, so several processes may read and
    write the same folder at once.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        import diskcache  # imported late: only runs that use a model need it

        self.directory = Path(directory)
        """The folder that contains the cache's SQLite database and value files."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._store = diskcache.Cache(str(self.directory))
        except OSError as exc:
            raise ConfigError(
                f"cannot open the grade cache in {str(self.directory)!r}: {exc.strerror or exc}; "
                f"pass a writable folder with cache_dir= (--cache-dir) or set {CACHE_DIR_ENV_VAR}, "
                "or turn the cache off with cache=False (--no-cache)"
            ) from exc

    def get(self, key: str) -> dict[str, Any] | None:
        """Return the stored reply for this key, or None on a miss."""
        value = self._store.get(key)
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        """Store a reply under this key, replacing any older one."""
        self._store.set(key, value)

    def __len__(self) -> int:
        return len(self._store)

    def close(self) -> None:
        """Close the SQLite connections this process holds; the data stays on disk."""
        self._store.close()

    def __enter__(self) -> GradeCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_cache(config: GraderConfig) -> GradeCache | None:
    """Open the cache a run should use, or return None when the config turns it off."""
    if not config.cache:
        return None
    directory = config.cache_dir if config.cache_dir is not None else default_cache_dir()
    return GradeCache(directory)
