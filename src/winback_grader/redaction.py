"""Redaction of personal data before any text reaches a model, a cache or a result.

Each match is replaced by a typed placeholder:

    [CARD]     payment card numbers that pass the Luhn check, written or spoken digit by digit
    [SSN]      US social security numbers (123-45-6789, 123 45 6789)
    [EMAIL]    email addresses, also as ASR writes them ("jane dot doe at gmail dot com")
    [PHONE]    phone numbers: US forms such as (444) 814-9913, and +country forms
    [SECRET]   a value the speaker announces: "my password is ...", PIN, security code, CVV
    [ACCOUNT]  an announced account, member or routing number
    [ADDRESS], [ZIP], [DOB]   an announced address, ZIP code or date of birth
    [NUMBER]   any other run of 8 or more digits (7 or more when spoken)

A value can also be announced across turns: when one speaker asks for a password or an
account number, the next speaker's answer is redacted. Placeholders contain no digits and no
keywords, so redacting twice changes nothing.

NOTE: names and street addresses that nobody announces stay in the text; no rule finds them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from .transcript import Transcript, Turn

__all__ = ["redact_text", "redact_transcript"]

# Metadata keys whose values are identifiers or fixed vocabulary, kept as they are.
_METADATA_KEPT = frozenset(
    {
        "call_id",
        "agent_id",
        "team",
        "started_at",
        "duration",
        "outcome",
        "csat",
        "format",
        "roles",
        "role_source",
        "role_evidence",
        "request_id",
        "transcript_id",
        "job_name",
        "language",
        "redacted",
        "redactions",
    }
)

# --- numbers ------------------------------------------------------------------------------

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_DIGIT_TOKEN = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|\d)"


def _spoken_run(min_tokens: int) -> str:
    """Build a pattern for ``min_tokens`` or more digit words or digits, with separators."""
    return rf"\b{_DIGIT_TOKEN}(?:[\s,-]+{_DIGIT_TOKEN}){{{min_tokens - 1},}}\b"


_SPOKEN_RUN = re.compile(_spoken_run(7), re.IGNORECASE)
# In the answer to "what is your account number?", four digits are enough to be the value.
_ANSWER_NUMBER = re.compile(rf"(?<!\d)\d(?:[\s-]?\d){{3,}}(?!\d)|{_spoken_run(4)}", re.IGNORECASE)
_WRITTEN_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"\+\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"  # +44 20 7946 0958
    r"|(?:1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}"  # (444) 814-9913
    r")(?!\d)"
)
_LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ -]?\d){7,}(?!\d)")

# --- emails -------------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SPOKEN_EMAIL = re.compile(
    r"\b\w+(?:\s+(?:dot|underscore)\s+\w+)*\s+at\s+\w+(?:\s+dot\s+\w+)*"
    r"\s+dot\s+(?:com|net|org|edu|gov|io|co|us|uk|ca)\b",
    re.IGNORECASE,
)

# --- announced values ---------------------------------------------------------------------

# Keyword -> placeholder. Longer keywords come first so that "pin number" wins over "pin".
_ANNOUNCED_KEYS: list[tuple[str, str]] = [
    (r"social security number|social|ssn", "[SSN]"),
    (r"(?:credit |debit )?card number", "[CARD]"),
    (
        r"password|passcode|pass code|pin number|pin code|pin|security code|security answer"
        r"|cvv|cvc|verification code",
        "[SECRET]",
    ),
    (
        r"account number|account no\.?|acct number|member(?:ship)? number|routing number"
        r"|customer number|policy number",
        "[ACCOUNT]",
    ),
    (r"date of birth|birth date|birthday|dob", "[DOB]"),
    (r"zip code|zip|postal code|post code", "[ZIP]"),
    (r"(?:billing |home |street |mailing )?address", "[ADDRESS]"),
]
_PLACEHOLDER = re.compile(r"\[(?:CARD|SSN|EMAIL|PHONE|SECRET|ACCOUNT|ADDRESS|ZIP|DOB|NUMBER)\]")
_KEYWORD = "|".join(f"(?:{pattern})" for pattern, _ in _ANNOUNCED_KEYS)
# "my password is busy as heck x thirty one." The value runs to the end of its sentence.
_ANNOUNCED = re.compile(
    rf"\b(?P<key>{_KEYWORD})\b(?P<link>\s*(?:is|was|would be|will be|it's|:|=)\s+)"
    r"(?P<value>(?:(?![.!?](?:\s|$)).)+)",
    re.IGNORECASE,
)
# A request for a value: the sentence names a keyword and asks ("?") or requests it.
_REQUEST = re.compile(
    rf"\b(?P<key>{_KEYWORD})\b[^.!?]*\?"
    rf"|\b(?:confirm|verify|provide|give me|tell me|read me|need)\b[^.!?]*\b(?P<key2>{_KEYWORD})\b",
    re.IGNORECASE,
)


def _placeholder_for(keyword: str) -> str:
    for pattern, placeholder in _ANNOUNCED_KEYS:
        if re.fullmatch(pattern, keyword, re.IGNORECASE):
            return placeholder
    return "[SECRET]"


def _luhn_valid(digits: str) -> bool:
    """Check the Luhn checksum that every payment card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _spoken_digits(run: str) -> str:
    tokens = re.findall(_DIGIT_TOKEN, run, re.IGNORECASE)
    return "".join(_DIGIT_WORDS.get(token.lower(), token) for token in tokens)


def _classify_spoken_run(match: re.Match[str]) -> str:
    digits = _spoken_digits(match.group(0))
    if 13 <= len(digits) <= 19 and _luhn_valid(digits):
        return "[CARD]"
    if len(digits) in (10, 11):
        return "[PHONE]"
    return "[NUMBER]"


def _replace_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[CARD]" if _luhn_valid(digits) else match.group(0)


def _replace_announced(match: re.Match[str]) -> str:
    if _PLACEHOLDER.fullmatch(match["value"].strip()):
        return match.group(0)  # an earlier rule already replaced the value
    return f"{match['key']}{match['link']}{_placeholder_for(match['key'])}"


# Literal fragments, one of which is inside every announced-value keyword above. Most turns
# contain none of them, so they skip the keyword patterns, which cost the most time.
_KEYWORD_HINTS = (
    "social", "ssn", "card", "pass", "pin", "security", "cvv", "cvc", "verification",
    "account", "acct", "member", "routing", "customer number", "policy",
    "birth", "dob", "zip", "postal", "post code", "address",
)  # fmt: skip
_DIGIT = re.compile(r"\d")


def _has_keyword(text: str) -> bool:
    # Substring tests are several times faster here than one regex alternation.
    lowered = text.lower()
    return any(hint in lowered for hint in _KEYWORD_HINTS)


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _has_at_sign(text: str) -> bool:
    return "@" in text


def _has_dot_word(text: str) -> bool:
    return "dot" in text.lower()


def _may_have_spoken_run(text: str) -> bool:
    # Substring counts over-count digit words ("one" in "someone"), never under-count them,
    # so a text below 7 cannot hold a run of 7 digit tokens.
    lowered = text.lower()
    count = len(_DIGIT.findall(lowered))
    for word in _DIGIT_WORDS:
        count += lowered.count(word)
    return count >= 7


_TEXT_RULES: list[
    tuple[Callable[[str], bool], re.Pattern[str], str | Callable[[re.Match[str]], str]]
] = [
    (_has_at_sign, _EMAIL, "[EMAIL]"),
    (_has_dot_word, _SPOKEN_EMAIL, "[EMAIL]"),
    (_has_keyword, _ANNOUNCED, _replace_announced),
    (_has_digit, _WRITTEN_CARD, _replace_card),
    (_has_digit, _SSN, "[SSN]"),
    (_has_digit, _PHONE, "[PHONE]"),
    (_may_have_spoken_run, _SPOKEN_RUN, _classify_spoken_run),
    (_has_digit, _LONG_NUMBER, "[NUMBER]"),
]
"""Applied in order: emails and announced values first, so that their digits are not split up.
Each rule's pattern runs only when its cheap precondition holds for the text."""


def redact_text(text: str) -> str:
    """Replace personal data in one piece of text with typed placeholders."""
    return _apply_rules(text, _has_keyword(text))


def _apply_rules(text: str, mentions_keyword: bool) -> str:
    # ``mentions_keyword`` is the keyword test of the turn before any replacement. What is
    # replaced before the keyword rule runs ([EMAIL], or a whole answer turned into one
    # placeholder) cannot form a "keyword is value" phrase, so that test still decides.
    for may_match, pattern, replacement in _TEXT_RULES:
        applies = mentions_keyword if may_match is _has_keyword else may_match(text)
        if applies:
            text = pattern.sub(replacement, text)
    return text


def _requested_placeholder(question: str) -> str | None:
    """Return the placeholder for the value a turn asks for, or None when it asks for none."""
    requests = list(_REQUEST.finditer(question))
    if not requests:
        return None
    last = requests[-1]  # the last request in the turn is the one the next turn answers
    return _placeholder_for(last["key"] or last["key2"])


def _redact_answer(answer: str, placeholder: str) -> str:
    """Redact the answer to a request: its numbers, or all of it when it has none."""
    if placeholder in ("[ACCOUNT]", "[CARD]", "[SSN]", "[ZIP]"):
        redacted = _ANSWER_NUMBER.sub(placeholder, answer)
        if redacted != answer:
            return redacted
    if _PLACEHOLDER.search(answer):
        return answer  # redacted by an earlier pass, which saw the value
    # A spoken password or address has no shape to find, so the whole answer goes.
    return placeholder


def _redact_turns(turns: list[Turn]) -> tuple[list[Turn], Counter[str]]:
    counts: Counter[str] = Counter()
    redacted: list[Turn] = []
    previous: Turn | None = None
    previous_mentions_keyword = False
    for turn in turns:
        text = turn.text
        mentions_keyword = _has_keyword(text)
        # Only a turn that names a keyword can request a value from the next speaker.
        if previous is not None and previous_mentions_keyword and previous.speaker != turn.speaker:
            placeholder = _requested_placeholder(previous.text)
            if placeholder is not None:
                text = _redact_answer(text, placeholder)
        text = _apply_rules(text, mentions_keyword)
        if "[" in text:
            counts.update(_PLACEHOLDER.findall(text))
        redacted.append(turn if text == turn.text else turn.model_copy(update={"text": text}))
        previous = turn
        previous_mentions_keyword = mentions_keyword
    return redacted, counts


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    return value


def redact_transcript(transcript: Transcript) -> Transcript:
    """Return a copy with personal data replaced in every turn and in free-text metadata.

    Idempotent: redacting a redacted transcript returns it unchanged. The copy's metadata
    records ``redacted=True`` and ``redactions``, the count of each placeholder in the turns.
    """
    if transcript.metadata.get("redacted") is True:
        return transcript
    turns, counts = _redact_turns(transcript.turns)
    metadata = {
        key: value if key in _METADATA_KEPT else _redact_value(value)
        for key, value in transcript.metadata.items()
    }
    metadata["redacted"] = True
    metadata["redactions"] = dict(sorted(counts.items()))
    return transcript.model_copy(update={"turns": turns, "metadata": metadata})
