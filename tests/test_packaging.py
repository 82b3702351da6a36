"""The wheel carries the shipped rubrics and prompt templates and works outside the source tree.

The test builds the wheel, installs it with ``--no-deps`` into a new virtual environment under
``tmp_path``, and points that environment at the dev environment's site-packages through a
``.pth`` file. Third-party dependencies then resolve offline, while ``winback_grader`` itself can
only come from the wheel: a folder listed in a ``.pth`` file is not a site directory, so the
``.pth`` files inside it (such as the editable install's) are never processed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

CHECK_SCRIPT = """
import json
from importlib.resources import files

import winback_grader
from winback_grader import load_rubric

rubric = load_rubric("winback")
package = files("winback_grader")
prompts = sorted(entry.name for entry in package.joinpath("prompts").iterdir()
                 if entry.name.endswith(".j2"))
prompt_text = package.joinpath("prompts", prompts[0]).read_text(encoding="utf-8") if prompts else ""
print(json.dumps({
    "module_file": winback_grader.__file__,
    "rubric_id": rubric.id,
    "criteria": len(rubric.criteria),
    "rubrics": sorted(entry.name for entry in package.joinpath("rubrics").iterdir()),
    "prompts": prompts,
    "prompt_chars": len(prompt_text),
    "py_typed": package.joinpath("py.typed").is_file(),
}))
"""


def run(
    command: list[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
        env=env,
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding only the freshly built wheel of winback_grader."""
    root = tmp_path_factory.mktemp("packaging")

    # Build without isolation: an isolated build would download hatchling from the network.
    dist = root / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, REPO_ROOT])
    [wheel] = dist.glob("winback_grader-*.whl")

    venv = root / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            wheel,
        ]
    )

    # Let the new environment find the dev environment's third-party packages, after its own.
    site_packages = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    dev_site_packages = sysconfig.get_paths()["purelib"]
    pth = Path(site_packages.stdout.strip()) / "winback_grader_test_dependencies.pth"
    pth.write_text(dev_site_packages + "\n", encoding="utf-8")
    return venv


def clean_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    environment["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    return environment


def test_wheel_loads_rubric_and_prompts(installed_venv: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    script = outside / "check_install.py"
    script.write_text(CHECK_SCRIPT, encoding="utf-8")

    result = run([installed_venv / "bin" / "python", script], cwd=outside, env=clean_environment())
    report = json.loads(result.stdout)

    module_file = Path(report["module_file"]).resolve()
    assert module_file.is_relative_to(installed_venv.resolve())
    assert not module_file.is_relative_to(REPO_ROOT)
    assert report["rubric_id"] == "winback"
    assert report["criteria"] == 15
    shipped = sorted(path.name for path in (REPO_ROOT / "rubrics").glob("*.yaml"))
    assert report["rubrics"] == shipped
    assert report["py_typed"] is True


def test_wheel_carries_prompt_templates(installed_venv: Path, tmp_path: Path) -> None:
    templates = sorted(path.name for path in (REPO_ROOT / "prompts").glob("*.j2"))
    if not templates:
        pytest.skip("the repository has no prompts/*.j2 template yet")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    script = outside / "check_install.py"
    script.write_text(CHECK_SCRIPT, encoding="utf-8")

    result = run([installed_venv / "bin" / "python", script], cwd=outside, env=clean_environment())
    report = json.loads(result.stdout)

    assert report["prompts"] == templates
    assert report["prompt_chars"] > 0


def test_wheel_console_script(installed_venv: Path, tmp_path: Path) -> None:
    result = run(
        [installed_venv / "bin" / "winback-grader", "rubric", "show", "winback"],
        cwd=tmp_path,
        env={**clean_environment(), "COLUMNS": "200"},
    )

    assert "Reason for leaving (reason_for_leaving)" in result.stdout
