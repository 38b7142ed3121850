"""Text-only speaker attribution for transcripts without speaker labels.

An unlabelled transcript (raw ASR chunks) is joined, split into sentences
across chunk boundaries, and the sentences are grouped into turns by a
semi-Markov model (a hidden Markov model over whole turns) whose states are the
speakers:

* **emissions** score how host-like a sentence is: a logistic regression over
  cue features (:mod:`castline.diarize.text_features`: questions, requests,
  second person aimed at the guest, introductions, thanks for joining or for
  having me, "we built", first person, length, the neighbouring sentences)
  gives host-vs-guest log-odds. Names add speaker-specific evidence: someone
  addressed by name is not the one speaking, and is likely to speak next;
  someone introducing themselves ("I'm NAME") is speaking.
* **boundaries** score each sentence boundary for a change of speaker with a
  second logistic regression (a question before, an answer or reaction opener
  after, a vocative name, an unfinished sentence across it, an echo of the
  other's words, "you ...?" then "I ...").
* **turn lengths** follow a log-normal prior per role, and a turn that ends by
  handing over with a question leans to the host, which lets a host's long
  preamble before a question stay one turn.

A dynamic programme picks the best sequence of turns; forward-backward over a
sentence-level HMM with the same evidence gives each turn a ``confidence``.
Structure anchors the decoding: the host's introduction (up to the greeting of
the guest) and sponsor reads are the host's; cold-open quotes lean to the
guest and to whoever says them where they reappear later.

Names come from a ``speakers`` hint (:func:`parse_speakers`) or from the intro
("conversation with NAME", "my guest today is NAME", "I'm NAME", ...).
The regressions and the decoder settings (:class:`Weights`) are fitted on the
tuning part of ``bench/devset`` by ``bench/speakers.py --fit`` and stored in
:mod:`castline.diarize.text_weights`; ``bench/speakers.py`` reports tuning and
held-out figures. Long episodes get a second pass that learns each speaker's
own vocabulary from the first (naive Bayes, cross-fitted in two folds).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
from dataclasses import dataclass

import numpy as np

from castline.model import ROLES, Episode, Speaker, Turn
from castline.segment.structure import find_cold_open, intro_index, is_host_intro, sponsor_spans
from castline.text import heading_line
from castline.text import sentences as split_sentences

__all__ = [
    "UNATTRIBUTED",
    "WEIGHTS",
    "Weights",
    "attribute_speakers",
    "discover_names",
    "parse_speakers",
]

#: Name given to the speaker of unlabelled turns in an otherwise labelled file.
UNATTRIBUTED = "Unattributed"


# -- the speakers hint -------------------------------------------------------------


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


# -- names from the intro --------------------------------------------------------

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
    guests = [g for g in guests if host is None or not _same_person(g, host)]
    return host, guests


def _same_person(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(a.lower(), b.lower()) >= 85


# -- per-sentence evidence ---------------------------------------------------------

# Question openers; bare wh-words count only when the sentence ends in "?",
# since "When I was a kid ..." and "What you want is ..." are statements.
_QUESTION_OPENER = re.compile(
    r"^(?:(?:so|and|but|now|okay|ok|well|right|then),?\s+)*(?:(?P<wh>what|how|why|when|where|who"
    r"|which)\b|do\s+you|did\s+you|are\s+you|can\s+you|could\s+you|would\s+you|will\s+you"
    r"|have\s+you|tell\s+(?:us|me)|talk\s+(?:us|me)\s+through|walk\s+(?:us|me)\s+through)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(
    r"\b(?:tell\s+(?:us|me|our\s+\w+)|walk\s+(?:us|me)\s+through|talk\s+(?:us|me)\s+through"
    r"|can\s+you\s+(?:explain|describe|say|give)|(?:i'?m|i’m)\s+(?:curious|wondering)"
    r"|what\s+(?:do|did|would|will)\s+you|how\s+(?:do|did|would|will)\s+you"
    r"|what'?s\s+your|what’s\s+your|let'?s\s+(?:start|begin|talk|get\s+into|dig|turn|go\s+back)"
    r"|let’s\s+(?:start|begin|talk|get\s+into|dig|turn|go\s+back)|let\s+me\s+(?:ask|push|start|turn|come\s+back|bring\s+in"
    r"|i'?m\s+trying\s+to\s+(?:understand|tease\s+out|get\s+at|figure\s+out|square)"
    r"|(?:so\s+)?you'?re\s+saying|what\s+you'?re\s+saying|if\s+i\s+understand\s+you"
    r"|play\s+devil|read\s+you|put\s+(?:this|it)\s+to\s+you)|i\s+want\s+to\s+ask)\b",
    re.IGNORECASE,
)
_YOU_GUEST = re.compile(
    r"\b(?:you\s+guys|you\s+folks|you\s+all|y'all|your\s+(?:company|team|work|research|book|paper"
    r"|startup|background|career|view|views|take|lab|product|customers|co-?founder|journey"
    r"|thesis|vision|approach|story|experience|models?)|you\s+(?:built|founded|started|wrote"
    r"|said|mentioned|think|believe|argue|decided|raised|wrote|were\s+saying)"
    r"|(?:interview(?:ing)?|ask(?:ing)?|having)\s+you\b|(?:have|had)\s+you\s+on)\b",
    re.IGNORECASE,
)
_WE = re.compile(r"\b(?:we|we're|we’re|we've|we’ve|we'd|our|ours|us)\b", re.IGNORECASE)
_WE_BUILD = re.compile(
    r"\b(?:we|our)\s+(?:built|build|founded|started|launched|trained|train|ship|shipped|raised"
    r"|hired|decided|took|focus|company|models?|team|customers|product|research|approach"
    r"|view|mission|goal)\b",
    re.IGNORECASE,
)
_GUEST_THANKS = re.compile(
    r"\b(?:thank(?:s|\s+you)(?:\s+so\s+much|\s+very\s+much)?\s+for\s+having\s+me"
    r"|(?:great|good|glad|happy|pleasure|thrilled|excited)\s+to\s+be\s+(?:here|on|back)"
    r"|thanks\s+for\s+the\s+invit)",
    re.IGNORECASE,
)
_HOST_THANKS = re.compile(
    r"\b(?:thank(?:s|\s+you)(?:\s+so\s+much|\s+very\s+much)?\s+for\s+(?:joining|coming|being"
    r"|taking\s+the\s+time)|(?:an?\s+)?(?:honou?r|pleasure|privilege|great)\s+to\s+have\s+you"
    r"|welcome\s+(?:back\s+)?to\s+the\s+(?:show|podcast)|great\s+to\s+have\s+you)",
    re.IGNORECASE,
)
# "NAME, welcome" / "NAME, it's great to have you": the host turning to the guest.
_GREETING_VOCATIVE = re.compile(
    r"^[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?,\s+(?:welcome|it'?s\s+(?:an?\s+)?(?:great|honou?r"
    r"|pleasure|privilege|good)|thanks?\s+(?:you\s+)?for|great\s+to)",
)
# "..., right?" "..., isn't it?": often rhetorical, the speaker may go on.
_TAG_QUESTION = re.compile(
    r",\s*(?:right|no|yeah|correct|okay|ok|you\s+know|agreed|(?:is|are|was|were|do|does|did"
    r"|have|has|can|could|would|will|should)n['’]?t\s+(?:it|they|you|we|he|she|that|there))\?$",
    re.IGNORECASE,
)
_TAG_ONLY = re.compile(
    r"^(?:right|yeah|no|correct|okay|ok|you\s+know|true|agreed|isn['’]?t\s+it|don['’]?t\s+you"
    r"\s+think)\s*\?$",
    re.IGNORECASE,
)
# Questions asked as statements: "I'd love to know what you ...", "I wonder whether ...".
_INDIRECT_QUESTION = re.compile(
    r"\b(?:i'?d\s+love\s+to\s+(?:know|hear)|i’d\s+love\s+to\s+(?:know|hear)|i'?m\s+curious"
    r"|i’m\s+curious|i\s+wonder(?:ed)?\s+(?:if|whether|what|how|why)|tell\s+(?:us|me)\s+about"
    r"|i\s+want\s+to\s+(?:ask|hear|know))\b",
    re.IGNORECASE,
)
_OPENER = re.compile(
    r"^(?:(?:and|but|so|well|oh|look),?\s+(?=i\s+(?:agree|disagree|'?d\s+push|'?ll\s+push)|that'?s\s+fair"
    r"|to\s+be\s+fair))?(?:yeah|yes|yep|yup|no|nope|absolutely|exactly|definitely|totally|right|sure|correct"
    r"|indeed|oh|wow|interesting|fascinating|amazing|great|good\s+(?:question|point)|okay|ok|mm"
    r"|mhm|hmm|ah|well|of\s+course|i\s+agree|i\s+disagree|fair(?:\s+enough)?|true|thank\s+you"
    r"|thanks|i\s+love\s+that|love\s+that|that'?s\s+(?:a\s+)?(?:great|good|fair|interesting"
    r"|right|true|so|really|amazing|fascinating)|that’s\s+(?:a\s+)?(?:great|good|fair|interesting"
    r"|right|true|so|really|amazing|fascinating)|so\s+i\s+think|i\s+think\s+(?:that'?s|it'?s)"
    r"|it'?s\s+a\s+(?:great|good)\s+question|(?:i'?ll|let\s+me|i'?d|i\s+want\s+to)\s+push\s+(?:back|on)"
    r"|i'?m\s+not\s+sure\s+i\s+agree|to\s+be\s+fair|fair\s+point|good\s+point|i\s+hear\s+you"
    r"|i\s+(?:would|'d)\s+(?:say|argue)|can\s+i\s+(?:jump|come)\s+in)\b",
    re.IGNORECASE,
)
# A sentence that is only a reaction ("Interesting." "Yeah, I love that.").
_REACTION_ONLY = re.compile(
    r"^(?:(?:yeah|yes|yep|no|absolutely|exactly|definitely|totally|right|sure|correct|indeed"
    r"|oh|wow|interesting|fascinating|amazing|great|okay|ok|mm|mhm|hmm|ah|ha|haha|of\s+course|true"
    r"|i\s+love\s+that|love\s+that|i\s+agree|fair\s+enough|that'?s\s+(?:\w+\s+){0,2}\w+"
    r"|that’s\s+(?:\w+\s+){0,2}\w+|makes\s+sense|got\s+it|i\s+see|wow)[\s,.!?]*){1,3}$",
    re.IGNORECASE,
)
_VOCATIVE_START = re.compile(r"^([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?),\s")
_VOCATIVE_END = re.compile(r",\s+([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s*[?.!]$")
# "Elena?" / "Marcus first." / "Priya, go ahead.": handing the floor to someone.
_VOCATIVE_FLOOR = re.compile(
    r"^([A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)(?:\s*[?.!]|,?\s+(?:first|go\s+ahead|you\s+first"
    r"|over\s+to\s+you|your\s+turn)\b.*)$"
)
_NOT_VOCATIVE = _NOT_NAMES | frozenset(
    """Look Listen See Again Anyway Honestly Basically Actually Right Sorry Also Then Plus
    First Second Third Finally Personally Frankly Obviously Like Because However Otherwise
    """.split()
)


_FIRST_PERSON = re.compile(r"\b(?:i|me|my|we|us|our|i'm|i’m|we're|we’re)\b", re.I)
# Questions a speaker asks themselves ("the question is, ...?") rather than someone else.
_RHETORICAL = re.compile(
    r"\b(?:the\s+question\s+(?:is|becomes|then\s+is)|there'?s\s+(?:a|the)\s+question\s+of"
    r"|the\s+real\s+question|ask\s+(?:yourself|ourselves))\b",
    re.I,
)


@dataclass
class _Unit:
    """A sentence (or a piece of a run-on sentence) of the joined transcript."""

    text: str
    start: int
    end: int
    words: int


@dataclass
class _Evidence:
    host: np.ndarray  # (N,) host-vs-guest log-likelihood ratio per unit
    words: np.ndarray  # (N,) word counts
    named: np.ndarray  # (N, K) speaker-specific log-odds per unit
    switch: np.ndarray  # (N,) log-odds of a change before unit i (switch[0] unused)
    address: np.ndarray  # (N, K) bonus for switching to speaker k at unit i
    asks: np.ndarray  # (N,) bool: the unit is a question put to someone (not "..., right?")


@dataclass
class Weights:
    """Decoder settings of the turn model (the cue weights are learned).

    Sentence and boundary cue weights are logistic-regression coefficients
    (:mod:`castline.diarize.text_weights`); these few scalars say how the turn
    model combines them, and are chosen by ``bench/speakers.py --fit`` on
    out-of-fold predictions of the tuning dialogues.
    """

    emission_scale: float = 1.0  # multiplies the learned host log-odds
    host_bias: float = 0.0  # lean of every sentence to the host (+) or guests (-)
    switch_scale: float = 1.0  # multiplies the learned change log-odds
    switch_bias: float = 0.0  # added to them (the segment model has length priors too)
    host_median: float = 16.0  # turn length priors (words): log-normal median, spread
    host_spread: float = 2.0
    guest_median: float = 50.0
    guest_spread: float = 1.5
    host_first: float = 1.0  # episodes (after any cold open) open with the host
    adaptation: float = 0.2  # weight of each speaker's own vocabulary (second pass)
    adapt_min_words: float = 2000.0  # adaptation needs this much talk to learn from
    cold_open_guest: float = 1.5  # lean of cold-open sentences to the guests
    turn_end_question: float = 0.0  # a turn that ends in a question is the host's


def _fitted_weights() -> Weights:
    from castline.diarize.text_weights import DECODER

    fields = {f.name for f in dataclasses.fields(Weights)}
    return Weights(**{k: v for k, v in DECODER.items() if k in fields})


WEIGHTS = _fitted_weights()


class _NameMatcher:
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
            if token in _NOT_VOCATIVE:
                continue
            k = self.match(token)
            if k is not None and k not in found:
                found.append(k)
        return found

    def vocatives(self, text: str) -> list[int]:
        """Speakers addressed by name at the start or end of ``text``."""
        found = []
        for pattern in (_VOCATIVE_START, _VOCATIVE_END, _VOCATIVE_FLOOR):
            m = pattern.search(text.strip())
            if m and m.group(1).split()[0] not in _NOT_VOCATIVE:
                for token in m.group(1).split():
                    k = self.match(token)
                    if k is not None and k not in found:
                        found.append(k)
        return found


# -- the model ----------------------------------------------------------------------


def _units(text: str, spans_of_chunks: list[tuple[int, int]]) -> list[_Unit]:
    """Sentences of ``text``; run-on sentences are also cut at chunk boundaries."""
    chunk_starts = [s for s, _ in spans_of_chunks]
    units: list[_Unit] = []
    for s in _sentences_by_block(text, spans_of_chunks):
        pieces = [(s.start, s.end)]
        if len(s.text.split()) > 40:
            cuts = [c for c in chunk_starts if s.start < c < s.end]
            bounds = [s.start, *cuts, s.end]
            pieces = [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
        for a, b in pieces:
            piece = text[a:b].strip()
            if piece:
                lead = len(text[a:b]) - len(text[a:b].lstrip())
                units.append(_Unit(piece, a + lead, a + lead + len(piece), len(piece.split())))
    return units


def _sentences_by_block(text: str, spans_of_chunks: list[tuple[int, int]]):
    """Sentences of ``text``, segmenting blocks of chunks separately.

    pysbd slows down sharply on long texts, so the text is cut where a chunk
    ends a sentence (terminal punctuation) and each block is segmented alone;
    sentences still run across chunks that end mid-sentence.
    """
    from castline.text import Sentence

    block_start = 0
    out = []
    for index, (_, end) in enumerate(spans_of_chunks):
        last = index == len(spans_of_chunks) - 1
        block_words = len(text[block_start:end].split())
        if last or (re.search(r"[.?!…][\"”')\]]*$", text[block_start:end]) and block_words >= 30):
            stop = len(text) if last else end
            for s in split_sentences(text[block_start:stop]):
                out.append(Sentence(s.text, s.start + block_start, s.end + block_start))
            block_start = stop
    return out


def _evidence(
    units: list[_Unit],
    roles: list[str],
    matcher: _NameMatcher,
    *,
    host: np.ndarray | None = None,
    switch: np.ndarray | None = None,
) -> _Evidence:
    """Learned sentence and boundary evidence, plus what the speakers' names say.

    ``host`` / ``switch`` replace the fitted models' outputs (the bench passes
    out-of-fold predictions when it chooses the decoder settings).
    """
    from castline.diarize import text_features

    texts = [u.text for u in units]
    n, k = len(units), len(roles)
    host = text_features.host_logit(texts) if host is None else np.array(host, dtype=float)
    switch = text_features.switch_logit(texts) if switch is None else np.array(switch, dtype=float)
    named = np.zeros((n, k))
    address = np.zeros((n, k))
    for i, unit in enumerate(units):
        vocatives = matcher.vocatives(unit.text)
        for j in vocatives:
            named[i, j] -= 3.0  # nobody addresses themselves
            # The addressed person speaks next (or soon): favour switching to them
            # over the next few sentences, until the question is out.
            for ahead in range(i + 1, min(n, i + 5)):
                address[ahead, j] += 1.5
                if units[ahead - 1].text.rstrip().endswith("?"):
                    break
        for j in matcher.mentions(unit.text):
            if j in vocatives:
                continue
            # People rarely name themselves, except to introduce themselves.
            if re.search(r"(?i)\b(?:i'?m|i’m|i\s+am|my\s+name\s+is|this\s+is)\s+[A-Z]", unit.text):
                named[i, j] += 2.0
            else:
                named[i, j] -= 1.0
    words = np.array([u.words for u in units], dtype=float)
    asks = np.array([_asks_someone(t) for t in texts])
    return _Evidence(host=host, words=words, named=named, switch=switch, address=address, asks=asks)


def _asks_someone(text: str) -> bool:
    """A question put to someone else, not a "..., right?" check-in."""
    stripped = text.strip()
    return stripped.endswith("?") and not (_TAG_QUESTION.search(stripped) or _TAG_ONLY.match(stripped))


def _log_sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return -np.logaddexp(0.0, -np.asarray(x))


def _scores(ev: _Evidence, roles: list[str], forced: dict[int, int], w: Weights):
    """Emission (N, K) and per-boundary transition (N, K, K) log scores."""
    n, k = ev.named.shape
    role_sign = np.array([1.0 if r == "host" else -1.0 if r == "guest" else 0.0 for r in roles])
    # Half the host-vs-guest log ratio each way keeps their difference the ratio.
    host = w.emission_scale * ev.host + w.host_bias
    emit = 0.5 * host[:, None] * role_sign[None, :] + ev.named
    for i, state in forced.items():
        emit[i, :] = -30.0
        emit[i, state] = 0.0
    switch = w.switch_scale * ev.switch + w.switch_bias
    stay = _log_sigmoid(-switch)  # log(1 - p_switch)
    move = _log_sigmoid(switch)  # log p_switch
    trans = np.zeros((n, k, k))
    if k > 1:
        # Guests talk to the host more than to each other.
        weight = np.ones((k, k))
        for a in range(k):
            for b in range(k):
                if a != b and roles[a] != "host" and roles[b] != "host":
                    weight[a, b] = 0.4
        np.fill_diagonal(weight, 0.0)
        norm = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-9)
        with np.errstate(divide="ignore"):
            log_norm = np.log(norm)
        for i in range(1, n):
            bonus = ev.address[i][None, :]
            t = move[i] + log_norm + bonus
            np.fill_diagonal(t, stay[i])
            trans[i] = t
    return emit, trans


#: Longest turn the segment model considers, in sentences; longer ones chain.
MAX_TURN_UNITS = 160
#: Cost of chaining two turns of the same speaker (only for very long turns).
CHAIN_PENALTY = 4.0


def _decode_turns(
    emit: np.ndarray, trans: np.ndarray, ev: _Evidence, roles: list[str], w: Weights
) -> list[int]:
    """Semi-Markov Viterbi: the best sequence of turns (speaker per unit).

    A turn's score is the sum of its units' emissions, the stay scores of the
    boundaries inside it and a log-normal prior on its length in words by role;
    a change between turns scores the boundary's switch evidence.
    """
    n, k = emit.shape
    span = MAX_TURN_UNITS
    cum_emit = np.vstack([np.zeros(k), np.cumsum(emit, axis=0)])
    columns = np.arange(k)
    cum_stay = np.vstack([np.zeros(k), np.cumsum(trans[:, columns, columns], axis=0)])
    cum_words = np.concatenate([[0.0], np.cumsum(ev.words)])
    # Hosts ask short questions and guests give long answers, but both vary a lot.
    priors = {
        "host": (w.host_median, w.host_spread),
        "guest": (w.guest_median, w.guest_spread),
    }
    other = (math.sqrt(w.host_median * w.guest_median), w.guest_spread + 0.2)
    mu = np.array([math.log(priors.get(r, other)[0]) for r in roles])
    sigma = np.array([priors.get(r, other)[1] for r in roles])
    start_bonus = np.array([w.host_first if r == "host" else 0.0 for r in roles])
    role_sign = np.array([1.0 if r == "host" else -1.0 if r == "guest" else 0.0 for r in roles])
    end_question = w.turn_end_question * ev.asks[:, None] * role_sign[None, :]
    # Same-speaker chaining: allowed for over-long turns, at a cost.
    chained = trans.copy()
    chained[:, columns, columns] -= CHAIN_PENALTY
    two_sigma2 = 2 * sigma**2

    # A turn's own score, for every end b and every start a within reach (row b - 1,
    # column a - b + span; columns before the episode start are never read).
    ends = np.arange(1, n + 1)[:, None]
    starts = np.maximum(ends - span + np.arange(span)[None, :], 0)
    ends = np.broadcast_to(ends, starts.shape)
    log_words = np.log(np.maximum(cum_words[ends] - cum_words[starts], 1.0))[:, :, None]
    inside = cum_emit[ends] - cum_emit[starts]
    # Boundaries strictly inside the turn all "stay".
    inside += cum_stay[ends] - cum_stay[np.minimum(starts + 1, ends)]
    inside -= (log_words - mu) ** 2 / two_sigma2
    # Hosts end their turns by handing over with a question, however long the
    # preamble; a guest's turn rarely ends in one.
    inside += end_question[:, None, :]

    best = np.full((n + 1, k), -np.inf)
    back_start = np.zeros((n + 1, k), dtype=int)
    back_state = np.zeros((n + 1, k), dtype=int)
    # Entering a turn that starts at a (from the start, or from a turn of state i
    # ending there) depends only on the turns ending at a: worked out once, as soon
    # as best[a] is known. The loop over turn ends is the only Python loop.
    enter_best = np.empty((n + 1, k))
    enter_from = np.zeros((n + 1, k), dtype=int)
    enter_best[0] = start_bonus
    for b in range(1, n + 1):
        lo = max(0, b - span)
        total = enter_best[lo:b] + inside[b - 1, span - (b - lo) :]
        pick = np.argmax(total, axis=0)
        best[b] = total[pick, columns]
        back_start[b] = lo + pick
        back_state[b] = enter_from[lo + pick, columns]
        if b < n:
            move = best[b][:, None] + chained[b]  # (from, to)
            enter_from[b] = np.argmax(move, axis=0)
            enter_best[b] = move[enter_from[b], columns]
    path = [0] * n
    b, j = n, int(np.argmax(best[n]))
    while b > 0:
        a = back_start[b, j]
        for i in range(a, b):
            path[i] = j
        b, j = a, back_state[b, j]
    return path


def _posteriors(emit: np.ndarray, trans: np.ndarray) -> np.ndarray:
    """Per-unit state posteriors of the HMM (forward-backward, rescaled each step)."""
    n, k = emit.shape
    # Probabilities rescaled per step instead of log-space sums: two small
    # matrix products per unit rather than a logsumexp each; any per-row or
    # per-step constant cancels in the normalised posteriors.
    e = np.exp(emit - emit.max(axis=1, keepdims=True))
    t = np.exp(trans - trans.max(axis=(1, 2), keepdims=True))
    fwd = np.empty((n, k))
    bwd = np.ones((n, k))
    fwd[0] = e[0] / e[0].sum()
    for i in range(1, n):
        f = (fwd[i - 1] @ t[i]) * e[i]
        fwd[i] = f / max(f.sum(), 1e-300)
    for i in range(n - 2, -1, -1):
        b = t[i + 1] @ (e[i + 1] * bwd[i + 1])
        bwd[i] = b / max(b.sum(), 1e-300)
    post = fwd * bwd
    return post / np.maximum(post.sum(axis=1, keepdims=True), 1e-300)


# -- speakers for the states ---------------------------------------------------------


def _state_speakers(units: list[_Unit], hint: list[Speaker] | None) -> tuple[list[Speaker], list[str]]:
    """Speakers (one per model state) and notes on where their names came from."""
    if hint:
        speakers = [Speaker(id=f"S{i + 1}", name=s.name, role=s.role) for i, s in enumerate(hint)]
        if len(speakers) == 1:
            # One named person still talks to someone.
            other = "guest" if speakers[0].role == "host" else "host"
            speakers.append(Speaker(id="S2", name=other.title(), role=other))
        return speakers, ["speakers from the given hint"]
    host, guests = discover_names([u.text for u in units])
    notes = []
    if host:
        notes.append(f"host name {host!r} found in the intro")
    if guests:
        notes.append(f"guest names {guests!r} found in the intro")
    speakers = [Speaker(id="S1", name=host or "Host", role="host")]
    for i, name in enumerate(guests or ["Guest"]):
        speakers.append(Speaker(id=f"S{i + 2}", name=name, role="guest"))
    return speakers, notes


# -- public entry point -----------------------------------------------------------------


def attribute_speakers(episode: Episode, *, speakers: list[Speaker] | None = None) -> Episode:
    """Give every turn a speaker, name and role; returns ``episode`` (mutated).

    Unattributed input (every ``Turn.speaker`` None): the chunks are joined,
    split into sentences, decoded into turns by a turn-level (semi-Markov)
    model over sentence evidence, refined once with each speaker's own
    vocabulary on long episodes, and regrouped into turns whose ``verbatim``
    is the exact source text of their sentences (so the words, in order, are
    exactly the input's), with times interpolated from the source chunks (or
    taken from their word timings) and a ``confidence`` (mean posterior of the
    chosen speaker). ``speakers`` (see :func:`parse_speakers`) fixes who is in
    the episode; otherwise names come from the intro, else "Host" / "Guest".
    A third speaker appears only when hinted or announced in the intro.

    Labelled input: names and turns are kept; roles come from ``speakers``
    matched by fuzzy name (unmatched people get ``other``), else a speaker who
    out-asks everyone they talk with is a host (one per conversation in a
    notebook of excerpts) and the others guests. Unlabelled turns in a
    labelled file get a speaker "Unattributed" (role ``other``) rather than a
    guess.

    Examples
    --------
    >>> episode = attribute_speakers(episode, speakers=parse_speakers("Tim Scarfe:host,Eiso Kant"))
    >>> [(s.name, s.role) for s in episode.speakers]
    [('Tim Scarfe', 'host'), ('Eiso Kant', 'guest')]
    """
    if not episode.turns:
        return episode
    if all(t.speaker is None for t in episode.turns):
        import os

        if os.environ.get("CASTLINE_TEXT_ATTRIBUTION") == "learned":
            from castline.diarize.learned import attribute_speakers as learned

            return learned(episode, speakers=speakers)
        return _attribute_unlabelled(episode, speakers)
    return _assign_roles(episode, speakers)


def _join_chunks(chunks: list[Turn]) -> tuple[str, list[tuple[int, int]]]:
    """The chunks' stripped texts joined by spaces, and each chunk's span in it.

    A chunk that is a heading (:func:`castline.text.heading_line`) is joined by
    a line break instead, so it does not run on into the next chunk's sentence.
    """
    texts = [turn.verbatim.strip() for turn in chunks]
    joined: list[str] = []
    spans: list[tuple[int, int]] = []
    cursor = 0
    for k, text in enumerate(texts):
        if k:
            heading = heading_line(texts[k - 1], text, texts[k - 2] if k > 1 else None)
            joined.append("\n" if heading else " ")
            cursor += 1
        spans.append((cursor, cursor + len(text)))
        joined.append(text)
        cursor += len(text)
    return "".join(joined), spans


def _token_start(text: str, offset: int) -> int:
    """``offset`` moved back to the start of the token it falls in.

    Sentences can start inside a token when ASR glues them ("end.Next"); a turn
    cut there would split one word in two.
    """
    while offset > 0 and not text[offset - 1].isspace():
        offset -= 1
    return offset


def _attribute_unlabelled(episode: Episode, hint: list[Speaker] | None) -> Episode:
    chunks = episode.turns
    full, spans = _join_chunks(chunks)
    units = _units(full, spans)
    if not units:
        return episode

    state_speakers, notes = _state_speakers(units, hint)
    path, post = _decode_speakers(units, state_speakers)
    if not hint:
        # A guest found in the intro but given almost nothing was probably only
        # mentioned ("... and his co-founder Jason"): decode again without them.
        words = np.array([u.words for u in units], dtype=float)
        share = [words[np.array(path) == k].sum() / words.sum() for k in range(len(state_speakers))]
        minor = [k for k, sp in enumerate(state_speakers) if sp.role == "guest" and share[k] < 0.05]
        if minor and len(state_speakers) - len(minor) >= 2:
            state_speakers = [sp for k, sp in enumerate(state_speakers) if k not in minor]
            for index, sp in enumerate(state_speakers):
                sp.id = f"S{index + 1}"
            path, post = _decode_speakers(units, state_speakers)

    # Word timings survive regrouping when every chunk has one per word.
    all_words = None
    if all(t.words and len(t.words) == len(t.verbatim.split()) for t in chunks):
        all_words = [w for t in chunks for w in t.words]

    # Regroup units into turns: boundaries at the start of each run.
    new_turns: list[Turn] = []
    run_start = 0
    for i in range(1, len(units) + 1):
        if i < len(units) and path[i] == path[run_start]:
            continue
        a = 0 if run_start == 0 else _token_start(full, units[run_start].start)
        b = len(full) if i == len(units) else _token_start(full, units[i].start)
        raw = full[a:b]
        lead = len(raw) - len(raw.lstrip())
        text = raw.strip()
        if not text:  # a turn inside one token ("end.Next"): its words go on
            run_start = i
            continue
        a += lead
        b = a + len(text)
        state = path[run_start]
        conf = float(np.mean(post[run_start:i, state]))
        turn = Turn(
            speaker=state_speakers[state].id,
            start=_time_at(a, spans, chunks),
            end=_time_at(b, spans, chunks),
            text=text,
            verbatim=text,
            confidence=round(min(max(conf, 0.0), 1.0), 3),
        )
        # Only when the turn starts between words (not inside "end.Next").
        if all_words is not None and (a == 0 or full[a - 1].isspace()):
            first = len(full[:a].split())
            turn_words = all_words[first : first + len(text.split())]
            if len(turn_words) == len(text.split()):
                turn.words = [dataclasses.replace(w, speaker=turn.speaker) for w in turn_words]
                turn.start, turn.end = turn_words[0].start, turn_words[-1].end
        new_turns.append(turn)
        run_start = i

    used = {t.speaker for t in new_turns}
    keep = [s for s in state_speakers if s.id in used or hint]
    episode.speakers = keep
    episode.turns = new_turns
    episode.notes.append(
        "speakers attributed from text alone (sentence-level turn model); "
        + "; ".join(notes or ["no names found, generic labels used"])
    )
    return episode


def _decode_speakers(
    units: list[_Unit],
    state_speakers: list[Speaker],
    *,
    weights: Weights | None = None,
    host: np.ndarray | None = None,
    switch: np.ndarray | None = None,
) -> tuple[list[int], np.ndarray]:
    """Speaker state per unit (segment model) and per-unit posteriors (HMM).

    ``weights``, ``host`` and ``switch`` override the fitted decoder settings and
    cue models (used by the bench when it fits them).
    """
    w = weights or WEIGHTS
    roles = [s.role for s in state_speakers]
    matcher = _NameMatcher([s.name for s in state_speakers])
    ev = _evidence(units, roles, matcher, host=host, switch=switch)
    texts = [u.text for u in units]

    forced: dict[int, int] = {}
    host_states = [k for k, r in enumerate(roles) if r == "host"]
    if host_states:
        # The host's introduction runs until the host greets the guest.
        intro = intro_index(texts)
        if intro is not None:
            greeting = next(
                (
                    j
                    for j in range(intro, min(len(units), intro + 80))
                    if _HOST_THANKS.search(texts[j]) or _GREETING_VOCATIVE.search(texts[j])
                ),
                intro,
            )
            for i in range(intro, greeting + 1):
                forced[i] = host_states[0]
        for a, b in sponsor_spans(texts):
            for i in range(a, b):
                forced[i] = host_states[0]
    emit, trans = _scores(ev, roles, forced, w)
    path = _decode_turns(emit, trans, ev, roles, w)
    cold = find_cold_open(texts)
    if cold is not None:
        # A cold-open quote is said by whoever says it where it reappears; the
        # later attribution may itself be wrong, so this is evidence, not a rule.
        # Cold opens are mostly the guest's, which leans the rest that way.
        guest_states = [k for k, r in enumerate(roles) if r != "host"]
        for i in range(cold.end):
            if i in forced:
                continue
            match = cold.matches[i] if i < len(cold.matches) else None
            if guest_states:
                ev.host[i] -= w.cold_open_guest / max(w.emission_scale, 1e-6)
            if match is not None and match >= cold.end:
                ev.named[i, path[match]] += 2.0
        emit, trans = _scores(ev, roles, forced, w)
        path = _decode_turns(emit, trans, ev, roles, w)
    if w.adaptation > 0 and ev.words.sum() >= w.adapt_min_words and len(set(path)) > 1:
        # Each voice has its own words (a guest's company, a host's "folks"):
        # learn them from this first pass and decode again with them.
        post = _posteriors(*_scores(ev, roles, forced, w))
        style = _style_evidence(texts, path, post, len(roles))
        ev.named += w.adaptation * style
        emit, trans = _scores(ev, roles, forced, w)
        path = _decode_turns(emit, trans, ev, roles, w)
    # Confidence: posteriors of a sentence-level HMM over the same evidence,
    # taken at the cue models' own scale: the logistic regressions are
    # calibrated probabilities, the decoder's sharpened settings are not.
    calibrated = dataclasses.replace(w, emission_scale=1.0, host_bias=0.0, switch_scale=1.0, switch_bias=0.0)
    emit, trans = _scores(ev, roles, forced, calibrated)
    return path, _posteriors(emit, trans)


def _style_evidence(texts: list[str], path: list[int], post: np.ndarray, k: int) -> np.ndarray:
    """Per-unit, per-speaker log-odds from each speaker's own vocabulary.

    A multinomial naive Bayes model is trained on the confidently attributed
    sentences of one half of the episode and scores the other half (two
    folds), so no sentence votes for its own first-pass label. Scores are
    centred per sentence and clipped: style nudges, it does not decide.
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    n = len(texts)
    out = np.zeros((n, k))
    labels = np.array(path)
    confidence = post[np.arange(n), labels]
    try:
        matrix = CountVectorizer(token_pattern=r"[\w'’]+", min_df=2).fit_transform(texts)
    except ValueError:  # no shared vocabulary
        return out
    folds = np.arange(n) % 2
    for fold in (0, 1):
        train = (folds != fold) & (confidence >= 0.8)
        test = folds == fold
        if len(set(labels[train])) < 2:
            continue
        model = MultinomialNB(alpha=1.0).fit(matrix[train], labels[train], sample_weight=confidence[train])
        scores = np.full((int(test.sum()), k), 0.0)
        joint = model.predict_joint_log_proba(matrix[test])
        scores[:, model.classes_] = joint - joint.mean(axis=1, keepdims=True)
        out[test] = scores
    return np.clip(out, -2.0, 2.0)


def _time_at(offset: int, spans: list[tuple[int, int]], chunks: list[Turn]) -> float:
    """Time at character ``offset`` of the joined text, from the source chunk's times."""
    starts = [s for s, _ in spans]
    k = max(0, bisect.bisect_right(starts, offset) - 1)
    start, end = spans[k]
    local = min(max(offset - start, 0), end - start)
    chunk = chunks[k]
    # Offsets are into the stripped chunk; shift back to its verbatim.
    lead = len(chunk.verbatim) - len(chunk.verbatim.lstrip())
    if offset >= end and k + 1 < len(chunks):
        return chunk.end
    return chunk.time_at(local + lead, of="verbatim")


# -- labelled input -----------------------------------------------------------------------


def _assign_roles(episode: Episode, hint: list[Speaker] | None) -> Episode:
    from rapidfuzz import fuzz

    from castline.diarize.text_features import host_logit

    if any(t.speaker is None for t in episode.turns):
        other = next((s for s in episode.speakers if s.name == UNATTRIBUTED), None)
        if other is None:
            taken = {s.id for s in episode.speakers}
            n = len(episode.speakers) + 1
            while f"S{n}" in taken:
                n += 1
            other = Speaker(id=f"S{n}", name=UNATTRIBUTED, role="other")
            episode.speakers.append(other)
        for turn in episode.turns:
            if turn.speaker is None:
                turn.speaker = other.id
        episode.notes.append("unlabelled turns in a labelled file kept as 'Unattributed'")
    people = [s for s in episode.speakers if s.name != UNATTRIBUTED]
    if hint:
        for s in people:
            best = max(hint, key=lambda h: fuzz.token_set_ratio(h.name.lower(), s.name.lower()))
            if fuzz.token_set_ratio(best.name.lower(), s.name.lower()) >= 80:
                s.role = best.role
            # else: keep the role an earlier stage gave (a recognised voice), "other" by default
        return episode
    if len(people) < 2:
        return episode
    if all(s.role != "other" for s in people):
        return episode  # roles already decided upstream (voice library, diarized naming, show page)
    asking = {s.id: 0.0 for s in people}
    words = {s.id: 0 for s in people}
    for turn in episode.turns:
        if turn.speaker in asking:
            spans = split_sentences(turn.verbatim)
            asking[turn.speaker] += sum(1 for x in spans if x.text.rstrip().endswith("?"))
            asking[turn.speaker] += 0.2 * float(np.sum(host_logit([x.text for x in spans]) > 1))
            words[turn.speaker] += len(turn.verbatim.split())
    # Most questions per word spoken marks the host. A notebook of excerpts
    # holds several conversations, each with its own host, so a speaker is a
    # host when they out-ask everyone they talk with (adjacent turns).
    rate = {i: asking[i] / max(words[i], 1) ** 0.5 for i in asking}
    neighbours = _neighbours(episode, set(asking))
    hosts = {
        i
        for i in asking
        if asking[i] >= 1 and neighbours[i] and all(rate[i] > rate[j] for j in neighbours[i])
    }
    if not hosts:
        hosts = {max(people, key=lambda s: (rate[s.id], -people.index(s))).id}
    for s in people:
        s.role = "host" if s.id in hosts else "guest"
    return episode


def _neighbours(episode: Episode, ids: set[str]) -> dict[str, set[str]]:
    """Who talks with whom: speakers of adjacent turns."""
    out: dict[str, set[str]] = {i: set() for i in ids}
    previous = None
    for turn in episode.turns:
        if turn.speaker not in ids:
            previous = None  # an unattributed excerpt breaks the conversation
            continue
        if previous is not None and previous != turn.speaker:
            out[previous].add(turn.speaker)
            out[turn.speaker].add(previous)
        previous = turn.speaker
    return out
