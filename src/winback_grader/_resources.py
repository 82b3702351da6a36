"""Find the data folders that ship with the package (``prompts/``, ``rubrics/``)."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["resource_dir"]


def resource_dir(name: str) -> Traversable:
    """Return the shipped folder ``name``: inside the installed package, else the source checkout.

    The wheel carries ``prompts/`` and ``rubrics/`` inside the package. An editable install of a
    source checkout does not, so the folders are taken from the repository root instead.
    """
    packaged = files("winback_grader") / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name
