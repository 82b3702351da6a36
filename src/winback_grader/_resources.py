"""Find the data folders that ship with the package (``prompts/``, ``rubrics/``)."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

# importlib.resources.abc appeared in Python 3.11, so on 3.10 Traversable comes from importlib.abc.
if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

__all__ = ["Traversable", "resource_dir"]


def resource_dir(name: str) -> Traversable:
    """Return the shipped folder ``name``: inside the installed package, else the source checkout.

    The wheel carries ``prompts/`` and ``rubrics/`` inside the package. An editable install of a
    source checkout does not, so the folders are taken from the repository root instead.
    """
    packaged = files("winback_grader") / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name
