"""Redaction: the rules, announced values across turns, idempotence, and what reaches a model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grading_responder import GradingResponder
from openai_server import OpenAIServer
from winback_grader import Transcript, Turn, grade, load_transcript
from winback_grader.redaction import redact_text, redact_transcript


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111 thanks", "my card is [CARD] thanks"),
        ("card 5500-0000-0000-0004 expires soon", "card [CARD] expires soon"),
        ("it's 378282246310005", "it's [CARD]"),
        (
            "four one one one one one one one one one one one one one one one",
            "[CARD]",
        ),
        (
            "Four, one, one, one, one, one, one, one, one, one, one, one, one, one, one, one.",
            "[CARD].",
        ),
        ("ssn 123-45-6789 ok", "ssn [SSN] ok"),
        ("it is 123 45 6789", "it is [SSN]"),
        ("write to jane.doe+news@example.co.uk today", "write to [EMAIL] today"),
        ("it's jane dot doe at gmail dot com", "it's [EMAIL]"),
        ("call (444) 814-9913?", "call [PHONE]?"),
        ("call 555.123.4567 or 1-800-555-0199", "call [PHONE] or [PHONE]"),
        ("from London +44 20 7946 0958", "from London [PHONE]"),
        ("five five five one two three four five six seven", "[PHONE]"),
        ("my password is hunter2 and more", "my password is [SECRET]"),
        ("My PIN is 4321. Thanks.", "My PIN is [SECRET]. Thanks."),
        ("the security code: 829.", "the security code: [SECRET]."),
        ("My account number is 9876 5432 10.", "My account number is [ACCOUNT]."),
        ("my date of birth is March 3rd, 1980.", "my date of birth is [DOB]."),
        ("My address is 998 Lockwood Drive in Maine. Yes.", "My address is [ADDRESS]. Yes."),
        ("order 1234567890123 arrived", "order [NUMBER] arrived"),
    ],
)
def test_rule_replaces_value(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I'm spending over $50 a month on four people.",
        "I got it in 2019 and the tablet is from 2015.",
        "Call me back at 10:30 tomorrow.",
        "card 4111 1111 1111 1112",  # fails the Luhn check: kept as a number, not a card
        "I have one two three problems.",
        "Can you confirm your password for me?",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    expected = "card [NUMBER]" if text.startswith("card") else text
    assert redact_text(text) == expected


def _call(*turns: tuple[str, str]) -> Transcript:
    return Transcript(
        id="c-1",
        turns=[Turn(speaker=speaker, role="unknown", text=text) for speaker, text in turns],
        metadata={"call_id": "c-1"},
    )


def test_answer_to_password_request_is_secret() -> None:
    call = _call(
        ("spk_0", "And can you confirm your password for me?"),
        ("spk_1", "It's busy as heck x thirty one. The b a h and the x are capitals."),
        ("spk_0", "Alright. I got that."),
    )
    assert [turn.text for turn in redact_transcript(call).turns] == [
        "And can you confirm your password for me?",
        "[SECRET]",
        "Alright. I got that.",
    ]


def test_answer_to_account_request_keeps_words() -> None:
    call = _call(
        ("spk_0", "To start, can I have your account number?"),
        ("spk_1", "Yeah. It's 3251 2567 5914, I think."),
    )
    assert redact_transcript(call).turns[1].text == "Yeah. It's [ACCOUNT], I think."


def test_answer_by_same_speaker_is_not_redacted() -> None:
    call = _call(("spk_0", "What is your account number?"), ("spk_0", "Take your time."))
    assert redact_transcript(call).turns[0].text == "What is your account number?"


def test_metadata_records_redaction() -> None:
    call = _call(("a", "Mail me at a@b.com or call 555-123-4567."), ("b", "Sure."))
    call.metadata.update(
        notes="customer asked to be called at 555-123-4567", agent_id="a-4455667788"
    )
    redacted = redact_transcript(call)
    assert redacted.metadata["redacted"] is True
    assert redacted.metadata["redactions"] == {"[EMAIL]": 1, "[PHONE]": 1}
    assert redacted.metadata["notes"] == "customer asked to be called at [PHONE]"
    assert redacted.metadata["agent_id"] == "a-4455667788"
    assert redacted.id == "c-1"
    assert (
        call.turns[0].text == "Mail me at a@b.com or call 555-123-4567."
    )  # the input is unchanged


def test_redaction_is_idempotent() -> None:
    call = _call(
        ("spk_0", "Can I have your account number? And your email?"),
        ("spk_1", "It's 12345678, and jane dot doe at gmail dot com. My PIN is 1234."),
    )
    once = redact_transcript(call)
    assert redact_transcript(once) == once
    stripped = once.model_copy(update={"metadata": {"call_id": "c-1"}})
    assert [turn.text for turn in redact_transcript(stripped).turns] == [
        turn.text for turn in once.turns
    ]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("0123456789 -().+@abcdeoniz:")), max_size=60))
def test_redact_text_is_idempotent(text: str) -> None:
    once = redact_text(text)
    assert redact_text(once) == once


def test_nothing_unredacted_reaches_model_or_cache(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text(
        "Agent: Thanks for calling Acme, how can I help? Can I have your account number?\n"
        "Customer: Sure, it's 325125675914. My email is beth.idle@example.com.\n"
        "Agent: And can you confirm your password for me?\n"
        "Customer: It's busy as heck x thirty one.\n"
        "Agent: Is your phone number still (444) 814-9913?\n"
        "Customer: Yes it is.\n",
        encoding="utf-8",
    )
    secrets = [b"325125675914", b"beth.idle@example.com", b"busy as heck", b"814-9913"]
    responder = GradingResponder()
    with OpenAIServer(responder) as server:
        scorecard = grade(
            path, model="openai/test-model", api_base=server.base_url, api_key="sk-test"
        )
        bodies = b"".join(request.raw for request in server.chat_requests())
    assert server.chat_requests()
    for secret in secrets:
        assert secret not in bodies
    assert b"[ACCOUNT]" in bodies
    assert b"[SECRET]" in bodies
    for secret in secrets:
        assert secret.decode() not in scorecard.model_dump_json()
    cache_dir = Path(os.environ["WINBACK_GRADER_CACHE_DIR"])
    cached = b"".join(p.read_bytes() for p in cache_dir.rglob("*") if p.is_file())
    for secret in secrets:
        assert secret not in cached


def test_redact_false_sends_text_as_is(tmp_path: Path) -> None:
    path = tmp_path / "call.txt"
    path.write_text(
        "Agent: Thanks for calling Acme, how can I help you today?\n"
        "Customer: Please call me back on 555-123-4567 tomorrow.\n",
        encoding="utf-8",
    )
    with OpenAIServer(GradingResponder()) as server:
        grade(
            path,
            model="openai/test-model",
            api_base=server.base_url,
            api_key="sk-test",
            redact=False,
        )
        bodies = b"".join(request.raw for request in server.chat_requests())
    assert b"555-123-4567" in bodies


def test_premier_style_call_from_loaded_text() -> None:
    text = (
        "Agent: Thank you for calling. To start, can I have your account number?\n"
        "Customer: Yeah. It's 325125675914.\n"
    )
    redacted = redact_transcript(load_transcript(text=text))
    assert redacted.turns[1].text == "Yeah. It's [ACCOUNT]."
