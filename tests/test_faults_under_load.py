"""200 calls x the default rubric against a loopback server that injects faults.

Of the requests, 10% get 429 with Retry-After, 5% get 500, 2% get a reply slower than the
client's timeout and 2% get a malformed structured reply. Each fault is picked by a seeded
RNG from the request's logical call (its first three messages) and its attempt number, so a
rerun injects the same faults whatever order the concurrent requests arrive in.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import threading
from collections import Counter

import pytest

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request, chat_reply, tool_call
from test_batch import make_transcript
from winback_grader import GraderConfig, Scorecard, load_rubric
from winback_grader.batch import BatchRun, RunTotals
from winback_grader.engines.base import Engine
from winback_grader.engines.llm import LLMEngine
from winback_grader.engines.phrases import OfflineEngine

SEED = 20261204
# Long enough that a client starved of CPU by other processes does not time out before its
# request reaches the server, which would make the client count a request the server never saw.
TIMEOUT_SECONDS = 2.0
TRANSCRIPTS = 200


def logical_call(request: Request) -> str:
    """Identify the grading call of a request; schema re-asks append messages after these."""
    messages = request.body["messages"][:3]
    return hashlib.sha256(json.dumps(messages, sort_keys=True).encode()).hexdigest()


class FaultyResponder:
    """Injects faults by a seeded RNG and otherwise answers with a valid structured grade."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.valid = GradingResponder()
        self.attempts: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.delivered_prompt_tokens = 0
        self.delivered_completion_tokens = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        key = logical_call(request)
        with self._lock:
            self.attempts[key] += 1
            attempt = self.attempts[key]
        draw = random.Random(f"{self.seed}:{key}:{attempt}").random()

        if draw < 0.10:
            return self._fault("429", Reply(status=429, body=_error("rate limited"),
                                            headers={"Retry-After": "0.05"}))
        if draw < 0.15:
            return self._fault("500", Reply(status=500, body=_error("internal error")))
        if draw < 0.17:
            # Answered after the client's timeout. It carries no usage, because on a loaded
            # machine the client may still read it and the count must not depend on timing.
            slow = chat_reply("late", delay=TIMEOUT_SECONDS + 1.0, prompt_tokens=0,
                              completion_tokens=0)
            return self._fault("timeout", slow)
        if draw < 0.19:
            broken = chat_reply(tool_calls=[tool_call("grade", '{"reasoning": "cut off')])
            self._count_delivered(broken)
            return self._fault("malformed", broken)
        reply = self.valid(request)
        self._count_delivered(reply)
        return reply

    def _fault(self, kind: str, reply: Reply) -> Reply:
        with self._lock:
            self.faults[kind] += 1
        return reply

    def _count_delivered(self, reply: Reply) -> None:
        usage = reply.body["usage"]
        with self._lock:
            self.delivered_prompt_tokens += usage["prompt_tokens"]
            self.delivered_completion_tokens += usage["completion_tokens"]


def _error(message: str) -> dict[str, object]:
    return {"error": {"message": message, "type": "server_error"}}


@pytest.mark.slow
def test_faults_under_load_end_in_grades_or_errors() -> None:
    rubric = load_rubric("winback")
    responder = FaultyResponder(SEED)
    transcripts = [make_transcript(f"call-{n:03d}") for n in range(TRANSCRIPTS)]

    with OpenAIServer(responder) as server:
        config = GraderConfig(
            model="openai/test-model",
            api_base=server.base_url,
            api_key="sk-test",
            concurrency=32,
            timeout=TIMEOUT_SECONDS,
            transient_retries=4,
            max_retries=2,
            cache=False,
        )
        # A short backoff keeps the test fast; Retry-After still sets the wait after a 429.
        engines: dict[str, Engine] = {
            "offline": OfflineEngine(),
            "llm": LLMEngine(config, backoff_base=0.01),
        }

        async def run_all() -> tuple[list[Scorecard], RunTotals]:
            with BatchRun(rubric, config, engines=engines) as run:
                cards = [card async for _, card in run.stream(transcripts)]
                return cards, run.totals

        scorecards, totals = asyncio.run(run_all())
        requests = server.chat_requests()

    # Every kind of fault was injected.
    assert set(responder.faults) == {"429", "500", "timeout", "malformed"}

    # Every transcript has a full scorecard: each criterion scored, N/A or an explained error.
    assert sorted(card.transcript_id for card in scorecards) == [t.id for t in transcripts]
    criterion_ids = [criterion.id for criterion in rubric.criteria]
    for card in scorecards:
        assert [grade.criterion_id for grade in card.grades] == criterion_ids
        for grade in card.grades:
            assert grade.status in {"scored", "na", "error"}
            if grade.status == "error":
                assert grade.error
                assert grade.score is None
        if card.errors:
            assert card.total is None

    # No logical call used more requests than its retry budget: transport retries beneath
    # each of instructor's schema attempts.
    budget = (config.transient_retries + 1) * (config.max_retries + 1)
    assert max(responder.attempts.values()) <= budget
    assert len(responder.attempts) == TRANSCRIPTS * len(criterion_ids)

    # The usage totals equal what the server counted.
    assert totals.usage.prompt_tokens == responder.delivered_prompt_tokens
    assert totals.usage.completion_tokens == responder.delivered_completion_tokens
    assert totals.usage.calls == len(requests)
