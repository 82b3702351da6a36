"""Render a rubric's criteria and a transcript into the chat messages sent to the judge model.

The messages are ``[system, transcript, criteria]``. The system message and the transcript
message depend only on the rubric and the transcript, so they are byte-identical for every
criterion of one call. A provider's prompt cache can reuse that prefix, because the criterion
part comes last.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ._resources import Traversable, resource_dir
from .errors import TemplateError
from .rubric import Criterion, Rubric
from .transcript import Transcript, Turn

__all__ = [
    "PROMPT_VERSION",
    "PromptRenderer",
    "format_time",
    "template_fingerprint",
    "transcript_markers",
]

PROMPT_VERSION = "1"
"""Version of the prompt wording; part of every cache key, so bump it when a template changes."""

SYSTEM_TEMPLATE = "system.j2"
TRANSCRIPT_TEMPLATE = "transcript.j2"
CRITERION_TEMPLATE = "criterion.j2"

_TEMPLATES = (SYSTEM_TEMPLATE, TRANSCRIPT_TEMPLATE, CRITERION_TEMPLATE)

# The names each template receives, for the error raised when a template uses another one.
_TEMPLATE_NAMES = {
    SYSTEM_TEMPLATE: "rubric, open_marker and close_marker",
    TRANSCRIPT_TEMPLATE: "rubric, open_marker, close_marker and turns",
    CRITERION_TEMPLATE: "rubric and criteria",
}

_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")

MEMO_SIZE = 256
"""Rendered prefixes (one per transcript) and criteria messages a renderer keeps for reuse."""

_Entry = TypeVar("_Entry")


class _Memo(Generic[_Entry]):
    """A bounded, thread-safe dict that drops its oldest entry when full."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[tuple[int, ...], _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[int, ...]) -> _Entry | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: tuple[int, ...], entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            if len(self._entries) > self._size:
                # Dicts keep insertion order: the first key is the oldest.
                del self._entries[next(iter(self._entries))]


@dataclass(frozen=True)
class _TurnView:
    index: int
    role: str
    time: str
    text: str


def format_time(seconds: float | None) -> str:
    """Format seconds from the call's start as ``MM:SS`` (``H:MM:SS`` past an hour) or ``--:--``."""
    if seconds is None:
        return "--:--"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def transcript_markers(transcript: Transcript) -> tuple[str, str]:
    """Return the lines that open and close the transcript's data block.

    The markers carry a digest of the turn texts. A turn cannot contain the digest of the text
    it is part of, so no text inside the transcript can close the block early.
    """
    digest = hashlib.sha256()
    for turn in transcript.turns:
        digest.update(turn.text.encode("utf-8"))
        digest.update(b"\x00")
    nonce = digest.hexdigest()[:16]
    return f"<<<TRANSCRIPT {nonce} BEGIN>>>", f"<<<TRANSCRIPT {nonce} END>>>"


class PromptRenderer:
    """Renders prompts from the shipped ``prompts/`` folder or a user's template folder.

    Templates run in jinja2's sandbox with ``StrictUndefined``, so a misspelt name such as
    ``criterion.descripton`` raises ``TemplateError`` before any model call. Autoescaping is off
    because the prompts are plain text that must reach the model byte for byte. Building a
    renderer loads every template, so a folder that lacks one raises ``TemplateError`` at once.
    """

    def __init__(self, prompt_dir: Path | None = None) -> None:
        self.prompt_dir = prompt_dir
        if prompt_dir is not None:
            _check_prompt_dir(prompt_dir)
        folder = str(prompt_dir) if prompt_dir is not None else str(resource_dir("prompts"))
        self._folder = folder
        self._env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(folder),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=False,
            # Without this, jinja2 stats each template file on every render to look for edits,
            # which cost more CPU than rendering. A renderer reads its templates once.
            auto_reload=False,
        )
        # Rendered texts keyed by the ids of the objects they were rendered from. Each entry
        # keeps a reference to those objects, so no other object can reuse one of its ids.
        self._prefixes: _Memo[tuple[Transcript, Rubric, tuple[str, str]]] = _Memo(MEMO_SIZE)
        self._criteria: _Memo[tuple[Rubric, tuple[Criterion, ...], str]] = _Memo(MEMO_SIZE)
        # Load every template now, so a missing file or a syntax error raises when the renderer
        # is built, before any model call. The environment keeps the parsed templates.
        for name in _TEMPLATES:
            self._template(name)

    def render_messages(
        self, transcript: Transcript, rubric: Rubric, criteria: Sequence[Criterion]
    ) -> list[dict[str, str]]:
        """Render the ``[system, transcript, criteria]`` messages of one model call.

        Template context:

        - ``system.j2``: ``rubric``, ``open_marker`` and ``close_marker``.
        - ``transcript.j2``: the same, and ``turns`` (each with ``index``, ``role``, ``time`` and
          ``text``).
        - ``criterion.j2``: ``rubric`` and ``criteria``. It gets nothing from the transcript, so
          its text is rendered once per criterion group and reused.
        """
        system, transcript_text = self._prefix(transcript, rubric)
        criteria_text = self._criteria_text(rubric, criteria)
        return [
            {"role": "system", "content": system},
            {"role": "user", "content": transcript_text},
            {"role": "user", "content": criteria_text},
        ]

    def check(self, rubric: Rubric, groups: Sequence[Sequence[Criterion]]) -> None:
        """Render every criterion group with a sample call; raise TemplateError if one fails.

        Loading a template finds a missing file or a syntax error, but an undefined name or an
        error inside an expression (``{{ 1/0 }}``) only shows when the template renders. The
        grader calls this once per run, so such a template stops the run before any model call
        instead of failing every call.

        NOTE: the sample call has two turns with times and plain text. A template that fails
        only on other transcripts (no times, one role) still fails at that call.
        """
        sample = Transcript(
            id="template-check",
            turns=[
                Turn(speaker="Agent", role="agent", text="Hello, this is Sam.", start=0.0, end=2.0),
                Turn(speaker="Customer", role="customer", text="Hi Sam.", start=2.5, end=3.5),
            ],
        )
        for criteria in groups:
            self.render_messages(sample, rubric, criteria)

    def _prefix(self, transcript: Transcript, rubric: Rubric) -> tuple[str, str]:
        """Return the system and transcript messages.

        Every criterion of one call has the same prefix, so it is rendered once per transcript
        and rubric object: the grader calls this once per criterion with the same two objects.

        NOTE: a transcript changed in place after its first render keeps its first prefix while
        the entry lasts; the grader never changes one.
        """
        key = (id(transcript), id(rubric))
        found = self._prefixes.get(key)
        if found is not None:
            return found[2]

        open_marker, close_marker = transcript_markers(transcript)
        shared = {"rubric": rubric, "open_marker": open_marker, "close_marker": close_marker}
        system = self._render(SYSTEM_TEMPLATE, shared)
        transcript_text = self._render(
            TRANSCRIPT_TEMPLATE, {**shared, "turns": _turn_views(transcript)}
        )
        self._prefixes.put(key, (transcript, rubric, (system, transcript_text)))
        return system, transcript_text

    def _criteria_text(self, rubric: Rubric, criteria: Sequence[Criterion]) -> str:
        """Return the criteria message; rubric and criteria are frozen, so it is reused."""
        key = (id(rubric), *(id(criterion) for criterion in criteria))
        found = self._criteria.get(key)
        if found is not None:
            return found[2]
        text = self._render(CRITERION_TEMPLATE, {"rubric": rubric, "criteria": list(criteria)})
        self._criteria.put(key, (rubric, tuple(criteria), text))
        return text

    def _template(self, name: str) -> jinja2.Template:
        """Load and parse one template, raising TemplateError that names the file and the fix."""
        try:
            return self._env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(
                f"prompt template {exc.name!r} not found in {self._folder}; {_folder_fix()}"
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            # jinja2's messages end with a period, which would stand before the semicolon.
            reason = (exc.message or "invalid syntax").rstrip(".")
            raise TemplateError(
                f"prompt template {name!r} in {self._folder} has a syntax error on line "
                f"{exc.lineno}: {reason}; fix the template"
            ) from None
        except UnicodeDecodeError:
            raise TemplateError(
                f"prompt template {name!r} in {self._folder} is not valid UTF-8; save it as UTF-8"
            ) from None

    def _render(self, name: str, context: dict[str, Any]) -> str:
        template = self._template(name)
        try:
            return template.render(**context)
        except jinja2.UndefinedError as exc:
            raise TemplateError(
                f"prompt template {name!r} in {self._folder} uses an undefined name: "
                f"{exc.message}; fix the name in the template ({name} gets "
                f"{_TEMPLATE_NAMES.get(name, 'no documented names')})"
            ) from None
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"prompt template {name!r} in {self._folder} failed: {exc}; fix the template"
            ) from None
        # An expression in the template can raise anything (``{{ 1/0 }}``). Callers catch the
        # library's errors, so it is reported as a TemplateError that names the template.
        except Exception as exc:
            raise TemplateError(
                f"prompt template {name!r} in {self._folder} failed while rendering: "
                f"{type(exc).__name__}: {exc}; fix the template"
            ) from None


def template_fingerprint(prompt_dir: Path | None = None) -> str:
    """Return a hash of ``PROMPT_VERSION`` and every file in the prompt folder.

    ``None`` means the shipped templates. Every file counts, hidden ones and those in
    subfolders too, because a template can include or import any file of its folder. Hidden
    folders (``.git``) are skipped. Two folders with the same files give the same hash wherever
    they are. A file that cannot be read changes the hash instead of raising, because the
    renderer reports a missing template itself when the run starts.
    """
    folder: Traversable = prompt_dir if prompt_dir is not None else resource_dir("prompts")
    digest = hashlib.sha256(f"prompt version {PROMPT_VERSION}\n".encode())
    for name, contents in _folder_files(folder, "", depth=0):
        digest.update(f"{name} {len(contents)}\n".encode())
        digest.update(contents)
    return digest.hexdigest()[:16]


_MAX_FOLDER_DEPTH = 8
"""Subfolder levels of a prompt folder that its fingerprint reads; a symlink loop stops here."""


def _folder_files(folder: Traversable, prefix: str, *, depth: int) -> list[tuple[str, bytes]]:
    """Return (relative name, contents) of the files under ``folder``, sorted by name."""
    if depth > _MAX_FOLDER_DEPTH:
        return [(prefix, b"<too deep>")]
    try:
        entries = sorted(folder.iterdir(), key=lambda entry: entry.name)
    except OSError:
        return [(prefix, b"<unreadable folder>")]
    files: list[tuple[str, bytes]] = []
    for entry in entries:
        name = f"{prefix}{entry.name}"
        if entry.is_dir():
            # Hidden folders hold tool state (.git), not templates.
            if not entry.name.startswith("."):
                files.extend(_folder_files(entry, f"{name}/", depth=depth + 1))
            continue
        try:
            files.append((name, entry.read_bytes()))
        except OSError:
            files.append((name, b"<unreadable>"))
    return files


def _check_prompt_dir(prompt_dir: Path) -> None:
    """Raise TemplateError when ``prompt_dir`` does not exist or is not a folder."""
    if not prompt_dir.exists():
        problem = "does not exist"
    elif not prompt_dir.is_dir():
        problem = "is not a folder"
    else:
        return
    raise TemplateError(f"prompt_dir {str(prompt_dir)!r} {problem}; {_folder_fix()}")


def _folder_fix() -> str:
    return (
        f"pass a folder that contains {SYSTEM_TEMPLATE}, {TRANSCRIPT_TEMPLATE} and "
        f"{CRITERION_TEMPLATE}, such as a copy of the shipped folder {resource_dir('prompts')}"
    )


def _turn_views(transcript: Transcript) -> list[_TurnView]:
    # A line break inside a turn could start a line that looks like a new turn, so each turn's
    # text is put on one line. Evidence matching folds whitespace, so quotes still match.
    return [
        _TurnView(
            index=index,
            role=_LINE_BREAKS.sub(" ", turn.role if turn.role != "unknown" else turn.speaker),
            time=format_time(turn.start),
            text=_LINE_BREAKS.sub(" ", turn.text).strip(),
        )
        for index, turn in enumerate(transcript.turns)
    ]
