"""Text folding and phrase matching for the offline phrase engine.

Turns and phrases are folded the same way (lower case, contractions expanded, punctuation
dropped, common speech-to-text spellings normalised), then a phrase matches a turn exactly on
word boundaries or, for longer phrases, fuzzily with rapidfuzz's ``partial_ratio``. A match
right after a negation word ("I can't offer you" → "i can not offer you") does not count.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import chain
from typing import NamedTuple

from rapidfuzz import fuzz

from ..indicators import Signal
from ..transcript import Transcript

__all__ = [
    "DEFAULT_FUZZY_THRESHOLD",
    "CompiledSignal",
    "FoldedTranscript",
    "FoldedTurn",
    "PhraseMatch",
    "compile_signal",
    "fold",
    "fold_transcript",
]

# partial_ratio score (0-100) a longer phrase needs to match. With rapidfuzz's Indel ratio,
# one wrong letter in a ten-letter phrase scores 90 and passes; two wrong letters score 80.
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
# A word, or a sentence mark followed by a space or the end of the text.
_TOKEN = re.compile(r"\w+|[.!?;](?=\s|$)|\n")
_SENTENCE_MARKS = frozenset(".!?;")
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
    return fold_many([text])[0]


def fold_many(texts: list[str]) -> list[str]:
    """Fold several texts at once, as ``fold`` does each.

    The texts are joined by newlines so that every regex runs once over the whole call
    instead of once per turn, because the overhead of each regex call was most of the
    folding time.
    """
    joined = "\n".join(text.replace("\n", " ") for text in texts)
    lowered = joined.lower().translate(_APOSTROPHES)
    # The regexes scan every character, so each runs only when its trigger character occurs.
    if "'" in lowered:
        lowered = _CONTRACTION.sub(_expand_contraction, lowered)
    if "." in lowered:
        lowered = _TITLE_DOT.sub(r"\1", lowered)

    # One pass finds the words, the sentence ends and the text boundaries; everything else
    # (punctuation, and "|" itself) is dropped.
    folded: list[str] = []
    words: list[str] = []
    for token in _TOKEN.findall(lowered):
        if token == "\n":
            folded.append(_join_words(words))
            words = []
        elif token in _SENTENCE_MARKS:
            words.append(SENTENCE_BREAK)
        else:
            words.append(_SPOKEN_FORMS.get(token, token))
    folded.append(_join_words(words))
    return folded


def _join_words(words: list[str]) -> str:
    while words and words[-1] == SENTENCE_BREAK:
        words.pop()
    return " ".join(words)


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


class FoldedTurn(NamedTuple):
    """One turn prepared for matching."""

    turn_index: int
    """Index into ``Transcript.turns``."""
    role: str
    """The turn's role: agent, customer or unknown."""
    text: str
    """The folded text."""
    padded: str
    """The folded text with a space at each end, for whole-word ``find``."""


@dataclass
class FoldedTranscript:
    """A transcript's turns folded once, with indexes from words to the turns that contain them.

    The indexes let a phrase look only at the turns that contain its longest word (exact) or
    enough of its keyword prefixes (fuzzy), instead of at every turn.
    """

    turns: list[FoldedTurn]
    """The folded turns, in transcript order."""
    word_turns: dict[str, set[int]] = field(default_factory=dict)
    """Word → indexes of the turns that contain it."""
    prefix_turns: dict[str, set[int]] = field(default_factory=dict)
    """First four letters of a word → indexes of the turns with such a word."""
    role_turns: dict[str, list[int]] = field(default_factory=dict)
    """Role → indexes of its turns in order; ``"any"`` → every turn."""
    sentences: dict[int, tuple[list[str], list[str]]] = field(default_factory=dict)
    """Turn index → its sentences and their folded forms, filled when a long turn is quoted."""


def fold_transcript(transcript: Transcript) -> FoldedTranscript:
    """Fold every turn of a transcript once, for all the criteria that match against it."""
    texts = fold_many([turn.text for turn in transcript.turns])
    turns = []
    # defaultdict, not setdefault(word, set()): setdefault builds a new set on every call.
    word_turns: defaultdict[str, set[int]] = defaultdict(set)
    for index, (turn, text) in enumerate(zip(transcript.turns, texts, strict=True)):
        turns.append(FoldedTurn(turn_index=index, role=turn.role, text=text, padded=f" {text} "))
        for word in set(text.split()):
            word_turns[word].add(index)

    # Built from the distinct words, which are far fewer than the words spoken.
    prefix_turns: defaultdict[str, set[int]] = defaultdict(set)
    for word, indexes in word_turns.items():
        prefix_turns[word[:4]].update(indexes)
    role_turns: dict[str, list[int]] = {"any": list(range(len(turns)))}
    for folded_turn in turns:
        role_turns.setdefault(folded_turn.role, []).append(folded_turn.turn_index)
    return FoldedTranscript(
        turns=turns,
        word_turns=dict(word_turns),
        prefix_turns=dict(prefix_turns),
        role_turns=role_turns,
    )


# NamedTuples rather than frozen dataclasses: thousands are built per call, and a frozen
# dataclass is several times slower to construct.
class PhraseMatch(NamedTuple):
    """A signal's match in one turn: the turn and the phrase that matched."""

    turn_index: int
    """Index into ``Transcript.turns``."""
    phrase: str
    """The folded phrase or the pattern that matched."""
    fuzzy: bool
    """Whether the match was fuzzy rather than exact."""


@dataclass(frozen=True)
class _Phrase:
    text: str
    padded: str
    key_word: str
    keyword_prefixes: frozenset[str]
    prefixes_needed: int
    fuzzy: bool


@dataclass
class CompiledSignal:
    """A signal with its phrases folded and its patterns compiled."""

    signal: Signal
    """The signal as the rubric wrote it."""
    phrases: list[_Phrase] = field(default_factory=list)
    """The folded phrases, in the rubric's order."""
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    """The compiled patterns."""
    threshold: float = DEFAULT_FUZZY_THRESHOLD
    """The partial_ratio score a fuzzy match needs."""

    def match_turns(self, folded: FoldedTranscript, candidates: list[int]) -> list[PhraseMatch]:
        """Return the first match not cancelled by a negation in each candidate turn, in turn order.

        ``candidates`` are the indexes of the turns the signal's role and window allow.
        """
        allowed = set(candidates)
        found: dict[int, PhraseMatch] = {}

        # Exact phrases: only turns that contain the phrase's key word can match.
        for phrase in self.phrases:
            containing = folded.word_turns.get(phrase.key_word)
            if containing is None:
                continue
            for index in containing & allowed:
                if index not in found and self._find_exact(phrase, folded.turns[index]):
                    found[index] = PhraseMatch(index, phrase.text, fuzzy=False)

        # Patterns run on every allowed turn that has no match yet.
        for pattern in self.patterns:
            for index in candidates:
                if index in found:
                    continue
                text = folded.turns[index].text
                for match in pattern.finditer(text):
                    if not self._negated(text, match.start()):
                        found[index] = PhraseMatch(index, pattern.pattern, fuzzy=False)
                        break

        # Fuzzy matching is the slow step: it runs only on turns with enough words that begin
        # like the phrase's keywords, and only where nothing matched exactly.
        for phrase in self.phrases:
            if phrase.fuzzy:
                self._match_fuzzy(phrase, folded, allowed, found)

        return [found[index] for index in sorted(found)]

    def _find_exact(self, phrase: _Phrase, turn: FoldedTurn) -> bool:
        # Every occurrence is tried, because the first may be negated.
        position = turn.padded.find(phrase.padded)
        while position >= 0:
            if not self._negated(turn.text, position):
                return True
            position = turn.padded.find(phrase.padded, position + 1)
        return False

    def _match_fuzzy(
        self,
        phrase: _Phrase,
        folded: FoldedTranscript,
        allowed: set[int],
        found: dict[int, PhraseMatch],
    ) -> None:
        present = [
            folded.prefix_turns[p] for p in phrase.keyword_prefixes if p in folded.prefix_turns
        ]
        if len(present) < phrase.prefixes_needed:
            return
        # Turns with enough of the phrase's keyword prefixes; set and Counter work runs in C.
        if phrase.prefixes_needed <= 1:
            candidates = set().union(*present)
        elif phrase.prefixes_needed == len(present):
            candidates = set.intersection(*present)
        else:
            counts = Counter(chain.from_iterable(present))
            candidates = {
                index for index, count in counts.items() if count >= phrase.prefixes_needed
            }
        for index in candidates & allowed:
            if index in found:
                continue
            text = folded.turns[index].text
            alignment = fuzz.partial_ratio_alignment(phrase.text, text, score_cutoff=self.threshold)
            if alignment is not None and not self._negated(text, alignment.dest_start):
                found[index] = PhraseMatch(index, phrase.text, fuzzy=True)

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
    seen: set[str] = set()
    for raw in signal.phrases:
        text = fold(raw)
        if not text or text in seen:
            continue
        seen.add(text)
        keywords = [word for word in text.split() if len(word) >= 4 and word not in STOPWORDS]
        prefixes = frozenset(word[:4] for word in keywords)
        compiled.phrases.append(
            _Phrase(
                text=text,
                padded=f" {text} ",
                # The longest word is usually the rarest, so it narrows the candidate turns most.
                key_word=max(text.split(), key=len),
                keyword_prefixes=prefixes,
                prefixes_needed=_prefixes_needed(len(prefixes)),
                # A phrase with one long word among short ones ("no thanks") would fuzzily
                # match any turn with that word ("fine thanks"), so it needs two long words.
                fuzzy=len(text) >= FUZZY_MIN_CHARS and len(prefixes) >= 2,
            )
        )
    compiled.patterns = [re.compile(pattern) for pattern in signal.patterns]
    return compiled


def _prefixes_needed(keywords: int) -> int:
    """Return how many keyword prefixes a turn must share before fuzzy matching is tried.

    Speech-to-text slips mostly change the end of a word ("recordid"), which keeps its first
    four letters, so a two-keyword phrase needs both prefixes and a longer phrase all but one.
    Looser settings ran partial_ratio on hundreds of turns per call for about one match.
    """
    return keywords if keywords <= 2 else keywords - 1
