"""Bulk transcription against the loopback server's /v1/audio/transcriptions, library and CLI."""

from __future__ import annotations

import json
import math
import re
import struct
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from openai_server import OpenAIServer, Reply, Request
from winback_grader import TranscriptError, load_transcript
from winback_grader.transcribe import transcribe

CLI = str(Path(sys.executable).parent / "winback-grader")


def _write_wav(path: Path, seconds: float = 0.5, frequency: float = 440.0) -> Path:
    """Write a mono 16-bit 8 kHz sine tone: a real WAV file that any audio tool opens."""
    rate = 8000
    frames = b"".join(
        struct.pack("<h", int(12000 * math.sin(2 * math.pi * frequency * i / rate)))
        for i in range(int(rate * seconds))
    )
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(frames)
    return path


def _uploaded_name(request: Request) -> str:
    match = re.search(rb'name="file"; filename="([^"]+)"', request.raw)
    assert match is not None, "the request carries no file part"
    return match.group(1).decode()


def _verbose_json(name: str) -> dict[str, Any]:
    return {
        "task": "transcribe",
        "language": "english",
        "duration": 3.0,
        "text": f"Thanks for calling Acme. Cancel {name}, please.",
        "segments": [
            {
                "id": 0,
                "start": 0.0,
                "end": 1.5,
                "text": " Thanks for calling Acme.",
                "speaker": "A",
            },
            {"id": 1, "start": 1.5, "end": 3.0, "text": f" Cancel {name}, please.", "speaker": "B"},
        ],
    }


class _Responder:
    """Reply to each upload with verbose_json naming the file, and count requests in flight."""

    def __init__(self, delay: float = 0.0, fail: str | None = None) -> None:
        self.delay = delay
        self.fail = fail
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Reply:
        name = _uploaded_name(request)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        if name == self.fail:
            # Echo the Authorization header, as some providers' error pages do.
            auth = request.headers.get("authorization", "")
            message = f"unsupported audio in {name} ({auth})"
            return Reply(status=400, body={"error": {"message": message}})
        return Reply(body=_verbose_json(name))


def test_files_transcribed_and_saved_beside_audio(tmp_path: Path) -> None:
    audio = [_write_wav(tmp_path / f"call_{i}.wav", frequency=300 + 100 * i) for i in range(3)]
    responder = _Responder(delay=0.3)
    with OpenAIServer(responder) as server:
        results = transcribe(
            audio,
            model="openai/whisper-1",
            api_base=server.base_url,
            api_key="sk-test",
            concurrency=2,
        )
        requests = list(server.requests)

    assert [result.audio for result in results] == audio
    assert [result.error for result in results] == [None, None, None]
    assert [result.transcript for result in results] == [
        tmp_path / f"call_{i}.transcript.json" for i in range(3)
    ]
    assert responder.max_in_flight == 2

    assert len(requests) == 3
    for request in requests:
        assert request.path == "/v1/audio/transcriptions"
        assert request.headers["authorization"] == "Bearer sk-test"
        assert request.headers["content-type"].startswith("multipart/form-data")
        assert b'name="model"\r\n\r\nwhisper-1' in request.raw
        assert b'name="response_format"\r\n\r\nverbose_json' in request.raw
    uploads = {_uploaded_name(request): request.raw for request in requests}
    for path in audio:
        assert path.read_bytes() in uploads[path.name]

    transcript = load_transcript(tmp_path / "call_1.transcript.json")
    assert transcript.id == "call_1"
    assert transcript.metadata["format"] == "whisper"
    assert transcript.metadata["audio"] == "call_1.wav"
    assert [(turn.speaker, turn.role, turn.text) for turn in transcript.turns] == [
        ("A", "agent", "Thanks for calling Acme."),
        ("B", "customer", "Cancel call_1.wav, please."),
    ]


def test_failed_file_does_not_stop_others(tmp_path: Path) -> None:
    good = _write_wav(tmp_path / "good.wav")
    bad = _write_wav(tmp_path / "bad.wav")
    with OpenAIServer(_Responder(fail="bad.wav")) as server:
        results = transcribe(
            [good, bad], model="openai/whisper-1", api_base=server.base_url, api_key="sk-secret-123"
        )
    assert results[0].transcript == tmp_path / "good.transcript.json"
    assert results[0].transcript.is_file()
    assert results[1].transcript is None
    assert results[1].error is not None
    assert "unsupported audio in bad.wav" in results[1].error
    assert "sk-secret-123" not in results[1].error
    assert "Bearer <api key>" in results[1].error
    assert not (tmp_path / "bad.transcript.json").exists()


def test_failed_file_hides_environment_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-456")
    bad = _write_wav(tmp_path / "bad.wav")
    with OpenAIServer(_Responder(fail="bad.wav")) as server:
        results = transcribe([bad], model="openai/whisper-1", api_base=server.base_url)

    assert results[0].error is not None
    assert "unsupported audio in bad.wav" in results[0].error
    assert "sk-from-env-456" not in results[0].error
    assert "Bearer <api key>" in results[0].error


def test_missing_audio_raises_before_any_request(tmp_path: Path) -> None:
    with OpenAIServer(_Responder()) as server:
        with pytest.raises(TranscriptError) as error:
            transcribe([tmp_path / "absent.wav"], api_base=server.base_url, api_key="sk-test")
        assert server.requests == []
    assert str(error.value) == f"audio file not found: {tmp_path / 'absent.wav'}"


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, "transcribe", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # the subprocess imports litellm, several seconds on a loaded machine
def test_cli_transcribes_files(tmp_path: Path) -> None:
    first = _write_wav(tmp_path / "a.wav")
    second = _write_wav(tmp_path / "b.wav")
    with OpenAIServer(_Responder()) as server:
        result = _run_cli(
            str(first),
            str(second),
            "--api-base",
            server.base_url,
            "--api-key",
            "sk-test",
            "--concurrency",
            "2",
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{first} -> {tmp_path / 'a.transcript.json'}",
        f"{second} -> {tmp_path / 'b.transcript.json'}",
    ]
    saved = json.loads((tmp_path / "b.transcript.json").read_text(encoding="utf-8"))
    assert saved["metadata"] == {"call_id": "b", "audio": "b.wav"}
    assert [segment["speaker"] for segment in saved["segments"]] == ["A", "B"]


@pytest.mark.slow
def test_cli_exit_codes_on_failure(tmp_path: Path) -> None:
    good = _write_wav(tmp_path / "good.wav")
    bad = _write_wav(tmp_path / "bad.wav")
    with OpenAIServer(_Responder(fail="bad.wav")) as server:
        failed = _run_cli(
            str(good), str(bad), "--api-base", server.base_url, "--api-key", "sk-test"
        )
    assert failed.returncode == 1
    assert f"{bad}: transcription failed:" in failed.stderr
    assert "sk-test" not in failed.stderr

    missing = _run_cli(str(tmp_path / "nope.wav"), "--api-base", "http://127.0.0.1:9/v1")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: audio file not found: {tmp_path / 'nope.wav'}"
