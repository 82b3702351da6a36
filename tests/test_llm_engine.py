"""The LLM engine against the loopback server: re-asks, evidence, modes, cache, usage."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from grading_responder import GradingResponder
from llm_replies import CALL, engine, grade_reply, quote, tool_messages
from openai_server import OpenAIServer, chat_reply, tool_call
from winback_grader import Rubric, Scorecard, TemplateError, grade, grade_many, load_rubric
from winback_grader.config import GraderConfig
from winback_grader.engines.base import EngineResult
from winback_grader.engines.llm import LLMEngine
from winback_grader.engines.response_models import criterion_reply_model
from winback_grader.engines.structured import describe_validation_error

PROMPTS = Path(__file__).resolve().parents[1] / "prompts"


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric("winback")


def _run(coroutine: Any) -> EngineResult:
    result: EngineResult = asyncio.run(coroutine)
    return result


def test_scored_grade_with_verified_quote(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(grade_reply("greeting", 4))
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("greeting")]))

    grade_ = result.grades[0]
    assert grade_.status == "scored"
    assert grade_.score == 4
    assert grade_.normalized == 1.0
    assert grade_.evidence[0].verified is True
    assert grade_.evidence[0].turn_index == 0
    assert grade_.evidence[0].speaker == "agent"
    assert result.usage.calls == 1
    assert result.usage.prompt_tokens == 100
    assert len(openai_server.chat_requests()) == 1


def test_request_disables_litellm_retries(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(chat_reply("boom", status=500))
    result = _run(
        engine(openai_server, transient_retries=0).grade(
            CALL, rubric, [rubric.criterion("greeting")]
        )
    )

    assert result.grades[0].status == "error"
    assert len(openai_server.chat_requests()) == 1


def test_out_of_scale_score_is_reasked(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(grade_reply("greeting", 7), grade_reply("greeting", 3))
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("greeting")]))

    requests = openai_server.chat_requests()
    assert len(requests) == 2
    reask = tool_messages(requests[1].body)
    assert len(reask) == 1
    assert "Input should be 0, 1, 2, 3 or 4" in reask[0]
    assert result.grades[0].score == 3
    assert result.usage.calls == 2


def test_fractional_binary_score_is_reasked(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(
        grade_reply("recording_disclosure", 0.9), grade_reply("recording_disclosure", 1)
    )
    result = _run(
        engine(openai_server).grade(CALL, rubric, [rubric.criterion("recording_disclosure")])
    )

    assert len(openai_server.chat_requests()) == 2
    assert "Input should be 0 or 1" in tool_messages(openai_server.chat_requests()[1].body)[0]
    assert result.grades[0].score == 1


def test_schema_failures_end_in_error_grade(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(*[grade_reply("greeting", 7) for _ in range(3)])
    result = _run(
        engine(openai_server, max_retries=2).grade(CALL, rubric, [rubric.criterion("greeting")])
    )

    grade_ = result.grades[0]
    assert len(openai_server.chat_requests()) == 3
    assert grade_.status == "error"
    assert grade_.score is None
    assert grade_.error is not None
    assert "did not fit the response schema after 3 attempts" in grade_.error
    assert grade_.raw_reply is not None
    assert '"score": 7' in grade_.raw_reply


def test_failure_log_names_transcript(
    openai_server: OpenAIServer, rubric: Rubric, caplog: pytest.LogCaptureFixture
) -> None:
    # A log line without the call id cannot be matched to the results of a batch.
    openai_server.script(*[grade_reply("greeting", 7) for _ in range(2)])
    with caplog.at_level(logging.WARNING, logger="winback_grader"):
        _run(
            engine(openai_server, max_retries=1).grade(CALL, rubric, [rubric.criterion("greeting")])
        )

    failures = [r.getMessage() for r in caplog.records if "grading failed" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].startswith(f"grading failed for transcript {CALL.id}, criteria greeting: ")


def test_schema_error_names_field_and_value(
    openai_server: OpenAIServer, rubric: Rubric
) -> None:
    openai_server.script(*[grade_reply("greeting", 7) for _ in range(2)])
    result = _run(
        engine(openai_server, max_retries=1).grade(CALL, rubric, [rubric.criterion("greeting")])
    )

    assert len(openai_server.chat_requests()) == 2
    error = result.grades[0].error
    assert error is not None
    assert "score: 7 is not valid" in error
    assert error == (
        "the model's reply did not fit the response schema after 2 attempts: "
        "score: 7 is not valid (Input should be 0, 1, 2, 3 or 4)"
    )


def test_schema_error_hides_api_key(openai_server: OpenAIServer, rubric: Rubric) -> None:
    # A model that echoes the key into fields that fail validation must not leak it. The long
    # score would be shortened in the middle of the key if the key were replaced afterwards.
    echoed = [{"quote": "this is Dana from Acme Telecom", "turn": "sk-test-secret-123"}]
    long_score = "x" * 70 + "sk-test-secret-123"
    openai_server.script(
        *[grade_reply("greeting", long_score, evidence=echoed) for _ in range(2)]
    )
    result = _run(
        engine(openai_server, max_retries=1).grade(CALL, rubric, [rubric.criterion("greeting")])
    )

    error = result.grades[0].error
    assert error is not None
    assert "sk-" not in error
    assert result.grades[0].raw_reply is not None
    assert "sk-" not in result.grades[0].raw_reply
    assert "<api key>" in result.grades[0].raw_reply
    assert "evidence[0].turn: '<api key>' is not valid" in error
    assert "score: '" + "x" * 70 + "<api k... is not valid" in error


class _Reply(BaseModel):
    reasoning: str
    evidence: list[int]
    score: int


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(
            '{"reasoning": "ok", "evidence": [1, "two"], "score": 3}',
            "evidence[1]: 'two' is not valid (Input should be a valid integer)",
            id="list-item",
        ),
        pytest.param(
            '{"reasoning": "ok", "evidence": []}',
            "score: missing (Field required)",
            id="missing",
        ),
        pytest.param(
            '{"reasoning": 1, "evidence": ["a", "b"], "score": "x"}',
            "reasoning: 1 is not valid (Input should be a valid string); "
            "evidence[0]: 'a' is not valid (Input should be a valid integer); and 2 more errors",
            id="more-than-two",
        ),
        pytest.param(
            '{"reasoning": "ok", "evidence": [], "score": "' + "9" * 200 + '"}',
            "score: '" + "9" * 76 + "... is not valid (Input should be a valid integer)",
            id="long-value",
        ),
        pytest.param(
            '{"reasoning": "ok"',
            "reply: '{\"reasoning\": \"ok\"' is not valid "
            "(Invalid JSON: EOF while parsing an object at line 1 column 18)",
            id="invalid-json",
        ),
    ],
)
def test_describe_validation_error(payload: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _Reply.model_validate_json(payload, strict=True)

    assert describe_validation_error(caught.value) == expected


def test_na_only_where_allowed(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(grade_reply("objection_handling", "na", evidence=[]))
    allowed = _run(
        engine(openai_server).grade(CALL, rubric, [rubric.criterion("objection_handling")])
    )
    assert allowed.grades[0].status == "na"
    assert allowed.grades[0].score is None

    openai_server.script(grade_reply("greeting", "na", evidence=[]), grade_reply("greeting", 2))
    rejected = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("greeting")]))
    assert rejected.grades[0].score == 2
    assert (
        "Input should be 0, 1, 2, 3 or 4"
        in tool_messages(openai_server.chat_requests()[-1].body)[0]
    )


def test_score_schema_lists_scale_values(rubric: Rubric) -> None:
    schema = criterion_reply_model(rubric.criterion("objection_handling")).model_json_schema()

    assert list(schema["properties"]) == ["reasoning", "evidence", "score"]
    assert schema["properties"]["score"]["enum"] == [0, 1, 2, 3, 4, "na"]


def test_missing_quote_is_reasked_once(openai_server: OpenAIServer, rubric: Rubric) -> None:
    made_up = quote("we can offer you fifty percent off", 2)
    openai_server.script(
        grade_reply("tailored_offer", 4, evidence=[made_up]),
        grade_reply("tailored_offer", 3, evidence=[quote("I can waive the fee", 2)]),
    )
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("tailored_offer")]))

    requests = openai_server.chat_requests()
    assert len(requests) == 2
    last_message = requests[1].body["messages"][-1]["content"]
    assert "were not found in the transcript" in last_message
    assert "'we can offer you fifty percent off'" in last_message
    assert "fifty percent" in requests[1].body["messages"][-2]["content"]
    grade_ = result.grades[0]
    assert grade_.score == 3
    assert [e.verified for e in grade_.evidence] == [True]
    assert "could not be found" not in grade_.reasoning


def test_quote_still_missing_stays_unverified(openai_server: OpenAIServer, rubric: Rubric) -> None:
    made_up = quote("we can offer you fifty percent off", 2)
    openai_server.script(
        grade_reply("tailored_offer", 4, evidence=[made_up]),
        grade_reply("tailored_offer", 4, evidence=[made_up, quote("I can waive the fee", 2)]),
    )
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("tailored_offer")]))

    assert len(openai_server.chat_requests()) == 2
    grade_ = result.grades[0]
    assert grade_.status == "scored"
    assert [e.verified for e in grade_.evidence] == [False, True]
    assert grade_.evidence[0].turn_index is None
    assert "1 of 2 quotes could not be found in the transcript after one re-ask" in grade_.reasoning


def test_quote_dropping_not_is_unverified(openai_server: OpenAIServer, rubric: Rubric) -> None:
    dropped = quote("I will raise your price this year", 2)
    openai_server.script(
        grade_reply("honest_claims", 0, evidence=[dropped]),
        grade_reply("honest_claims", 0, evidence=[dropped]),
    )
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("honest_claims")]))

    assert (
        "'I will raise your price this year'"
        in openai_server.chat_requests()[1].body["messages"][-1]["content"]
    )
    assert result.grades[0].evidence[0].verified is False


def test_several_criteria_in_one_call(openai_server: OpenAIServer, rubric: Rubric) -> None:
    section = rubric.sections[0]
    arguments = {
        "greeting": {
            "reasoning": "Name and company.",
            "evidence": [quote("this is Dana from Acme Telecom", 0)],
            "score": 4,
        },
        "recording_disclosure": {"reasoning": "No disclosure.", "evidence": [], "score": 0},
        "relationship": {
            "reasoning": "Mentions the account.",
            "evidence": [quote("calling about your account", 0)],
            "score": 2,
        },
    }
    openai_server.script(chat_reply(tool_calls=[tool_call("grades", arguments)]))
    result = _run(engine(openai_server).grade(CALL, rubric, section.criteria))

    body = openai_server.chat_requests()[0].body
    parameters = body["tools"][0]["function"]["parameters"]
    assert sorted(parameters["properties"]) == ["greeting", "recording_disclosure", "relationship"]
    assert [g.criterion_id for g in result.grades] == [
        "greeting",
        "recording_disclosure",
        "relationship",
    ]
    assert [g.score for g in result.grades] == [4, 0, 2]
    assert result.grades[2].evidence[0].verified is True
    assert "Criterion: Relationship (id: relationship)" in body["messages"][2]["content"]
    assert len(openai_server.chat_requests()) == 1


def test_group_failure_fails_every_criterion(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(chat_reply("bad key", status=401))
    result = _run(engine(openai_server).grade(CALL, rubric, rubric.sections[0].criteria))

    assert [g.status for g in result.grades] == ["error", "error", "error"]


class DictCache:
    def __init__(self) -> None:
        self.store: dict[str, dict[str, Any]] = {}

    def get(self, key: str) -> dict[str, Any] | None:
        return self.store.get(key)

    def set(self, key: str, value: dict[str, Any]) -> None:
        self.store[key] = json.loads(json.dumps(value))


def test_cache_hit_makes_no_call(openai_server: OpenAIServer, rubric: Rubric) -> None:
    cache = DictCache()
    config = GraderConfig(
        model="openai/test-model", api_base=openai_server.base_url, api_key="sk-one"
    )
    openai_server.script(grade_reply("greeting", 4))
    first = _run(LLMEngine(config, cache=cache).grade(CALL, rubric, [rubric.criterion("greeting")]))

    other_key = GraderConfig(
        model="openai/test-model", api_base=openai_server.base_url, api_key="sk-two"
    )
    second = _run(
        LLMEngine(other_key, cache=cache).grade(CALL, rubric, [rubric.criterion("greeting")])
    )

    assert len(openai_server.chat_requests()) == 1
    assert len(cache.store) == 1
    assert "sk-one" not in json.dumps(cache.store)
    assert second.usage.cached_calls == 1
    assert second.usage.calls == 0
    assert second.grades[0].score == first.grades[0].score == 4
    assert second.grades[0].evidence[0].verified is True


def test_cache_key_covers_request_inputs(
    openai_server: OpenAIServer, rubric: Rubric, monkeypatch: pytest.MonkeyPatch
) -> None:
    criterion = rubric.criterion("greeting")
    base = engine(openai_server)
    messages = base._renderer.render_messages(CALL, rubric, [criterion])
    model = criterion_reply_model(criterion)
    key = base.cache_key(messages, model)

    assert len(key) == 64
    assert engine(openai_server, api_key="sk-other").cache_key(messages, model) == key
    assert engine(openai_server, temperature=0.5).cache_key(messages, model) != key
    assert engine(openai_server, max_tokens=500).cache_key(messages, model) != key
    assert engine(openai_server, mode="json").cache_key(messages, model) != key
    assert base.cache_key(messages, criterion_reply_model(rubric.criterion("clarity"))) != key
    monkeypatch.setattr("winback_grader.engines.llm.PROMPT_VERSION", "changed")
    assert base.cache_key(messages, model) != key


def test_unpriced_model_cost_is_none(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(grade_reply("greeting", 4))
    result = _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("greeting")]))

    assert result.usage.cost_usd is None
    assert result.usage.unpriced_calls == 1


def test_priced_model_cost_is_summed(openai_server: OpenAIServer, rubric: Rubric) -> None:
    openai_server.script(
        grade_reply("greeting", 4, model="gpt-4o-mini", prompt_tokens=1000, completion_tokens=100)
    )
    result = _run(
        engine(openai_server, model="openai/gpt-4o-mini").grade(
            CALL, rubric, [rubric.criterion("greeting")]
        )
    )

    assert result.usage.unpriced_calls == 0
    assert result.usage.cost_usd is not None
    assert result.usage.cost_usd > 0


def test_one_info_line_per_call_without_key(
    openai_server: OpenAIServer, rubric: Rubric, caplog: pytest.LogCaptureFixture
) -> None:
    openai_server.script(grade_reply("greeting", 4))
    with caplog.at_level(logging.INFO, logger="winback_grader"):
        _run(engine(openai_server).grade(CALL, rubric, [rubric.criterion("greeting")]))

    lines = [r.getMessage() for r in caplog.records if r.name.startswith("winback_grader")]
    assert len(lines) == 1
    assert "model=openai/test-model" in lines[0]
    assert "criteria=greeting" in lines[0]
    assert "prompt_tokens=100 completion_tokens=20" in lines[0]
    assert "retries=0" in lines[0]
    assert all("sk-test-secret-123" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("mode", "check"),
    [
        pytest.param(
            "tools",
            lambda body: body["tools"][0]["function"]["name"] == "grade_greeting",
            id="tools",
        ),
        pytest.param(
            "json_schema",
            lambda body: body["response_format"]["type"] == "json_schema",
            id="json_schema",
        ),
        pytest.param(
            "json", lambda body: body["response_format"]["type"] == "json_object", id="json"
        ),
    ],
)
def test_forced_mode_sets_request(
    openai_server: OpenAIServer, rubric: Rubric, mode: str, check: Any
) -> None:
    arguments = {
        "reasoning": "ok",
        "evidence": [quote("this is Dana from Acme Telecom", 0)],
        "score": 4,
    }
    if mode == "tools":
        openai_server.script(grade_reply("greeting", 4))
    else:
        openai_server.script(chat_reply(json.dumps(arguments)))
    result = _run(
        engine(openai_server, mode=mode).grade(CALL, rubric, [rubric.criterion("greeting")])
    )

    assert check(openai_server.chat_requests()[0].body)
    assert result.grades[0].score == 4


def test_auto_mode_local_server_uses_tools(openai_server: OpenAIServer) -> None:
    assert engine(openai_server).mode == "tools"


def test_grade_through_public_api(openai_server: OpenAIServer) -> None:
    responder = GradingResponder()
    openai_server.responder = responder
    scorecard = grade(
        CALL,
        "winback",
        model="openai/test-model",
        api_base=openai_server.base_url,
        api_key="sk-test",
        cache=False,
    )

    assert scorecard.engine == "llm"
    assert [g.status for g in scorecard.grades] == ["scored"] * len(scorecard.grades)
    assert scorecard.total is not None
    assert scorecard.usage.calls == len(openai_server.chat_requests()) == responder.replies


def test_grade_inside_running_event_loop(openai_server: OpenAIServer) -> None:
    openai_server.responder = GradingResponder()

    async def notebook_cell() -> Scorecard:
        # Jupyter runs cells inside a running loop; grade() must not fail there.
        return grade(
            CALL,
            "winback",
            model="openai/test-model",
            api_base=openai_server.base_url,
            api_key="sk-test",
            cache=False,
        )

    scorecard = asyncio.run(notebook_cell())
    assert scorecard.total is not None
    assert scorecard.errors == []


def test_grade_runs_litellm_callbacks_before_returning(
    openai_server: OpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A team that logs every model call through a litellm callback must see all of them,
    # although grade() closes its event loop when it returns.
    import litellm
    from litellm.integrations.custom_logger import CustomLogger

    class CallCounter(CustomLogger):
        def __init__(self) -> None:
            super().__init__()
            self.successes = 0

        async def async_log_success_event(self, *args: Any, **kwargs: Any) -> None:
            self.successes += 1

    counter = CallCounter()
    monkeypatch.setattr(litellm, "callbacks", [counter])
    openai_server.responder = GradingResponder()
    options = {"model": "openai/test-model", "api_base": openai_server.base_url,
               "api_key": "sk-test", "cache": False}

    first = grade(CALL, "winback", **options)
    seen_after_first = counter.successes
    second = grade(CALL, "winback", **options)

    assert first.usage.calls > 0
    assert seen_after_first == first.usage.calls
    assert counter.successes == first.usage.calls + second.usage.calls


def test_disk_cache_serves_second_grade(openai_server: OpenAIServer) -> None:
    openai_server.responder = GradingResponder()
    options = {"model": "openai/test-model", "api_base": openai_server.base_url, "api_key": "sk-a"}
    first = grade(CALL, "winback", **options)
    sent = len(openai_server.chat_requests())
    second = grade(CALL, "winback", **{**options, "api_key": "sk-b"})

    assert len(openai_server.chat_requests()) == sent
    assert second.usage.calls == 0
    assert second.usage.cached_calls == sum(1 for g in second.grades if g.engine == "llm")
    assert [g.score for g in second.grades] == [g.score for g in first.grades]


@pytest.mark.parametrize("strategy", ["section", "rubric"])
def test_grouped_strategies_grade_every_criterion(
    openai_server: OpenAIServer, strategy: str
) -> None:
    openai_server.responder = GradingResponder()
    scorecard = grade(
        CALL,
        "winback",
        model="openai/test-model",
        api_base=openai_server.base_url,
        api_key="sk-test",
        cache=False,
        strategy=strategy,
    )
    llm_sections = [
        section.id
        for section in load_rubric("winback").sections
        if any(c.method == "llm" for c in section.criteria)
    ]
    expected_requests = len(llm_sections) if strategy == "section" else 1

    assert len(openai_server.chat_requests()) == expected_requests
    assert [g.status for g in scorecard.grades] == ["scored"] * len(scorecard.grades)
    assert scorecard.total is not None


def test_invalid_cache_entry_is_ignored(openai_server: OpenAIServer, rubric: Rubric) -> None:
    cache = DictCache()
    grader = LLMEngine(
        GraderConfig(model="openai/test-model", api_base=openai_server.base_url, api_key="sk-a"),
        cache=cache,
    )
    criterion = rubric.criterion("greeting")
    messages = grader._renderer.render_messages(CALL, rubric, [criterion])
    key = grader.cache_key(messages, criterion_reply_model(criterion))
    cache.store[key] = {"reply": {"score": 9}}
    openai_server.script(grade_reply("greeting", 3))

    result = _run(grader.grade(CALL, rubric, [criterion]))

    assert len(openai_server.chat_requests()) == 1
    assert result.grades[0].score == 3
    assert cache.store[key]["reply"]["score"] == 3


@pytest.mark.parametrize("batch", [False, True], ids=["grade", "grade_many"])
def test_template_render_error_raises_before_calls(
    openai_server: OpenAIServer, tmp_path: Path, batch: bool
) -> None:
    # A template that fails on every call is a setup error: it must stop the run before
    # anything is sent, as a library error, not end as an error grade on each criterion.
    shutil.copytree(PROMPTS, tmp_path / "prompts")
    (tmp_path / "prompts" / "criterion.j2").write_text("{{ 1 / 0 }}", encoding="utf-8")
    options = {"model": "openai/test-model", "api_base": openai_server.base_url,
               "api_key": "sk-test", "cache": False, "prompt_dir": tmp_path / "prompts"}

    with pytest.raises(TemplateError) as caught:
        if batch:
            grade_many([CALL, CALL], "winback", **options)
        else:
            grade(CALL, "winback", **options)

    assert "prompt template 'criterion.j2'" in str(caught.value)
    assert "ZeroDivisionError: division by zero" in str(caught.value)
    assert openai_server.chat_requests() == []
