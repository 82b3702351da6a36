"""The loopback OpenAI server answers a real litellm call."""

from __future__ import annotations

import litellm

from openai_server import OpenAIServer, chat_reply


def test_server_answers_litellm(openai_server: OpenAIServer) -> None:
    openai_server.script(chat_reply("hello"))
    response = litellm.completion(
        model="openai/test-model",
        api_base=openai_server.base_url,
        api_key="sk-test",
        messages=[{"role": "user", "content": "hi"}],
        num_retries=0,
        max_retries=0,
    )
    assert response.choices[0].message.content == "hello"
    assert len(openai_server.chat_requests()) == 1
    assert openai_server.chat_requests()[0].body["messages"][0]["content"] == "hi"
