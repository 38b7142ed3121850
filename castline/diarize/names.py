"""Names: the ``--speakers`` hint, names announced in the intro, names spoken to.

* :func:`parse_speakers` reads ``"Tim Scarfe:host,Eiso Kant:guest"``;
* :func:`discover_names` finds the host and guests an intro announces
  ("conversation with NAME", "joined by NAME and NAME", "I'm NAME");
* :class:`NameMatcher` finds the episode's speakers in text (tolerant of ASR
  spellings), and who is addressed by name ("Jerod, what do you think?").
"""

from __future__ import annotations

import re

from castline.model import ROLES, Speaker
from castline.segment.structure import is_host_intro

__all__ = [
    "GREETING_VOCATIVE",
    "GUEST_THANKS",
    "HOST_THANKS",
    "NOT_VOCATIVE",
    "VOCATIVE_END",
    "VOCATIVE_FLOOR",
    "VOCATIVE_START",
    "addressed_names",
    "NameMatcher",
    "discover_names",
    "parse_speakers",
    "same_person",
]


def parse_speakers(spec: str) -> list[Speaker]:
    """Parse ``"Tim Scarfe:host,Eiso Kant:guest"`` into speakers ``S1``, ``S2``, ...

    Roles are optional: without any, the first person is the host and the rest
    guests; a person without a role in a spec that gives some is a guest.
    Raises ValueError on an empty spec, an empty name or an unknown role.
    """
    parts = [p.strip() for p in re.split(r"[,;\n]", spec or "") if p.strip()]
    if not parts:
        raise ValueError("empty speakers spec: expected e.g. 'Tim Scarfe:host,Eiso Kant:guest'")
    parsed: list[tuple[str, str | None]] = []
    for part in parts:
        name, sep, role = part.rpartition(":") if ":" in part else (part, "", "")
        name, role = name.strip(), role.strip().lower()
        if not name:
            raise ValueError(f"speaker {part!r} has no name (expected 'Name' or 'Name:role')")
        if sep and role not in ROLES:
            raise ValueError(f"speaker {name!r} has unknown role {role!r}; roles are {', '.join(ROLES)}")
        parsed.append((name, role if sep else None))
    any_role = any(role for _, role in parsed)
    speakers = []
    for index, (name, role) in enumerate(parsed):
        if role is None:
            role = "guest" if any_role or index > 0 else "host"
        speakers.append(Speaker(id=f"S{index + 1}", name=name, role=role))
    return speakers


_NAME = r"((?:Dr\.?\s+|Professor\s+)?[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’-]*|de|van|von|da|di|le|al|bin))*)"
_GUEST_INTRO = [
    re.compile(p + _NAME)
    for p in (
        r"(?i:conversation\s+with)\s+",
        r"(?i:(?:talking|speaking|chatting|sitting\s+down)\s+(?:today\s+)?with)\s+",
        r"(?i:joined\s+(?:today\s+|here\s+|again\s+)?by)\s+",
        r"(?i:(?:my|our)\s+guests?\s+(?:today\s+|this\s+week\s+|on\s+the\s+show\s+)?(?:is|are))\s+",
        r"(?i:welcome\s+(?:back\s+)?(?:to\s+the\s+(?:show|podcast),?\s+)?)",
        r"(?i:joining\s+(?:me|us)\s+(?:today\s+|now\s+)?(?:is|are))\s+",
        r"(?i:(?:please\s+)?welcome)\s+",
    )
]
_LISTED_NAME = re.compile(
    r"(?:,\s*|\s)and\s+((?:Dr\.?\s+)?[A-Z][\w'’-]+(?:\s+(?:de|van|von|da|di|le|al|bin))?"
    r"\s+[A-Z][\w'’-]+)"
)
_SELF_INTRO = [
    re.compile(p + _NAME)
    for p in (
        r"(?i:my\s+name\s+is)\s+",
        r"(?i:i'?m|i’m|i\s+am)\s+",
        r"(?i:this\s+is)\s+",
    )
]
# Capitalised words that start sentences or name shows, not people.
_NOT_NAMES = frozenset(
    """The A An And But So Now Well Yeah Yes No Okay Ok Oh Today Here There This That It
    Thank Thanks Welcome Everyone Everybody Folks Guys Back Me Us Him Her Them You We They
    Our My Your His Their Episode Show Podcast Part Season I Not Really Very Just Also Still
    Going Here's It's That's What Why How When Who Where Sure Great Good Glad Happy Excited
    Super Delighted Honoured Honored Pleased Thrilled""".split()
)


def _clean_name(raw: str) -> str | None:
    tokens = raw.replace("’", "'").split()
    # Drop trailing words that are plainly not part of a name.
    while tokens and (tokens[-1] in _NOT_NAMES or tokens[-1].lower() in {"and", "who", "from"}):
        tokens.pop()
    while tokens and tokens[0] in _NOT_NAMES:
        tokens.pop(0)
    tokens = [t.rstrip(".,'") for t in tokens[:4]]
    tokens = [t for t in tokens if t]
    if not tokens or not tokens[0][:1].isupper():
        return None
    return " ".join(tokens)


def discover_names(sentences: list[str], *, within: int = 80) -> tuple[str | None, list[str]]:
    """``(host name, guest names)`` announced in the first ``within`` sentences.

    Guests come from phrases such as "conversation with NAME", "joined by NAME
    and NAME", "my guest today is NAME"; the host from "I'm NAME", "my name is
    NAME", "this is NAME" in a sentence that also introduces the show. Names are
    returned as heard (ASR misspellings are fixed later by the glossary).
    """
    host: str | None = None
    guests: list[str] = []
    for sentence in sentences[:within]:
        intro = is_host_intro(sentence)
        for pattern in _GUEST_INTRO:
            for match in pattern.finditer(sentence):
                tail = sentence[match.start(1) :]
                # "joined by A and B" / "A, B and C" name several guests.
                for piece in re.split(r",\s*|\s+and\s+|\s*&\s*", tail)[:4]:
                    m = re.match(_NAME, piece.strip())
                    name = _clean_name(m.group(1)) if m else None
                    if name and name not in guests and name != host:
                        guests.append(name)
                    if not m or m.end() < len(piece.strip()):
                        break
                # "joined by A, who ..., and B, who ...": later full names after "and".
                for extra in _LISTED_NAME.finditer(tail):
                    name = _clean_name(extra.group(1))
                    if name and " " in name and name not in guests and name != host:
                        guests.append(name)
        if host is None and (intro or re.search(r"(?i)\bmy name is\b", sentence)):
            for pattern in _SELF_INTRO:
                m = pattern.search(sentence)
                if m and (name := _clean_name(m.group(1))) and len(name) > 1:
                    host = name
                    break
    guests = [g for g in guests if host is None or not same_person(g, host)]
    return host, guests


def same_person(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(a.lower(), b.lower()) >= 85


HOST_THANKS = re.compile(
    r"\b(?:thank(?:s|\s+you)(?:\s+so\s+much|\s+very\s+much)?\s+for\s+(?:joining|coming|being"
    r"|taking\s+the\s+time)|(?:an?\s+)?(?:honou?r|pleasure|privilege|great)\s+to\s+have\s+you"
    r"|welcome\s+(?:back\s+)?to\s+the\s+(?:show|podcast)|great\s+to\s+have\s+you)",
    re.IGNORECASE,
)
# "Thanks for having me" / "glad to be here": a guest answering the welcome. In the
# training shows 94 % of the turns saying so are a guest's (1,049 of 1,116).
GUEST_THANKS = re.compile(
    r"\b(?:thanks?|thank\s+you)\b[^.?!]{0,40}?\bfor\s+(?:having|inviting)\s+(?:me|us)\b"
    r"|\b(?:glad|happy|great|good|a\s+pleasure|excited|thrilled)\s+to\s+be\s+(?:here|on)\b",
    re.IGNORECASE,
)
# "NAME, welcome" / "NAME, it's great to have you": the host turning to the guest.
GREETING_VOCATIVE = re.compile(
    r"^[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?,\s+(?:welcome|it'?s\s+(?:an?\s+)?(?:great|honou?r"
    r"|pleasure|privilege|good)|thanks?\s+(?:you\s+)?for|great\s+to)",
)

VOCATIVE_START = re.compile(r"^([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?),\s")
VOCATIVE_END = re.compile(r",\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s*[?.!]$")
# "Elena?" / "Marcus first." / "Priya, go ahead.": handing the floor to someone.
VOCATIVE_FLOOR = re.compile(
    r"^([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)(?:\s*[?.!]|,?\s+(?:first|go\s+ahead|you\s+first"
    r"|over\s+to\s+you|your\s+turn)\b.*)$"
)
NOT_VOCATIVE = _NOT_NAMES | frozenset(
    """Look Listen See Again Anyway Honestly Basically Actually Right Sorry Also Then Plus
    First Second Third Finally Personally Frankly Obviously Like Because However Otherwise
    """.split()
)


class NameMatcher:
    """Finds mentions of the episode's speakers in text, tolerant of ASR spellings."""

    def __init__(self, names: list[str]):
        self.names = names
        self.tokens: list[set[str]] = []
        for name in names:
            toks = {t.lower() for t in re.findall(r"[\w'’-]+", name) if len(t) > 1}
            toks -= {"dr", "professor", "the", "de", "van", "von", "da", "di", "le", "al"}
            self.tokens.append(toks)

    def match(self, word: str) -> int | None:
        """Index of the speaker whose name ``word`` most plausibly is, or None."""
        import jellyfish
        from rapidfuzz import fuzz

        w = word.lower().strip("'’")
        if len(w) < 2:
            return None
        best, best_score = None, 0.0
        for k, toks in enumerate(self.tokens):
            for t in toks:
                if w == t:
                    score = 100.0
                else:
                    score = fuzz.ratio(w, t)
                    # "Iso" for "Eiso", "Izo" for "Eiso": same sound, different letters.
                    if jellyfish.metaphone(w) == jellyfish.metaphone(t) and len(w) >= 3:
                        score = max(score, 85.0)
                    if len(t) >= 4 and len(w) >= 3 and (t.endswith(w) or t.startswith(w)):
                        score = max(score, 80.0)
                if score > best_score:
                    best, best_score = k, score
        return best if best_score >= 75.0 else None

    def mentions(self, text: str) -> list[int]:
        """Speakers named anywhere in ``text`` (capitalised words only)."""
        found = []
        for token in re.findall(r"\b[A-Z][\w'’-]+", text):
            if token in NOT_VOCATIVE:
                continue
            k = self.match(token)
            if k is not None and k not in found:
                found.append(k)
        return found

    def vocatives(self, text: str) -> list[int]:
        """Speakers addressed by name at the start or end of ``text``."""
        found = []
        for pattern in (VOCATIVE_START, VOCATIVE_END, VOCATIVE_FLOOR):
            m = pattern.search(text.strip())
            if m and m.group(1).split()[0] not in NOT_VOCATIVE:
                for token in m.group(1).split():
                    k = self.match(token)
                    if k is not None and k not in found:
                        found.append(k)
        return found


def addressed_names(text: str) -> list[str]:
    """Names ``text`` addresses at its start or end ("Nick, what do you think?", "..., right, Amal?")."""
    found = []
    for pattern in (VOCATIVE_START, VOCATIVE_END, VOCATIVE_FLOOR):
        m = pattern.search(text.strip())
        if m:
            first = m.group(1).split()[0]
            if first not in NOT_VOCATIVE and first not in found and len(first) > 1:
                found.append(first)
    return found
