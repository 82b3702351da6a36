"""Real conversations graded offline with the default rubric, criterion by criterion.

Each assertion is the grade a QA analyst reading the conversation would give where it is
unambiguous under the rubric's level descriptions; the comment states what in the call makes
it so. Criteria that an analyst could reasonably grade either way are left unasserted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from winback_grader import Scorecard, Transcript, TranscriptError, Turn, grade, load_transcript


def load_or_skip(path: Path, **options: object) -> Transcript:
    """Load a real file, skipping the test while no reader for its format exists yet."""
    try:
        return load_transcript(path, **options)  # type: ignore[arg-type]
    except TranscriptError as exc:
        pytest.skip(f"load_transcript cannot read {path.name} yet: {exc}")


@pytest.fixture(scope="module")
def premier(shared_data: Path) -> Scorecard:
    path = shared_data / "premier-phone-cancel-call" / "deepgram_nova3_diarized.json"
    return grade(load_or_skip(path), "winback")


def test_premier_roles_agent_first(shared_data: Path) -> None:
    path = shared_data / "premier-phone-cancel-call" / "deepgram_nova3_diarized.json"
    transcript = load_or_skip(path)

    # Tom, the representative, speaks first ("Thank you for calling Premier Phone Services").
    assert transcript.turns[0].role == "agent"
    assert {turn.role for turn in transcript.turns} == {"agent", "customer"}


def test_premier_opening(premier: Scorecard) -> None:
    # "Hi. Thank you for calling Premier Phone Services ... My name is Tom, and I'll be
    # assisting you. How are you today?": greeting, company, own name and an offer of help.
    assert premier.grade("greeting").score == 4
    # "This call may be recorded for quality and training purposes." is in the first turn.
    disclosure = premier.grade("recording_disclosure")
    assert disclosure.score == 1
    assert disclosure.evidence[0].turn_index == 0
    assert disclosure.evidence[0].start == 0.0
    assert disclosure.evidence[0].speaker == "agent"
    # Tom never mentions how long Beth has been a customer or thanks her for her loyalty;
    # "we're very sorry to lose your business" comes only at the end, as she cancels.
    assert premier.grade("relationship").score == 0


def test_premier_discovery(premier: Scorecard) -> None:
    # He asks ("Do you mind explaining why you wish to terminate your service plan?"), hears
    # "my issue is with the graphics", probes ("What seems to be the issue with the graphics
    # precisely?", the device names) and confirms ("I understand that you're disappointed
    # about the quality graphics on the phone").
    assert premier.grade("reason_for_leaving").score >= 3  # type: ignore[operator]
    # "I'm very sorry to hear that", "I understand that you're disappointed ...",
    # "I completely understand your concerns ... very sorry you experienced such frustration".
    assert premier.grade("active_listening").score >= 3  # type: ignore[operator]


def test_premier_resolution_and_close(premier: Scorecard) -> None:
    # Beth objects ("I'm just afraid it would have the same problems"); Tom acknowledges it
    # ("I completely understand your concerns") but never answers the fear itself: he repeats
    # the offer of "another device". Acknowledged, not answered: level 2.
    objection = premier.grade("objection_handling")
    assert objection.status == "scored"
    assert objection.score == 2
    # He asks twice (an exchange for a new model, then "is there any chance you might be
    # interested in another device"), the second time after her refusal, but never restates
    # what she would gain: level 3.
    assert premier.grade("winback_ask").score == 3
    # "I am canceling your plan right now. You should stop receiving charges after the next
    # billing cycle", then "Is there anything else I can help you with?".
    assert premier.grade("next_steps").score >= 3  # type: ignore[operator]


def test_premier_compliance(premier: Scorecard) -> None:
    # No guarantee, false deadline or pressure; the number-transfer statement is accurate.
    assert premier.grade("honest_claims").score == 1
    # Beth cancels her plan but never asks not to be contacted again.
    assert premier.grade("respects_opt_out").status == "na"
    assert premier.auto_failed is False


def test_premier_secrets_not_in_results(premier: Scorecard) -> None:
    # The account number and phone number Beth reads out must not reach any result.
    dumped = premier.model_dump_json()

    assert "325125675914" not in dumped
    assert "814-9913" not in dumped


def test_aws_support_call(shared_data: Path) -> None:
    path = shared_data / "aws-pca-sample" / "pca_parsed_output_testfile.json"
    # The file labels the caller as the agent; spk_1 says "Thank you for calling Networks abc
    # technical Support", so the test maps the roles the right way round.
    transcript = load_or_skip(path, roles={"spk_1": "agent", "spk_0": "customer"})

    scorecard = grade(transcript, "winback")

    # "Thank you for calling Networks abc technical Support." and "This is [PII] speaking":
    # greeting, company and own name; no stated purpose or offer of help.
    assert scorecard.grade("greeting").score == 3
    # The 28-second excerpt has no recording notice.
    assert scorecard.grade("recording_disclosure").score == 0
    # A support call: nobody is leaving, so no reason for leaving comes up.
    assert scorecard.grade("reason_for_leaving").score == 0
    assert scorecard.grade("honest_claims").score == 1
    assert scorecard.grade("respects_opt_out").status == "na"


def azure_chat(shared_data: Path) -> Transcript:
    """The Azure call-center sample: a chat in Azure Language's conversation format."""
    path = shared_data / "azure-conversation-sample" / "Json_input_customer_support.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["analysisInput"]["conversations"][0]["conversationItems"]
    turns = [
        Turn(speaker=item["participantId"], role=item["participantId"].lower(), text=item["text"])
        for item in items
    ]
    return Transcript(id="azure-customer-support", turns=turns)


def test_azure_support_chat(shared_data: Path) -> None:
    scorecard = grade(azure_chat(shared_data), "winback")

    # "Hello, you're chatting with Rene. How may I help you?": greeting, own name and an
    # offer of help, but no company name.
    assert scorecard.grade("greeting").score == 3
    # A chat with no recording or monitoring notice.
    assert scorecard.grade("recording_disclosure").score == 0
    # "I'm sorry to hear that" and "I'm very sorry to hear that" after each failed fix.
    assert scorecard.grade("active_listening").score >= 2  # type: ignore[operator]
    # The customer follows every step and raises no objection, and never opts out.
    assert scorecard.grade("objection_handling").status == "na"
    assert scorecard.grade("respects_opt_out").status == "na"
    assert scorecard.grade("honest_claims").score == 1


def abcd_chats(shared_data: Path) -> list[Transcript]:
    """The ABCD sample chats, with the system's action lines left out."""
    path = shared_data / "abcd" / "abcd_sample.json"
    conversations = json.loads(path.read_text(encoding="utf-8"))
    transcripts = []
    for conversation in conversations:
        turns = [
            Turn(speaker=role, role=role, text=text)
            for role, text in conversation["original"]
            if role in ("agent", "customer")
        ]
        transcripts.append(Transcript(id=str(conversation["convo_id"]), turns=turns))
    return transcripts


def test_abcd_chats(shared_data: Path) -> None:
    transcripts = abcd_chats(shared_data)

    assert len(transcripts) == 3
    for transcript in transcripts:
        scorecard = grade(transcript, "winback")
        # Each chat opens "Hi! How can I help you?" (or close to it): a greeting and an offer
        # of help, with neither the agent's name nor the company's.
        assert scorecard.grade("greeting").score == 2, transcript.id
        # Chats carry no recording notice.
        assert scorecard.grade("recording_disclosure").score == 0, transcript.id
        # Returns, refunds and store questions: no misleading claim, no opt-out request.
        assert scorecard.grade("honest_claims").score == 1, transcript.id
        assert scorecard.grade("respects_opt_out").status == "na", transcript.id
