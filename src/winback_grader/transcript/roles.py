"""Speaker roles: from an explicit mapping, from labels that say so, or inferred from the words.

The chosen mapping and how it was chosen go into the transcript's metadata (``roles``,
``role_source`` and, when inferred, ``role_evidence``), so that a wrong guess can be seen and
overridden with ``load_transcript(..., roles={"spk_0": "agent"})``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from ..errors import TranscriptError
from .models import Role
from .readers import UNKNOWN_SPEAKER, Fragment

__all__ = ["RoleAssignment", "RoleSource", "assign_roles", "role_from_label"]

RoleSource = Literal["mapping", "labels", "inferred", "none"]

_AGENT_WORDS = frozenset(
    {
        "agent",
        "rep",
        "representative",
        "advisor",
        "adviser",
        "associate",
        "csr",
        "operator",
        "support",
        "specialist",
        "consultant",
    }
)
_CUSTOMER_WORDS = frozenset({"customer", "caller", "client", "subscriber", "member"})

# Phrases an agent says and a customer rarely does, with a weight for how sure each is.
_AGENT_EVIDENCE: list[tuple[re.Pattern[str], int]] = [
    (re.compile(r"\bthanks? (?:you )?for calling\b"), 3),
    (
        re.compile(
            r"\b(?:this|the|your) call (?:may|will|might|is going to) be (?:recorded|monitored)\b"
        ),
        3,
    ),
    (re.compile(r"\bhow (?:can|may|could) i (?:help|assist)\b"), 2),
    (re.compile(r"\bwhat can i do for you\b"), 2),
    (re.compile(r"\bi(?:'ll| will) be (?:assisting|helping) you\b"), 2),
    (re.compile(r"\bcan i (?:please )?(?:have|get) your (?:name|account|phone|email)\b"), 2),
    (re.compile(r"\b(?:i'm|i am) calling from\b"), 1),
    (re.compile(r"\b(?:confirm|verify) your\b"), 1),
]


@dataclass
class RoleAssignment:
    """The role of every speaker and how the roles were chosen."""

    roles: dict[str, Role]
    """Speaker label -> role."""
    source: RoleSource
    """The method that chose the roles: a mapping, the labels, the words, or none."""
    evidence: dict[str, list[str]] = field(default_factory=dict)
    """Speaker label -> the agent phrases found in that speaker's words."""
    warnings: list[str] = field(default_factory=list)
    """Doubts about the result, such as labels that the words contradict."""


def role_from_label(label: str) -> Role | None:
    """Return the role a label names (``"Agent Dana"`` -> agent), else None."""
    words = set(re.findall(r"[a-z]+", label.lower()))
    if words & _AGENT_WORDS:
        return "agent"
    if words & _CUSTOMER_WORDS:
        return "customer"
    return None


def _complete_pair(roles: dict[str, Role], speakers: Sequence[str]) -> None:
    """With two speakers and one role known, give the other speaker the other role."""
    if len(speakers) != 2:
        return
    known = [roles[s] for s in speakers if roles.get(s, "unknown") != "unknown"]
    if len(known) == 1:
        other: Role = "customer" if known[0] == "agent" else "agent"
        for speaker in speakers:
            if roles.get(speaker, "unknown") == "unknown":
                roles[speaker] = other


def _find_evidence(fragments: Sequence[Fragment], speakers: Sequence[str]) -> dict[str, list[str]]:
    evidence: dict[str, list[str]] = {speaker: [] for speaker in speakers}
    for fragment in fragments:
        text = fragment.text.lower().replace("’", "'")
        for pattern, weight in _AGENT_EVIDENCE:
            match = pattern.search(text)
            if match is not None:
                evidence[fragment.speaker].extend([match.group(0)] * weight)
    return evidence


def _infer_agent(evidence: dict[str, list[str]]) -> str | None:
    """Return the one speaker with the most agent evidence, or None when none or a tie."""
    scores = sorted(((len(found), speaker) for speaker, found in evidence.items()), reverse=True)
    if not scores or scores[0][0] == 0:
        return None
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        return None
    return scores[0][1]


def _check_mapping(mapping: Mapping[str, str], speakers: Sequence[str]) -> dict[str, Role]:
    allowed = get_args(Role)
    roles: dict[str, Role] = {}
    for speaker, role in mapping.items():
        if role not in allowed:
            raise TranscriptError(
                f"roles={{{speaker!r}: {role!r}}}: {role!r} is not a role; "
                f"use one of {', '.join(allowed)}"
            )
        if speaker not in speakers:
            raise TranscriptError(
                f"roles= names speaker {speaker!r}, which does not speak in the transcript; "
                f"its speakers are {', '.join(repr(s) for s in speakers)}"
            )
        roles[speaker] = role  # type: ignore[assignment]  # checked against Role just above
    return roles


def assign_roles(
    fragments: Sequence[Fragment],
    label_roles: Mapping[str, Role],
    mapping: Mapping[str, str] | None,
) -> RoleAssignment:
    """Choose every speaker's role: an explicit mapping first, then labels, then the words."""
    speakers = list(dict.fromkeys(fragment.speaker for fragment in fragments))
    evidence = _find_evidence(fragments, speakers)
    # Inference needs two diarized speakers: with one, or with speech the source never split
    # by speaker, the words cannot tell whose they are.
    diarized = len(speakers) >= 2 and UNKNOWN_SPEAKER not in speakers
    inferred_agent = _infer_agent(evidence) if diarized else None

    if mapping:
        roles = _check_mapping(mapping, speakers)
        _complete_pair(roles, speakers)
        return RoleAssignment(_with_unknown(roles, speakers), "mapping")

    roles = {}
    for speaker in speakers:
        role = label_roles.get(speaker) or role_from_label(speaker)
        if role is not None:
            roles[speaker] = role
    if roles:
        _complete_pair(roles, speakers)
        assignment = RoleAssignment(_with_unknown(roles, speakers), "labels")
        if inferred_agent is not None and assignment.roles[inferred_agent] != "agent":
            labelled_agents = [s for s, r in assignment.roles.items() if r == "agent"]
            phrases = ", ".join(sorted(set(evidence[inferred_agent])))
            assignment.evidence = {s: sorted(set(found)) for s, found in evidence.items() if found}
            assignment.warnings.append(
                f"the labels make {', '.join(labelled_agents) or 'no speaker'} the agent, but "
                f"{inferred_agent} says what agents say ({phrases}); if the labels are wrong, "
                f"pass roles={{{inferred_agent!r}: 'agent'}} to load_transcript"
            )
        return assignment

    if inferred_agent is not None:
        roles = {inferred_agent: "agent"}
        _complete_pair(roles, speakers)
        found = {s: sorted(set(words)) for s, words in evidence.items() if words}
        return RoleAssignment(_with_unknown(roles, speakers), "inferred", evidence=found)

    return RoleAssignment(_with_unknown({}, speakers), "none")


def _with_unknown(roles: dict[str, Role], speakers: Sequence[str]) -> dict[str, Role]:
    return {speaker: roles.get(speaker, "unknown") for speaker in speakers}
