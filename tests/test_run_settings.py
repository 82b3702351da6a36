"""A resumed run must use the strategy, mode and prompt templates of the run it resumes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grading_responder import GradingResponder
from openai_server import OpenAIServer
from test_cost import run_cli
from winback_grader import ConfigError, GraderConfig
from winback_grader._resources import resource_dir
from winback_grader.prompts import template_fingerprint
from winback_grader.run_settings import check_settings, grading_settings, settings_path

MODEL = "openai/test-model"


def grade_into(
    server: OpenAIServer, tmp_path: Path, source: Path, out: Path, *options: str
) -> tuple[int, str, int]:
    """Run the grade command; return its exit status, stderr and the requests it sent."""
    before = len(server.chat_requests())
    result = run_cli(server, tmp_path, str(source), "--model", MODEL, "--out", str(out),
                     "--format", "jsonl", *options)
    return result.returncode, result.stderr, len(server.chat_requests()) - before


def copy_prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "my_prompts"
    folder.mkdir()
    for name in ("system.j2", "transcript.j2", "criterion.j2"):
        (folder / name).write_bytes((resource_dir("prompts") / name).read_bytes())
    return folder


def test_first_run_writes_settings(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder, out, "--strategy", "section")

    assert status == 0, stderr
    recorded = yaml.safe_load(settings_path(out).read_text(encoding="utf-8"))
    assert recorded == {
        "strategy": "section",
        "mode": "tools",
        "prompts": template_fingerprint(None),
    }
    assert settings_path(out).name == "results.jsonl.settings.yaml"


def test_resume_with_other_strategy_stops(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out,
                                       "--strategy", "section")
        assert status == 0, stderr
        before = out.read_bytes()

        other_status, other_stderr, other_sent = grade_into(server, tmp_path, call_folder, out)
        after_other = out.read_bytes()
        same_status, same_stderr, same_sent = grade_into(server, tmp_path, call_folder, out,
                                                         "--strategy", "section")

    settings = settings_path(out)
    assert other_status == 2
    assert other_sent == 0
    assert (
        f"error: {out}: its calls were graded with --strategy section (recorded in "
        f"{settings}), but this run uses --strategy criterion; pass --strategy section to "
        f"resume, or pass another --out file, or delete {out} and {settings} to grade "
        "everything again"
    ) in " ".join(other_stderr.split())
    assert after_other == before

    assert same_status == 0, same_stderr
    assert f"{out}: resuming; 1 call(s) already in the file are kept" in same_stderr
    assert same_sent == 6  # call-1 only: one request per section of the winback rubric


def test_resume_with_edited_prompts_stops(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    prompts = copy_prompts(tmp_path)
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out,
                                       "--prompt-dir", str(prompts))
        assert status == 0, stderr
        with (prompts / "criterion.j2").open("a", encoding="utf-8") as handle:
            handle.write("\nAnswer in British English.\n")

        edited_status, edited_stderr, edited_sent = grade_into(
            server, tmp_path, call_folder, out, "--prompt-dir", str(prompts)
        )

    message = " ".join(edited_stderr.split())
    assert edited_status == 2
    assert edited_sent == 0
    assert f"error: {out}: its calls were graded with other prompt templates than this run's" in (
        message
    )
    assert "another --prompt-dir, edited templates, or a winback-grader release" in message


def test_dry_run_checks_mode(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out)
        assert status == 0, stderr
        dry_status, dry_stderr, dry_sent = grade_into(server, tmp_path, call_folder, out,
                                                      "--mode", "json", "--dry-run")

    assert dry_status == 2
    assert dry_sent == 0
    assert "graded with --mode tools" in dry_stderr
    assert "this run uses --mode json; pass --mode tools to resume" in " ".join(
        dry_stderr.split()
    )


def test_new_results_file_replaces_old_settings(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out)
        assert status == 0, stderr
        # Deleting only the results file starts over: its settings file no longer applies.
        out.unlink()
        again_status, again_stderr, _ = grade_into(server, tmp_path, call_folder, out,
                                                   "--strategy", "rubric")

    assert again_status == 0, again_stderr
    recorded = yaml.safe_load(settings_path(out).read_text(encoding="utf-8"))
    assert recorded["strategy"] == "rubric"


def test_offline_run_writes_no_settings(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        result = run_cli(server, tmp_path, str(call_folder), "--model", "offline",
                         "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert out.exists()
    assert not settings_path(out).exists()
    assert grading_settings(GraderConfig()) == {}


def test_damaged_settings_file_is_rejected(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings_path(out).write_text("- just\n- a list\n", encoding="utf-8")

    with pytest.raises(ConfigError) as caught:
        check_settings(out, {"strategy": "criterion"})

    assert str(caught.value) == (
        f"{settings_path(out)} is not a settings file of this program (expected a mapping of "
        "setting to value); delete it, and the results file beside it is resumed without "
        "checking its strategy, mode and prompts"
    )


def test_missing_setting_is_not_checked(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings_path(out).write_text("strategy: section\n", encoding="utf-8")

    check_settings(out, {"strategy": "section", "mode": "json"})


def test_results_symlink_uses_target_settings(call_folder: Path, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    target = real / "results.jsonl"
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", link)
        assert status == 0, stderr
        before = target.read_bytes()
        other_status, other_stderr, other_sent = grade_into(server, tmp_path, call_folder, target,
                                                            "--strategy", "section")

    assert (real / "results.jsonl.settings.yaml").exists()
    assert not (tmp_path / "link.jsonl.settings.yaml").exists()
    assert other_status == 2
    assert other_sent == 0
    assert "graded with --strategy criterion" in other_stderr
    assert target.read_bytes() == before


def test_missing_settings_file_is_reported(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out)
        assert status == 0, stderr
        settings_path(out).unlink()
        again_status, again_stderr, _ = grade_into(server, tmp_path, call_folder, out)

    assert again_status == 0, again_stderr
    assert (
        f"{out}: no settings file {settings_path(out)} from the run that started it (an older "
        "version, or it was deleted), so its strategy, mode and prompts are not checked"
    ) in " ".join(again_stderr.split())
    # A file whose first run is unknown does not get settings that might be wrong.
    assert not settings_path(out).exists()


def test_unpriced_cost_limit_leaves_no_files(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, sent = grade_into(server, tmp_path, call_folder, out, "--max-cost", "1")

    assert status == 2
    assert sent == 0
    assert "max_cost_usd=1.0 needs the model's price" in stderr
    assert not out.exists()
    assert not settings_path(out).exists()


def test_settings_file_mode_matches_results(call_folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    with OpenAIServer(GradingResponder()) as server:
        status, stderr, _ = grade_into(server, tmp_path, call_folder / "call-0.txt", out)

    assert status == 0, stderr
    assert settings_path(out).stat().st_mode == out.stat().st_mode
    assert list(tmp_path.glob(".results.jsonl.settings.yaml.*")) == []


def test_settings_not_utf8_is_rejected(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings_path(out).write_bytes(b"\xff\xfe\x00")

    with pytest.raises(ConfigError) as caught:
        check_settings(out, {"strategy": "criterion"})

    assert str(caught.value).startswith(f"{settings_path(out)} is not a settings file")


def test_settings_folder_is_rejected(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings_path(out).mkdir()

    with pytest.raises(ConfigError) as caught:
        check_settings(out, {"strategy": "criterion"})

    assert str(caught.value).startswith(
        f"cannot read {settings_path(out)}, the grading settings of {out}: "
    )
    assert str(caught.value).endswith(
        "; it must be a readable file, or delete it to resume without checking the strategy, "
        "mode and prompts"
    )


def test_offline_run_ignores_settings_file(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    settings_path(out).write_text("- damaged\n", encoding="utf-8")

    assert check_settings(out, grading_settings(GraderConfig())) is True


def test_fingerprint_follows_included_files(tmp_path: Path) -> None:
    prompts = copy_prompts(tmp_path)
    (prompts / "parts").mkdir()
    (prompts / "parts" / "tone.j2").write_text("Be brief.\n", encoding="utf-8")
    before = template_fingerprint(prompts)

    (prompts / ".git").mkdir()
    (prompts / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    assert template_fingerprint(prompts) == before
    (prompts / "parts" / "tone.j2").write_text("Be thorough.\n", encoding="utf-8")
    edited = template_fingerprint(prompts)
    assert edited != before
    # A hidden file can be included too.
    (prompts / ".signature.j2").write_text("Thanks.\n", encoding="utf-8")
    assert template_fingerprint(prompts) != edited


def test_fingerprint_follows_template_contents(tmp_path: Path) -> None:
    first = copy_prompts(tmp_path)
    second = tmp_path / "elsewhere"
    shutil.copytree(first, second)

    assert template_fingerprint(first) == template_fingerprint(None)
    assert template_fingerprint(second) == template_fingerprint(first)
    (second / "system.j2").write_text("You grade calls.\n", encoding="utf-8")
    assert template_fingerprint(second) != template_fingerprint(first)
