"""Quote verification: find a model's evidence quotes in the transcript and locate them to turns.

Both the quote and each turn are folded before matching: Unicode NFKC, case folding, curly
quote marks to straight ones, and runs of whitespace to one space. A quote may leave text out
with "..." (or "…"). Its pieces must then appear in order, at most ``MAX_GAP_CHARS`` apart, in
one turn or two adjacent turns. The text left out must not contain a negation, so a quote that
drops a "not" is not verified. Quotes shorter than ``MIN_QUOTE_WORDS`` words are not evidence;
each Chinese or Japanese character counts as one word, because those languages use no spaces.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .scorecard import Evidence
from .transcript import Transcript

__all__ = [
    "MAX_GAP_CHARS",
    "MIN_QUOTE_WORDS",
    "evidence_for_turn",
    "fold",
    "locate",
    "verify_quotes",
]

MIN_QUOTE_WORDS = 3
"""A quote needs at least this many words in total to count as evidence."""

MAX_GAP_CHARS = 120
"""Most folded characters that an ellipsis may leave out between two pieces of a quote."""

_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    }
)
_ELLIPSIS = re.compile(r"\s*\[?\s*\.{3,}\s*\]?\s*")
_EDGE_PUNCTUATION = " \"'.,;:!?-"
_NEGATION = re.compile(r"(?<!\w)(?:not|no|never|nor|cannot|without|none|nobody|nothing)(?!\w)|n't")
# Chinese and Japanese are written without spaces, so each of their characters counts as a word
# and may start or end a quote piece inside a run of text.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")


@dataclass(frozen=True)
class _Folded:
    """A folded text and, for each of its characters, the index of the source character."""

    text: str
    positions: list[int]


def fold(text: str) -> str:
    """Return the text as matching compares it: NFKC, case-folded, straight quotes, one space."""
    return _fold(text).text


_NON_SPACE = re.compile(r"\S+")


def _fold(text: str) -> _Folded:
    if text.isascii():
        return _fold_ascii(text)
    return _fold_unicode(text)


def _fold_ascii(text: str) -> _Folded:
    """Fold ASCII text as ``_fold_unicode`` does, one word at a time instead of one character.

    On ASCII, NFC and NFKC change nothing and case folding is ``lower()``, so only the
    whitespace runs need care. Most transcripts are ASCII.
    """
    chars: list[str] = []
    positions: list[int] = []
    lowered = text.lower().translate(_QUOTE_MARKS)
    for word in _NON_SPACE.finditer(lowered):
        if chars:
            # One space for the whitespace run before this word, at the run's first character.
            chars.append(" ")
            positions.append(positions[-1] + 1)
        chars.append(word.group())
        positions.extend(range(word.start(), word.end()))
    return _Folded("".join(chars), positions)


def _fold_unicode(text: str) -> _Folded:
    source = unicodedata.normalize("NFC", text)
    chars: list[str] = []
    positions: list[int] = []
    after_space = True  # drops leading whitespace
    for index, char in enumerate(source):
        for folded in unicodedata.normalize("NFKC", char).casefold().translate(_QUOTE_MARKS):
            if folded.isspace():
                if after_space:
                    continue
                folded = " "
                after_space = True
            else:
                after_space = False
            chars.append(folded)
            positions.append(index)
    if chars and chars[-1] == " ":
        chars.pop()
        positions.pop()
    return _Folded("".join(chars), positions)


# Every quote of every criterion is searched in all turns of the call, so one call's turns are
# folded again for each quote. The memo holds the turns of the calls being graded at once; a
# batch run with the default concurrency of 32 keeps about 32 calls of 60 turns in flight.
_fold_turn = functools.lru_cache(maxsize=4096)(_fold)


def _quote_pieces(quote: str) -> list[str]:
    """Split a folded quote at its ellipses and trim quote marks and punctuation from each piece."""
    pieces = [piece.strip(_EDGE_PUNCTUATION) for piece in _ELLIPSIS.split(fold(quote))]
    return [piece for piece in pieces if piece]


def _piece_pattern(piece: str) -> re.Pattern[str]:
    # Pieces match whole words only, so "no" cannot match inside "know". A Chinese or Japanese
    # character next to a piece is a word boundary, as a space is.
    prefix = rf"(?<![^\W{_CJK}])" if _needs_boundary(piece[0]) else ""
    suffix = rf"(?![^\W{_CJK}])" if _needs_boundary(piece[-1]) else ""
    return re.compile(prefix + re.escape(piece) + suffix)


def _needs_boundary(char: str) -> bool:
    return char.isalnum() and _CJK_CHAR.match(char) is None


@dataclass(frozen=True)
class _Match:
    first_turn: int
    last_turn: int
    spans: list[tuple[int, int, int]]
    """(turn index, start, end) of each piece in the folded turn text."""


def _match_from(
    folded_turns: Sequence[_Folded], patterns: Sequence[re.Pattern[str]], turn: int, start: int
) -> _Match | None:
    """Match every piece in order, the first one at ``start`` of ``turn``, within two turns."""
    first = patterns[0].match(folded_turns[turn].text, start)
    if first is None:
        return None
    spans = [(turn, first.start(), first.end())]
    current_turn, position = turn, first.end()

    for pattern in patterns[1:]:
        found = pattern.search(folded_turns[current_turn].text, position)
        if found is not None:
            gap = folded_turns[current_turn].text[position : found.start()]
            next_turn, found_start, found_end = current_turn, found.start(), found.end()
        elif current_turn == turn and turn + 1 < len(folded_turns):
            # The next piece may continue in the following turn, but never further away.
            found = pattern.search(folded_turns[turn + 1].text)
            if found is None:
                return None
            gap = (
                folded_turns[current_turn].text[position:]
                + " "
                + folded_turns[turn + 1].text[: found.start()]
            )
            next_turn, found_start, found_end = turn + 1, found.start(), found.end()
        else:
            return None

        if len(gap) > MAX_GAP_CHARS or _NEGATION.search(gap):
            return None
        spans.append((next_turn, found_start, found_end))
        current_turn, position = next_turn, found_end

    return _Match(first_turn=turn, last_turn=current_turn, spans=spans)


def _find(
    folded_turns: Sequence[_Folded], pieces: Sequence[str], turn_order: Iterable[int]
) -> _Match | None:
    patterns = [_piece_pattern(piece) for piece in pieces]
    for turn in turn_order:
        for candidate in patterns[0].finditer(folded_turns[turn].text):
            match = _match_from(folded_turns, patterns, turn, candidate.start())
            if match is not None:
                return match
    return None


def _source_text(transcript: Transcript, folded_turns: Sequence[_Folded], match: _Match) -> str:
    """Return the matched text as the transcript spells it, pieces joined by " ... "."""
    pieces: list[str] = []
    for turn_index, start, end in _merge_spans(match.spans):
        source = unicodedata.normalize("NFC", transcript.turns[turn_index].text)
        positions = folded_turns[turn_index].positions
        pieces.append(source[positions[start] : positions[end - 1] + 1])
    return " ... ".join(pieces)


def _merge_spans(spans: Sequence[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    # Pieces in one turn become one stretch of that turn, so the quote reads as the turn does.
    merged: list[tuple[int, int, int]] = []
    for turn, start, end in spans:
        if merged and merged[-1][0] == turn:
            merged[-1] = (turn, merged[-1][1], end)
        else:
            merged.append((turn, start, end))
    return merged


def locate(quote: str, transcript: Transcript, turn: int | None = None) -> Evidence:
    """Find one quote in the transcript; return it verified and located, or unverified as given.

    ``turn`` is the turn number the model cited; it is searched first, then every turn in
    order, because models often cite a neighbouring turn.
    """
    unverified = Evidence(quote=quote, verified=False)
    pieces = _quote_pieces(quote)
    word_count = sum(len(_WORD.findall(piece)) for piece in pieces)
    if not pieces or word_count < MIN_QUOTE_WORDS or not transcript.turns:
        return unverified

    folded_turns = [_fold_turn(t.text) for t in transcript.turns]
    order = list(range(len(transcript.turns)))
    if turn is not None and 0 <= turn < len(order):
        order.remove(turn)
        order.insert(0, turn)
    match = _find(folded_turns, pieces, order)
    if match is None:
        return unverified

    first = transcript.turns[match.first_turn]
    last = transcript.turns[match.last_turn]
    return Evidence(
        quote=_source_text(transcript, folded_turns, match),
        turn_index=match.first_turn,
        speaker=first.role if first.role != "unknown" else first.speaker,
        start=first.start,
        end=last.end,
        verified=True,
    )


def verify_quotes(
    quotes: Iterable[tuple[str, int | None]], transcript: Transcript
) -> list[Evidence]:
    """Locate each ``(quote, cited turn)`` pair; see ``locate``."""
    return [locate(quote, transcript, turn) for quote, turn in quotes]


def evidence_for_turn(transcript: Transcript, turn_index: int, text: str | None = None) -> Evidence:
    """Build verified evidence for a known turn: the whole turn, or ``text`` found inside it.

    For engines that already know where the evidence is (the offline phrase engine). When
    ``text`` is not in that turn, the result is unverified.
    """
    turn = transcript.turns[turn_index]
    quote = turn.text if text is None else text
    if text is not None:
        folded = _fold(turn.text)
        found = fold(text)
        position = folded.text.find(found) if found else -1
        if position < 0:
            return Evidence(quote=text, verified=False)
        source = unicodedata.normalize("NFC", turn.text)
        end = position + len(found) - 1
        quote = source[folded.positions[position] : folded.positions[end] + 1]
    return Evidence(
        quote=quote,
        turn_index=turn_index,
        speaker=turn.role if turn.role != "unknown" else turn.speaker,
        start=turn.start,
        end=turn.end,
        verified=True,
    )
