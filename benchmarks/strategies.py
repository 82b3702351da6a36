"""Compare the prompt strategies: prompt tokens per transcript and the shared-prefix share.

    .venv/bin/python benchmarks/strategies.py [--model openai/gpt-4o-mini]

For each strategy (one call per criterion, per section, or for the whole rubric) this renders
every prompt of the transcripts in examples/ as the LLM engine does and counts tokens with
``litellm.token_counter``, response schemas included. The shared prefix of a call is its
system message and transcript message, which are the same for every call on that transcript,
so a provider's prompt cache can reuse them; the share is prefix tokens over prompt tokens.
Nothing is sent to any model.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
from _workload import example_transcripts

from winback_grader import GraderConfig, load_rubric
from winback_grader.estimate import estimate_run
from winback_grader.grading import plan_calls
from winback_grader.prompts import PromptRenderer

STRATEGIES = ("criterion", "section", "rubric")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="openai/gpt-4o-mini")
    model = parser.parse_args().model
    rubric = load_rubric("winback")
    transcripts = [t for t in example_transcripts(6) if t.ungradable_reason() is None]
    renderer = PromptRenderer()

    print(f"{len(transcripts)} transcripts from examples/, rubric {rubric.id}, model {model}")
    for strategy in STRATEGIES:
        config = GraderConfig(model=model, strategy=strategy)  # type: ignore[arg-type]
        estimate = estimate_run(transcripts, rubric, config)

        # Prefix tokens: the system and transcript messages of each call.
        groups = [group for engine, group in plan_calls(rubric, config) if engine == "llm"]
        prefix = 0
        for transcript in transcripts:
            for group in groups:
                messages = renderer.render_messages(transcript, rubric, group)
                prefix += litellm.token_counter(model=model, messages=messages[:2])

        per_transcript = estimate.prompt_tokens / len(transcripts)
        print(f"{strategy:>9}: {len(groups):2d} calls per transcript, "
              f"{per_transcript:8.0f} prompt tokens per transcript, "
              f"shared prefix {100 * prefix / estimate.prompt_tokens:4.1f}% of prompt tokens")


if __name__ == "__main__":
    main()
