"""Text folding and phrase matching for the offline phrase engine.

Turns and phrases are folded the same way (lower case, contractions expanded, punctuation
dropped, common speech-to-text spellings normalised), then a phrase matches a turn exactly on
word boundaries or, for longer phrases, fuzzily with rapidfuzz's ``partial_ratio``. A match
right after a negation word ("I can't offer you" → "i can not offer you") does not count.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ..indicators import Signal
from ..transcript import Transcript

__all__ = [
    "DEFAULT_FUZZY_THRESHOLD",
    "CompiledSignal",
    "FoldedTurn",
    "PhraseMatch",
    "compile_signal",
    "fold",
    "fold_transcript",
]

# partial_ratio score (0-100) a longer phrase needs to match. 88 accepts one wrong or
# missing letter in a 10-letter phrase (the usual speech-to-text slip) and rejects a
# different word of the same length.
DEFAULT_FUZZY_THRESHOLD = 88.0
# Phrases shorter than this match exactly only: fuzzy matching of "hi" or "no" would match
# nearly every turn.
FUZZY_MIN_CHARS = 8
# A negation counts when it is one of the three words before a match ("can not really offer").
NEGATION_WINDOW_WORDS = 3
# A negation never reaches across a sentence end, which folding keeps as a "|" word.
NEGATORS = frozenset({"not", "never", "unable", "neither", "nor"})
SENTENCE_BREAK = "|"
# Words too common to tell phrases apart; the fuzzy prefilter ignores them.
STOPWORDS = frozenset(
    {
        "that",
        "this",
        "with",
        "your",
        "have",
        "what",
        "will",
        "would",
        "about",
        "there",
        "they",
        "them",
        "from",
        "just",
        "like",
        "been",
        "were",
        "when",
        "could",
        "should",
        "going",
    }
)

_CONTRACTION = re.compile(r"\b([a-z]+)'([a-z]+)\b")
_NON_WORD = re.compile(r"[^\w|]+")
_SENTENCE_END = re.compile(r"[.!?;]+(\s|$)")
# Title abbreviations whose dot does not end a sentence ("Ms. Novak").
_TITLE_DOT = re.compile(r"\b(mr|mrs|ms|dr|st)\.")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# Subjects whose "'s" means "is"; on other words "'s" is a possessive and is dropped.
_IS_SUBJECTS = frozenset(
    {"it", "that", "what", "there", "here", "he", "she", "who", "where", "how"}
)
# Spellings speech-to-text engines write for spoken forms, folded to the written form.
_SPOKEN_FORMS = {
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "kinda": "kind of",
    "cuz": "because",
    "cause": "because",
    "cannot": "can not",
    "ok": "okay",
}


def fold(text: str) -> str:
    """Fold text for matching: lower case, contractions expanded, punctuation dropped.

    Sentence ends become a ``|`` word, so that no phrase or negation matches across them.
    """
    lowered = text.lower().translate(_APOSTROPHES).replace(SENTENCE_BREAK, " ")
    expanded = _CONTRACTION.sub(_expand_contraction, lowered)
    expanded = _SENTENCE_END.sub(f" {SENTENCE_BREAK} ", _TITLE_DOT.sub(r"\1", expanded))
    words = _NON_WORD.sub(" ", expanded).split()
    while words and words[-1] == SENTENCE_BREAK:
        words.pop()
    return " ".join(_SPOKEN_FORMS.get(word, word) for word in words)


def _expand_contraction(match: re.Match[str]) -> str:
    base, suffix = match.group(1), match.group(2)
    if suffix == "t" and base.endswith("n"):
        irregular = {"won": "will", "can": "can", "ain": "is", "shan": "shall"}
        return f"{irregular.get(base, base[:-1])} not"
    if suffix == "s":
        if base == "let":
            return "let us"
        return f"{base} is" if base in _IS_SUBJECTS else base
    endings = {"re": "are", "m": "am", "ll": "will", "ve": "have", "d": "would"}
    return f"{base} {endings[suffix]}" if suffix in endings else f"{base} {suffix}"


@dataclass(frozen=True)
class FoldedTurn:
    """One turn prepared for matching."""

    index: int
    """Index into ``Transcript.turns``."""
    role: str
    """The turn's role: agent, customer or unknown."""
    text: str
    """The folded text."""
    padded: str
    """The folded text with a space at each end, for whole-word ``find``."""
    prefixes: frozenset[str]
    """The first four letters of each word, for the fuzzy prefilter."""


def fold_transcript(transcript: Transcript) -> list[FoldedTurn]:
    """Fold every turn of a transcript once, for all the criteria that match against it."""
    folded = []
    for index, turn in enumerate(transcript.turns):
        text = fold(turn.text)
        folded.append(
            FoldedTurn(
                index=index,
                role=turn.role,
                text=text,
                padded=f" {text} ",
                prefixes=frozenset(word[:4] for word in text.split() if word != SENTENCE_BREAK),
            )
        )
    return folded


@dataclass(frozen=True)
class PhraseMatch:
    """Where a signal matched in one turn."""

    turn_index: int
    """Index into ``Transcript.turns``."""
    phrase: str
    """The folded phrase or the pattern that matched."""
    fuzzy: bool
    """Whether the match was fuzzy rather than exact."""


@dataclass(frozen=True)
class _CompiledPhrase:
    text: str
    padded: str
    fuzzy: bool
    keyword_prefixes: frozenset[str]
    prefixes_needed: int


@dataclass
class CompiledSignal:
    """A signal with its phrases folded and its patterns compiled."""

    signal: Signal
    """The signal as the rubric wrote it."""
    phrases: list[_CompiledPhrase] = field(default_factory=list)
    """The folded phrases."""
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    """The compiled patterns."""
    threshold: float = DEFAULT_FUZZY_THRESHOLD
    """The partial_ratio score a fuzzy match needs."""

    def match_turn(self, turn: FoldedTurn) -> PhraseMatch | None:
        """Return the first match of this signal in the turn that no negation cancels, or None."""
        for phrase in self.phrases:
            found = self._find_phrase(phrase, turn)
            if found is not None:
                return found
        for pattern in self.patterns:
            for match in pattern.finditer(turn.text):
                if not self._negated(turn.text, match.start()):
                    return PhraseMatch(turn.index, pattern.pattern, fuzzy=False)
        return None

    def _find_phrase(self, phrase: _CompiledPhrase, turn: FoldedTurn) -> PhraseMatch | None:
        # Exact match on word boundaries. Every occurrence is tried: the first may be negated.
        position = turn.padded.find(phrase.padded)
        exact_seen = position >= 0
        while position >= 0:
            if not self._negated(turn.text, position):
                return PhraseMatch(turn.index, phrase.text, fuzzy=False)
            position = turn.padded.find(phrase.padded, position + 1)
        if exact_seen or not phrase.fuzzy:
            return None

        # Fuzzy match, tried only when enough of the phrase's words begin the same way as words
        # of the turn: partial_ratio is the slow step, and most turns share no words with a phrase.
        shared = len(phrase.keyword_prefixes & turn.prefixes)
        if shared < phrase.prefixes_needed:
            return None
        alignment = fuzz.partial_ratio_alignment(
            phrase.text, turn.text, score_cutoff=self.threshold
        )
        if alignment is None or self._negated(turn.text, alignment.dest_start):
            return None
        return PhraseMatch(turn.index, phrase.text, fuzzy=True)

    def _negated(self, text: str, start: int) -> bool:
        if not self.signal.negation:
            return False
        before = text[:start].rpartition(SENTENCE_BREAK)[2].split()[-NEGATION_WINDOW_WORDS:]
        return any(word in NEGATORS for word in before)


def compile_signal(signal: Signal, threshold: float = DEFAULT_FUZZY_THRESHOLD) -> CompiledSignal:
    """Fold a signal's phrases and compile its patterns.

    Raises ``re.error`` for an invalid pattern.
    """
    compiled = CompiledSignal(signal=signal, threshold=threshold)
    for raw in signal.phrases:
        text = fold(raw)
        if not text:
            continue
        keywords = [word for word in text.split() if len(word) >= 4 and word not in STOPWORDS]
        prefixes = frozenset(word[:4] for word in keywords)
        compiled.phrases.append(
            _CompiledPhrase(
                text=text,
                padded=f" {text} ",
                # A phrase with one long word among short ones ("no thanks") would fuzzily match
                # any turn with that word ("fine thanks"), so it needs two long words to be fuzzy.
                fuzzy=len(text) >= FUZZY_MIN_CHARS and len(prefixes) >= 2,
                keyword_prefixes=prefixes,
                # Half the keywords, rounded up: one misheard word of two still passes.
                prefixes_needed=math.ceil(len(prefixes) / 2),
            )
        )
    compiled.patterns = [re.compile(pattern) for pattern in signal.patterns]
    return compiled
