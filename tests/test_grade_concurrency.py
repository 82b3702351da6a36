"""grade() keeps at most ``concurrency`` model calls of one transcript in flight."""

from __future__ import annotations

import threading
import time

from grading_responder import GradingResponder
from openai_server import OpenAIServer, Reply, Request
from winback_grader import Transcript, Turn, grade

CALL = Transcript(
    id="call-1",
    turns=[
        Turn(
            speaker="Agent",
            role="agent",
            text="Hi, this is Dana from Acme, calling about your plan.",
        ),
        Turn(
            speaker="Customer", role="customer", text="I left because the price went up too much."
        ),
        Turn(
            speaker="Agent", role="agent", text="I understand. I can offer you a lower price today."
        ),
        Turn(speaker="Customer", role="customer", text="Okay, that sounds good, let us do that."),
    ],
)


def test_grade_respects_concurrency() -> None:
    responder = GradingResponder()
    lock = threading.Lock()
    in_flight = 0
    peak = 0

    def slow_responder(request: Request) -> Reply:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return responder(request)

    with OpenAIServer(slow_responder) as server:
        scorecard = grade(
            CALL,
            model="openai/test-model",
            api_base=server.base_url,
            api_key="sk-test",
            concurrency=2,
            cache=False,
        )
        requests = len(server.chat_requests())

    assert scorecard.errors == []
    assert requests == len(scorecard.grades)
    assert peak == 2
