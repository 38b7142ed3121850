"""Chapters and clip candidates.

Chapters come from TextTiling-style topic segmentation: every sentence is a
vector (TF-IDF + LSA by default, or any ``embed`` function such as a sentence
embedding model), the similarity of the text before and after each sentence gap
gives a depth score, and a dynamic programme picks the boundaries that maximise
depth under the house spacing rules (first chapter at 0, 8-15 minutes apart,
never closer than 5). Titles are the chapter's own distinctive key phrases
(YAKE).

Clips are windows of whole sentences lasting 30 s - 3 min that stand alone and
carry a payoff, scored on plain, explainable features (specificity, claims,
stories, emotion, a reaction that follows) minus hedging and filler.

Example
-------
>>> chapters = make_chapters(episode)            # doctest: +SKIP
>>> clips = find_clips(episode, count=3)          # doctest: +SKIP
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import NamedTuple

import numpy as np

from castline.model import Chapter, Clip, Episode
from castline.text import STOPWORDS, content_words, sentences, words

__all__ = [
    "EXCLUDED_TAGS",
    "PassageFeatures",
    "SentenceUnit",
    "best_phrase",
    "episode_end",
    "find_clips",
    "is_question",
    "key_phrases",
    "lead_trim",
    "make_chapters",
    "opening_problem",
    "passage_features",
    "sentence_units",
    "strip_list_marker",
    "title_case",
    "tfidf_embed",
]

#: Turn tags whose speech is never quoted, clipped or used for titles.
EXCLUDED_TAGS = frozenset({"ad", "cold_open"})

# ---------------------------------------------------------------------------
# Sentences of an episode
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SentenceUnit:
    """One sentence of a turn's clean text, with its place and time.

    ``start``/``end`` are character offsets into ``episode.turns[turn].text``.
    """

    index: int
    turn: int
    start: int
    end: int
    text: str
    time_start: float
    time_end: float
    speaker: str | None
    tags: frozenset[str]
    turn_first: bool
    turn_last: bool

    @property
    def excluded(self) -> bool:
        """True when the sentence is in an ad or the cold open."""
        return bool(self.tags & EXCLUDED_TAGS)

    @property
    def n_words(self) -> int:
        """Number of words in the sentence."""
        return len(words(self.text))


_PARAGRAPH_RE = re.compile(r"[^\n]+(?:\n[^\n]+)*")


@lru_cache(maxsize=8192)
def _turn_sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    # Paragraph breaks ("\n\n") are hard boundaries: pysbd may run across them.
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH_RE.finditer(text):
        for s in sentences(para.group()):
            spans.append((para.start() + s.start, para.start() + s.end))
    return tuple(spans)


def sentence_units(episode: Episode) -> list[SentenceUnit]:
    """All sentences of the episode's clean text, in order, with times and tags."""
    units: list[SentenceUnit] = []
    for ti, turn in enumerate(episode.turns):
        spans = _turn_sentence_spans(turn.text)
        tags = frozenset(turn.tags)
        for k, (a, b) in enumerate(spans):
            units.append(
                SentenceUnit(
                    index=len(units),
                    turn=ti,
                    start=a,
                    end=b,
                    text=turn.text[a:b],
                    time_start=turn.time_at(a),
                    time_end=turn.time_at(b),
                    speaker=turn.speaker,
                    tags=tags,
                    turn_first=k == 0,
                    turn_last=k == len(spans) - 1,
                )
            )
    return units


def episode_end(episode: Episode) -> float:
    """End time of the episode: its duration, else the last turn's end."""
    last = max((t.end for t in episode.turns), default=0.0)
    return max(episode.duration or 0.0, last)


# ---------------------------------------------------------------------------
# Sentence vectors and topic depth
# ---------------------------------------------------------------------------


def tfidf_embed(texts: Sequence[str], *, dims: int = 100) -> np.ndarray:
    """Unit-length LSA vectors (TF-IDF reduced by truncated SVD) for ``texts``.

    The default sentence-vector function of :func:`make_chapters`; any function
    with the same shape (texts in, one row per text out), e.g. a sentence
    embedding model's ``encode``, can replace it.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = list(texts)
    vectorizer = TfidfVectorizer(
        sublinear_tf=True,
        stop_words=sorted(STOPWORDS | _english_stop()),
        token_pattern=r"(?u)\b[a-zA-Z][a-zA-Z0-9'-]{2,}\b",
        min_df=1,
    )
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return np.zeros((len(texts), 1))
    k = min(dims, matrix.shape[0] - 1, matrix.shape[1] - 1)
    if k >= 2:
        from threadpoolctl import threadpool_limits

        # Small dense products: extra BLAS threads only contend on a busy 2-core box.
        with threadpool_limits(1):
            svd = TruncatedSVD(n_components=k, n_iter=3, random_state=0)
            dense = svd.fit_transform(matrix)
    else:
        dense = matrix.toarray()
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.where(norms == 0, 1, norms)


@lru_cache(maxsize=1)
def _english_stop() -> frozenset[str]:
    # Imported on first use: scikit-learn costs a second at import time.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _gap_similarities(units: Sequence[SentenceUnit], vectors: np.ndarray, window_s: float) -> np.ndarray:
    """Cosine similarity of the ``window_s`` seconds before and after each gap.

    Entry ``g`` is the gap before unit ``g`` (entry 0 unused). Windows are in
    time rather than sentence counts so long and short sentences weigh alike.
    """
    n = len(units)
    weights = np.array([max(u.n_words, 1) for u in units], dtype=float)[:, None]
    prefix = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors * weights, axis=0)])
    starts = [u.time_start for u in units]
    sims = np.zeros(n)
    for g in range(1, n):
        t = starts[g]
        lo = min(bisect.bisect_left(starts, t - window_s), g - 1)
        hi = max(bisect.bisect_right(starts, t + window_s), g + 1)
        left = prefix[g] - prefix[lo]
        right = prefix[hi] - prefix[g]
        denom = np.linalg.norm(left) * np.linalg.norm(right)
        sims[g] = float(left @ right / denom) if denom > 0 else 0.0
    return sims


def _depth_scores(sims: np.ndarray) -> np.ndarray:
    """TextTiling depth: how far each gap's similarity sits below its flanking peaks."""
    n = len(sims)
    smooth = sims.copy()
    if n > 3:
        smooth[1:] = np.convolve(np.pad(sims[1:], 1, mode="edge"), np.ones(3) / 3, "valid")
    depth = np.zeros(n)
    for g in range(1, n):
        left = g
        while left > 1 and smooth[left - 1] >= smooth[left]:
            left -= 1
        right = g
        while right < n - 1 and smooth[right + 1] >= smooth[right]:
            right += 1
        depth[g] = (smooth[left] - smooth[g]) + (smooth[right] - smooth[g])
    return depth


# ---------------------------------------------------------------------------
# Titles
# ---------------------------------------------------------------------------

# Vague conversational nouns that make poor titles on any show.
_VAGUE = frozenset(
    """thing things lot lots stuff way ways kind sort bit something everything anything nothing
    people guys guy time times point points question questions idea ideas sense stage fact
    yeah okay gonna wanna example examples part today moment world level levels place case
    cases reason reasons answer conversation podcast episode show""".split()
)

_NON_TOPIC_TAILS = frozenset(
    """ago today now coming going doing yesterday tomorrow lately recently anymore soon""".split()
)

_SMALL_WORDS = frozenset("a an and as at but by for from in into of on or per the to vs via with".split())


def title_case(phrase: str) -> str:
    """Title-case ``phrase``, keeping acronyms, names and mixed-case tokens as written."""
    out = []
    tokens = phrase.split()
    for i, token in enumerate(tokens):
        if any(c.isupper() for c in token) or any(c.isdigit() for c in token):
            out.append(token)
        elif 0 < i < len(tokens) - 1 and token.lower() in _SMALL_WORDS:
            out.append(token.lower())
        else:
            out.append(token[:1].upper() + token[1:])
    return " ".join(out)


def _good_phrase(phrase: str) -> bool:
    tokens = [t.lower() for t in words(phrase)]
    if not tokens or len(tokens) > 6 or not phrase[:1].isalnum():
        return False  # empty, rambling, or the tail of a contraction ("’ve acquired")
    if tokens[0] in STOPWORDS or tokens[-1] in STOPWORDS:
        return False
    if tokens[-1] in _NON_TOPIC_TAILS or (len(tokens) == 1 and tokens[0] in _LIGHT_VERBS):
        return False  # "years ago", "CLI coming", "build": times and actions, not topics
    content = [t for t in tokens if t not in STOPWORDS and t not in _english_stop()]
    if not content or all(t in _VAGUE for t in content):
        return False
    return not all(t.isdigit() for t in tokens)


@lru_cache(maxsize=16)
def _keyword_extractor(max_words: int, top: int):
    # One extractor per setting: building one re-reads YAKE's stop-word file.
    import yake

    return yake.KeywordExtractor(lan="en", n=max_words, top=top, dedupLim=0.7)


def key_phrases(text: str, *, top: int = 12, max_words: int = 3) -> list[tuple[str, float]]:
    """Key phrases of ``text`` (YAKE), best first, as ``(phrase, weight)``, weight in (0, 1]."""
    if len(words(text)) < 3:
        return []
    found = _keyword_extractor(max_words, top * 2).extract_keywords(text)
    out = []
    for rank, (phrase, _score) in enumerate(found):
        if _good_phrase(phrase):
            out.append((phrase, 1.0 / (1.0 + 0.35 * rank)))
    return out[:top]


def _stem(word: str) -> str:
    """A crude English stem, enough to see "write"/"writing"/"writes" as one word."""
    word = word.lower()
    for suffix in ("ings", "ing", "ers", "er", "ies", "es", "ed", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _stems(phrase: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in content_words(phrase))


def _same_title(a: str, b: str) -> bool:
    from rapidfuzz import fuzz

    sa, sb = _stems(a), _stems(b)
    return fuzz.ratio(a.lower(), b.lower()) >= 80 or (bool(sa) and sa <= sb) or (bool(sb) and sb <= sa)


# Light verbs that open YAKE phrases ("write bedtime stories"): the object names the topic.
_LIGHT_VERBS = frozenset(
    """write build make get take do go use reduce pick have give put see run try find keep call
    start talk bring want need hold push think know say tell""".split()
)


# Inflected light verbs ("made TRL", "building frontier models"): verb phrases, not topics.
_LIGHT_VERB_FORMS = frozenset(
    """made makes making built builds building got gets getting took takes taking did does doing went
    goes going used uses using gave gives giving saw sees seeing ran runs running tried tries trying
    found finds finding kept keeps keeping called calls calling started starts starting brought brings
    wanted wants needed needs held holds thought thinks thinking knew knows said says saying told tells
    wrote writes picked picks reduced reduces acquired acquires""".split()
)
# Nouns that end like a past participle.
_ED_NOUNS = frozenset("hundred kindred sacred naked wicked bed red shed sled".split())
# Function words a noun phrase may hold inside ("Return on Investment", "Cost of Inference").
_JOINERS = frozenset("of and for in on to with vs via per".split())
_CALENDAR = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday today yesterday tomorrow week weeks
    month months year years""".split()
)


def _topical(phrase: str) -> str:
    tokens = phrase.split()
    if len(tokens) >= 3 and tokens[0].lower() in _LIGHT_VERBS:
        rest = " ".join(tokens[1:])
        if _good_phrase(rest):
            return rest
    return phrase


# -- noun-phrase evidence, without a part-of-speech tagger ----------------------

# Words that, in running speech, come right before a noun phrase: a word seen
# closing a phrase after one of these ("the cluster is", "of reinforcement
# learning.") is used as a noun somewhere in the episode.
_NP_LEFT = (
    r"the|a|an|this|these|those|our|your|their|his|her|its|my|some|any|every|each|no|of|about|"
    r"have|has|had|need|needs|want|wants|use|uses|using|build|builds|building|built"
)
_NP_RIGHT = (
    r"is|are|was|were|'s|’s|that|which|who|and|or|but|of|in|to|for|with|on|at|as|from|by|so|because|"
    r"if|when|where|than|then|has|have|had|can|could|will|would|should|might|must|does|did|do|we|"
    r"you|they|i|it|he|she|there|itself|right"
)
_NP_HEAD_RE = re.compile(
    rf"\b(?:{_NP_LEFT})\s+(?:(?!(?:{_NP_RIGHT}|to|be|not)\b)[\w-]+\s+){{0,2}}?"
    rf"([A-Za-z][\w-]*)(?=\s*[.,;:?!)]|\s*$|\s+(?:{_NP_RIGHT})\b)",
    re.IGNORECASE,
)
# A word right after a subject pronoun or a modal is used as a verb ("we build", "can scale").
_VERB_AFTER_RE = re.compile(
    r"\b(?:i|we|you|they|he|she|who|to|can|could|will|would|should|might|must|don't|don’t|didn't|"
    r"didn’t|doesn't|doesn’t|won't|won’t)\s+([a-z][a-z-]*)\b"
    # Third-person forms after a pronoun subject: "it collapses", "which means".
    r"|\b(?:it|which|everything|nothing|something|everyone|nobody|someone)\s+([a-z][a-z-]*s)\b",
    re.IGNORECASE,
)
# A capitalised word after a lower-case word or a comma: a name, not a sentence start.
_MID_CAPITAL_RE = re.compile(r"(?<=[a-z0-9,;] )([A-Z][\w'’-]*)")
_FRAGMENT_TOKEN = re.compile(r"^(?:n['’]t|['’]\w*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Lexicon:
    """What an episode's own text says about its words.

    ``nouns`` holds (lower-cased) words the text uses as the head of a noun phrase;
    ``verbs`` words it puts right after a subject pronoun or a modal ("we build");
    ``names`` lower-cased words it capitalises mid-sentence more often than not.
    """

    nouns: frozenset[str]
    verbs: frozenset[str]
    names: frozenset[str]


@lru_cache(maxsize=4)
def _lexicon(text: str) -> _Lexicon:
    noun_uses: dict[str, int] = {}
    for m in _NP_HEAD_RE.finditer(text):
        noun_uses[m.group(1).lower()] = noun_uses.get(m.group(1).lower(), 0) + 1
    verb_uses: dict[str, int] = {}
    for m in _VERB_AFTER_RE.finditer(text):
        verb = (m.group(1) or m.group(2)).lower()
        verb_uses[verb] = verb_uses.get(verb, 0) + 1
    # A word goes by its more frequent use: "the whole thing collapses." looks
    # like a noun phrase once, "it collapses" says verb.
    nouns = frozenset(w for w, c in noun_uses.items() if c > verb_uses.get(w, 0))
    verbs = frozenset(w for w, c in verb_uses.items() if c >= noun_uses.get(w, 0))
    capital: dict[str, int] = {}
    for m in _MID_CAPITAL_RE.finditer(text):
        token = m.group(1)
        if token not in _NOT_NAMES:
            capital[token.lower()] = capital.get(token.lower(), 0) + 1
    lower: dict[str, int] = {}
    for token in _WORD_RE.findall(text):
        if token.islower() and token in capital:
            lower[token] = lower.get(token, 0) + 1
    names = frozenset(w for w, c in capital.items() if c >= lower.get(w, 0))
    return _Lexicon(nouns=nouns, verbs=verbs, names=names)


_WORD_RE = re.compile(r"[\w'’-]+")


@lru_cache(maxsize=4096)
def _zipf(word: str) -> float:
    """How common ``word`` is in English (wordfreq's Zipf scale: 0 unseen, 7 "the")."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def _is_adverb(word: str) -> bool:
    # "surprisingly" -> "surprising", "happily" -> "happy": an -ly word built on a
    # common English word; "family" or "supply" are not.
    w = word.lower()
    if not w.endswith("ly") or len(w) < 5:
        return False
    return _zipf(w[:-2]) >= 3.0 or _zipf(w[:-3] + "y") >= 3.0 or _zipf(w[:-2] + "e") >= 3.0


def _is_name(token: str, lexicon: _Lexicon) -> bool:
    """A proper noun, acronym or versioned term ("DeepSeek", "AWS", "GPT-4")."""
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        return True
    if sum(c.isupper() for c in token) >= 2 or (token[:1].isupper() and token[1:] != token[1:].lower()):
        return True  # AWS, DeepSeek, iPhone-like forms
    return token.lower() in lexicon.names


def _specificity(phrase: str, lexicon: _Lexicon) -> float:
    """0..1: how specific the phrase's words are (names and rare terms high, "code" low)."""
    tokens = [t for t in words(phrase) if t.lower() not in STOPWORDS]
    if not tokens:
        return 0.0
    scores = []
    for token in tokens:
        if _is_name(token, lexicon):
            scores.append(1.0)
        else:
            # Zipf 5+ ("code", "data", "job") is everyday; 3 and below is a term of art.
            scores.append(min(max((5.6 - _zipf(token.lower())) / 2.6, 0.0), 1.0))
    return max(scores) * 0.6 + (sum(scores) / len(scores)) * 0.4


def _phrase_problem(phrase: str, lexicon: _Lexicon) -> str | None:
    """Why ``phrase`` is not a usable noun-phrase title, or None."""
    tokens = phrase.split()
    if not tokens or len(tokens) > 6:
        return "empty or too long"
    if any(_FRAGMENT_TOKEN.match(t) for t in tokens):
        return "contraction fragment"
    if _is_adverb(tokens[0]) or _is_adverb(tokens[-1]):
        return "adverb at an edge"
    if tokens[-1].lower() in _LIGHT_VERBS or tokens[-1].lower() in _NON_TOPIC_TAILS:
        return "ends on a verb or a time word"
    first = tokens[0].lower()
    if len(tokens) > 1 and (first in _LIGHT_VERBS or first in _LIGHT_VERB_FORMS):
        # A gerund the episode also uses as a noun ("thinking capabilities") may stay.
        if not (first.endswith("ing") and first in lexicon.nouns):
            return "a verb phrase, not a topic"
    if all(t.lower() in _CALENDAR for t in tokens if t.lower() not in STOPWORDS):
        return "a date, not a topic"
    lowered = [t.lower() for t in tokens]
    if any(t in _LIGHT_VERBS or t in _LIGHT_VERB_FORMS for t in lowered[1:]):
        return "contains a verb"
    # (A gerund modifier is fine: "planning abilities", "training data".)
    if any(t in lexicon.verbs and not t.endswith("ing") for t in lowered[:-1]):
        return "contains a word the episode uses as a verb"
    if any((t in STOPWORDS or t in _english_stop()) and t not in _JOINERS for t in lowered[1:-1]):
        return "a clause, not a noun phrase"
    if all(t in _VAGUE or _STANCE.match(t) or t in STOPWORDS for t in lowered):
        return "only vague or stance words"
    return None


def _noun_evidence(word: str, lexicon: _Lexicon) -> int:
    """+1 when the episode uses ``word`` as a noun (or it is a name), -1 as a verb
    or participle, 0 when the text does not say."""
    low = word.lower()
    if _is_name(word, lexicon):
        return 1
    if low.endswith("ed") and not low.endswith("eed") and len(low) > 4 and low not in _ED_NOUNS:
        return -1  # a participle ("Sam Altman posted", "the goalkeeper saved")
    # Exact forms only: stems would let "posted" pass as "post", and a seen
    # singular says little about an -s form ("model collapse" / "it collapses").
    if low in lexicon.nouns:
        return 1
    if low in lexicon.verbs or (low.endswith("s") and low[:-1] in lexicon.verbs):
        return -1
    return 0


def _noun_head(phrase: str, lexicon: _Lexicon) -> bool:
    """Can the phrase's last word head a noun phrase (no evidence it is a verb)?"""
    return _noun_evidence(phrase.split()[-1], lexicon) >= 0


@dataclass(frozen=True)
class _TokenIndex:
    """The words of a text with where each occurs, for phrase look-ups without regexes.

    ``joined[i]`` says word ``i`` follows word ``i - 1`` across whitespace only
    (no punctuation between); ``initial[i]`` that it opens a sentence.
    """

    words: tuple[str, ...]
    lower: tuple[str, ...]
    joined: tuple[bool, ...]
    initial: tuple[bool, ...]
    at: dict[str, list[int]]

    def find(self, phrase: str) -> list[int]:
        """Word positions where ``phrase`` (case-insensitive, whole words) starts."""
        parts = phrase.lower().split()
        if not parts:
            return []
        k = len(parts)
        out = []
        for i in self.at.get(parts[0], ()):
            if self.lower[i : i + k] == tuple(parts) and all(self.joined[i + 1 : i + k]):
                out.append(i)
        return out


@lru_cache(maxsize=64)
def _token_index(text: str) -> _TokenIndex:
    found = _WORD_RE.findall(text)
    # split() gives the text between consecutive words (gaps[i] precedes word i),
    # one C-level pass instead of slicing the text word by word.
    gaps = [g.strip() for g in _WORD_RE.split(text)[: len(found)]]
    lower = [w.lower() for w in found]
    joined = [i > 0 and not g for i, g in enumerate(gaps)]
    initial = [i == 0 or g[-1:] in {".", "?", "!"} for i, g in enumerate(gaps)]
    at: dict[str, list[int]] = {}
    for i, w in enumerate(lower):
        at.setdefault(w, []).append(i)
    return _TokenIndex(tuple(found), tuple(lower), tuple(joined), tuple(initial), at)


def _surface(phrase: str, text: str) -> str:
    """``phrase`` as the text most often writes it ("deepseek" -> "DeepSeek")."""
    index = _token_index(text)
    k = len(phrase.split())
    forms: dict[str, int] = {}
    for i in index.find(phrase):
        if index.initial[i]:
            continue  # sentence-initial capitals say nothing about the word
        form = " ".join(index.words[i : i + k])
        forms[form] = forms.get(form, 0) + 1
    if not forms:
        return phrase
    return max(forms.items(), key=lambda kv: (kv[1], kv[0] == phrase))[0]


def _complete(phrase: str, text: str, lexicon: _Lexicon, *, max_words: int = 4) -> str:
    """Extend a clipped phrase by the word the text nearly always puts after (or,
    for names, before) it: "human level" -> "human level intelligence"."""
    index = _token_index(text)
    for _ in range(2):
        n = len(phrase.split())
        if n >= max_words:
            break
        hits = index.find(phrase)
        if len(hits) < 2:
            break
        before: dict[str, int] = {}
        after: dict[str, int] = {}
        for i in hits:
            if i + n < len(index.words) and index.joined[i + n]:
                after[index.words[i + n]] = after.get(index.words[i + n], 0) + 1
            if i > 0 and index.joined[i]:
                before[index.words[i - 1]] = before.get(index.words[i - 1], 0) + 1
        extended = None
        if after:
            word, count = max(after.items(), key=lambda kv: kv[1])
            low = word.lower()
            # Only a word the episode uses as a noun: "lifecycle collapses" is a clause.
            nounish = _noun_head(word, lexicon)
            function_word = low in STOPWORDS or low in _english_stop()
            if count >= 0.6 * len(hits) and nounish and not function_word and word.isalpha():
                extended = f"{phrase} {word}"
        if extended is None and before:
            word, count = max(before.items(), key=lambda kv: kv[1])
            if count >= 0.6 * len(hits) and _is_name(word, lexicon) and word.isalpha():
                extended = f"{word} {phrase}"
        if extended is None:
            break
        phrase = extended
    return phrase


def _candidates(
    text: str, lexicon: _Lexicon, *, source: str | None = None, top: int = 15
) -> list[tuple[str, float]]:
    """Noun-phrase title candidates of ``text``: completed, re-cased, with a prior in (0, 1].

    ``source`` (default ``text``) is where YAKE looks; completion and casing use ``text``.
    """
    out: dict[str, float] = {}
    for phrase, weight in key_phrases(source or text, top=top, max_words=3):
        phrase = _topical(phrase)
        phrase = _surface(_complete(phrase, text, lexicon), text)
        tokens = phrase.split()
        if len(tokens) >= 3 and _noun_evidence(tokens[-1], lexicon) <= 0:
            # "software development lifecycle collapses": keep the noun phrase that
            # opens a clause when the last word is not known as a noun.
            head = " ".join(tokens[:-1])
            if _noun_evidence(tokens[-2], lexicon) > 0 and _good_phrase(head):
                phrase = head
        if not _good_phrase(phrase) or _phrase_problem(phrase, lexicon):
            continue
        key = phrase.lower()
        if key not in {k.lower() for k in out}:
            out[phrase] = weight
    return list(out.items())


def _lexical_score(phrase: str, weight: float, text_lower: str, lexicon: _Lexicon) -> float:
    """Prior of a candidate title from the text alone."""
    tokens = phrase.split()
    count = text_lower.count(phrase.lower())
    tf = 1 + math.log(count) if count > 1 else 0.5
    shape = {1: 0.55, 2: 1.0, 3: 1.0, 4: 0.85}.get(len(tokens), 0.7)
    noun = {1: 1.0, 0: 0.75, -1: 0.45}[_noun_evidence(tokens[-1], lexicon)]
    spec = 0.4 + 0.6 * _specificity(phrase, lexicon)
    name = 1.2 if any(_is_name(t, lexicon) for t in tokens) else 1.0
    return weight * tf * shape * noun * spec * name


def _bare_word(phrase: str, lexicon: _Lexicon) -> bool:
    """A lone everyday word ("Code", "Job"): too vague to title anything alone."""
    tokens = phrase.split()
    return len(tokens) == 1 and not _is_name(tokens[0], lexicon) and _zipf(tokens[0].lower()) >= 3.3


def _rescore_by_meaning(
    scored_all: list[list[tuple[float, str]]],
    embed: Callable[[list[str]], np.ndarray],
    centroids: np.ndarray,
    top: int = 8,
) -> list[list[tuple[float, str]]]:
    """Rescore each text's ``top`` candidates by meaning: how close a phrase sits to
    that text's centroid, less half its closeness to the nearest other text."""
    # Only each text's first few candidates (the caller's order) are worth a model call.
    scored_all = [scored[:top] for scored in scored_all]
    unique = list(dict.fromkeys(p for scored in scored_all for _, p in scored))
    if not unique:
        return scored_all
    vectors = np.asarray(embed(unique), dtype=float)
    if vectors.ndim != 2 or vectors.shape[1] != centroids.shape[1]:
        return scored_all  # an embedder fitted per call (TF-IDF) lives in another space
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    sims = vectors @ centroids.T  # phrase x text
    row = {p: k for k, p in enumerate(unique)}
    out = []
    for i, scored in enumerate(scored_all):
        top = max((s for s, _ in scored), default=1.0) or 1.0
        rescored = []
        for score, phrase in scored:
            others = np.delete(sims[row[phrase]], i)
            semantic = sims[row[phrase], i] - 0.5 * (float(others.max()) if len(others) else 0.0)
            # Lexical prior in (0, 1]; a 0.1 gain in meaning outweighs a third of it.
            rescored.append((score / top + 3.0 * semantic, phrase))
        out.append(rescored)
    return out


def _names_a_speaker(phrase: str, names: Sequence[str]) -> bool:
    """Is ``phrase`` only words of one of ``names`` ("Kant", "Eiso Kant")?"""
    tokens = {t.lower() for t in words(phrase)}
    return any(tokens <= {t.lower() for t in words(name)} for name in names if name)


def _title_tier(phrase: str, lexicon: _Lexicon) -> int:
    """2: a noun phrase by the episode's own usage; 1: no evidence against; 0: weak."""
    if _bare_word(phrase, lexicon):
        return 0
    evidence = _noun_evidence(phrase.split()[-1], lexicon)
    if evidence > 0:
        return 2
    # A head ending in -ing with no noun use ("time maintaining") is a verb.
    return 1 if evidence == 0 and not phrase.lower().endswith("ing") else 0


def _titles(
    texts: Sequence[str],
    fallbacks: Sequence[str],
    summaries: Sequence[str] | None = None,
    *,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    centroids: np.ndarray | None = None,
    exclude: Sequence[str] = (),
) -> list[tuple[str, list[str]]]:
    """A distinct title and keywords for each text; ``fallbacks`` when a text has none.

    Candidates are the texts' YAKE key phrases (from ``summaries``, the most
    central sentences, when given), completed where the text shows they were
    clipped and kept only when they read as noun phrases. Each is scored on
    distinctiveness across texts, recurrence, specificity (names and rare terms
    beat everyday words) and a noun head. With ``embed`` and ``centroids`` (one
    unit vector per text, same model), the phrase nearest its own text's
    centroid and far from the others' gains most: the title says what the
    chapter is about rather than what it mentions. Phrases made of the words of
    ``exclude`` (the speakers' names) never title a chapter: they name the show.
    """
    lexicon = _lexicon(" ".join(texts))
    lowered = [t.lower() for t in texts]
    n = len(texts)
    per_text = [
        _candidates(t, lexicon, source=(summaries[i] if summaries else None))
        for i, t in enumerate(texts)
    ]
    scored_all: list[list[tuple[float, str]]] = []
    for i, phrases in enumerate(per_text):
        scored = []
        for phrase, weight in phrases:
            if _names_a_speaker(phrase, exclude):
                continue
            key = phrase.lower()
            # Distinctiveness: a phrase every chapter uses names the show, not the chapter.
            df = sum(1 for t in lowered if key in t) or 1
            idf = math.log(1 + n / df)
            scored.append((_lexical_score(phrase, weight, lowered[i], lexicon) * idf, phrase))
        scored_all.append(scored)
    if embed is not None and centroids is not None and len(centroids) == n:
        # The model sees each text's best few usable phrases (tiered, then by score).
        for scored in scored_all:
            scored.sort(key=lambda x: (_title_tier(x[1], lexicon) == 0, -x[0]))
        scored_all = _rescore_by_meaning(scored_all, embed, centroids)
    results: list[tuple[str, list[str]]] = []
    used: list[str] = []
    for i, scored in enumerate(scored_all):
        scored.sort(key=lambda x: -x[0])
        keywords = _uniq([p for _, p in scored])[:5]
        title = ""
        # Phrases ending on a word the episode uses as a noun come first, then
        # those it says nothing about; a lone everyday word or a phrase ending on
        # a verb is a last resort.
        for tier in (2, 1, 0):
            for _score, phrase in scored:
                candidate = title_case(phrase)
                if _title_tier(phrase, lexicon) < tier:
                    continue
                if not any(_same_title(candidate, u) for u in used):
                    title = candidate
                    break
            if title:
                break
        if not title:
            base = fallbacks[i]
            title, k = base, 2
            while any(_same_title(title, u) for u in used):
                title, k = f"{base} {k}", k + 1
        used.append(title)
        results.append((title, keywords))
    return results


# ---------------------------------------------------------------------------
# Chapters
# ---------------------------------------------------------------------------


def _choose_boundaries(
    times: Sequence[float],
    gains: Sequence[float],
    end_time: float,
    *,
    min_gap: float,
    target: tuple[float, float],
    per_boundary_cost: float = 0.15,
) -> list[int]:
    """Dynamic programme: indexes of candidate boundaries with the best total gain.

    Spacing below ``min_gap`` is forbidden; spacing outside ``target`` is
    penalised (gently when short, steeply when long), so the chosen chapters
    follow the strongest topic shifts while keeping the house rhythm.
    """
    lo, hi = target

    def penalty(d: float) -> float:
        if d < min_gap:
            return math.inf
        if d < lo:
            return 0.5 * (lo - d) / 60.0
        if d > hi:
            return 1.0 * (d - hi) / 60.0
        return 0.0

    k = len(times)
    best = [-math.inf] * k
    back = [-1] * k
    for j in range(k):
        # Start of the episode (time 0) as the previous boundary.
        score, prev = gains[j] - per_boundary_cost - penalty(times[j]), -1
        for i in range(j):
            if best[i] == -math.inf:
                continue
            cand = best[i] + gains[j] - per_boundary_cost - penalty(times[j] - times[i])
            if cand > score:
                score, prev = cand, i
        best[j], back[j] = score, prev
    final, last = -penalty(end_time), -1
    for j in range(k):
        if best[j] == -math.inf:
            continue
        cand = best[j] - penalty(end_time - times[j])
        if cand > final:
            final, last = cand, j
    chosen = []
    while last >= 0:
        chosen.append(last)
        last = back[last]
    return chosen[::-1]


#: Libraries the later stages need; importing them costs about a second and a half.
_LATER_IMPORTS = ("yake", "wordfreq", "twitter_text")


def _warm_imports() -> None:
    import importlib

    for name in _LATER_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # the stage that needs it reports the problem itself
            continue
    _zipf("the")  # wordfreq loads its frequency table on first use


@lru_cache(maxsize=1)
def _prefetch_imports() -> None:
    """Import the later stages' libraries in a background thread, once per process.

    Sentence embedding spends its time in native code that releases the GIL,
    so the imports overlap with it instead of adding to the run time.
    """
    import threading

    threading.Thread(target=_warm_imports, name="castline-prefetch", daemon=True).start()


def make_chapters(
    episode: Episode,
    *,
    min_gap: float = 300,
    target: tuple[float, float] = (480, 900),
    embed: Callable[[list[str]], np.ndarray] | None = None,
    window_s: float = 120.0,
    snap_s: float = 20.0,
) -> list[Chapter]:
    """Chapters for ``episode`` under the house rules, with concise titles.

    Parameters
    ----------
    episode:
        An episode with clean turn texts and (possibly estimated) times.
    min_gap:
        No two chapter starts closer than this many seconds (and the last
        chapter lasts at least this long).
    target:
        Preferred chapter length range in seconds (8-15 minutes).
    embed:
        Sentence-vector function, ``list[str] -> ndarray`` (one row per
        sentence); defaults to :func:`tfidf_embed`. Pass a sentence-embedding
        model's encoder to segment on meaning rather than shared words.
    window_s:
        Seconds of speech compared on each side of a candidate boundary.
    snap_s:
        A boundary may move this many seconds to start on a turn.

    Returns
    -------
    Chapters in order; the first starts at 0. Ads and the cold open never
    give a chapter its title.
    """
    units = sentence_units(episode)
    end_time = episode_end(episode)
    boundaries: list[int] = []  # unit indexes where chapters 2.. start
    vectors: np.ndarray | None = None
    if units and end_time >= max(600.0, 2 * min_gap):
        _prefetch_imports()
        vectors = np.asarray((embed or tfidf_embed)([u.text for u in units]), dtype=float)
        depth = _depth_scores(_gap_similarities(units, vectors, window_s))
        # Topic seams are fuzzy by a sentence or two: pool depth over +-snap_s so a
        # nearby turn start (where a new question begins) can take the boundary.
        starts = [u.time_start for u in units]
        pooled = depth.copy()
        for g in range(1, len(units)):
            lo = max(bisect.bisect_left(starts, starts[g] - snap_s), 1)
            hi = bisect.bisect_right(starts, starts[g] + snap_s)
            near = np.abs(np.asarray(starts[lo:hi]) - starts[g]) / (2 * snap_s)
            pooled[g] = float((depth[lo:hi] * (1 - near)).max())
        top = float(pooled.max()) or 1.0
        gains = pooled / top
        candidates: list[int] = []
        for g in range(1, len(units)):
            u, prev = units[g], units[g - 1]
            if u.time_start < min_gap or end_time - u.time_start < min_gap:
                continue
            bonus = 0.0
            if u.turn_first:
                bonus += 0.15
                if prev.speaker != u.speaker and "?" in u.text + _next_text(units, g):
                    bonus += 0.1  # a new question usually opens a topic
            elif not _opening_ok(u.text):
                continue  # mid-turn and leaning on what came before
            if prev.excluded != u.excluded:
                bonus += 0.3  # entering or leaving an ad break is a real seam
            gains[g] += bonus
            candidates.append(g)
        # Keep the strongest few hundred gaps: the DP is quadratic in them.
        candidates = sorted(sorted(candidates, key=lambda g: -gains[g])[:400])
        picked = _choose_boundaries(
            [units[g].time_start for g in candidates],
            [float(gains[g]) for g in candidates],
            end_time,
            min_gap=min_gap,
            target=target,
        )
        boundaries = [candidates[p] for p in picked]

    starts = [0, *boundaries]
    spans = [(a, b) for a, b in zip(starts, [*boundaries, len(units)], strict=True)]
    texts, fallbacks, summaries = [], [], []
    for i, (a, b) in enumerate(spans):
        body = [u for u in units[a:b] if not u.excluded]
        texts.append(" ".join(u.text for u in body))
        summaries.append(_central_text(body, vectors))
        fallbacks.append("Introduction" if i == 0 else ("Sponsor Break" if not body else "Part"))
    centroids = None
    if embed is not None and vectors is not None:
        # Meaning-level centroids only mean something for a real sentence-embedding model.
        centroids = np.zeros((len(spans), vectors.shape[1]))
        for i, (a, b) in enumerate(spans):
            rows = [u.index for u in units[a:b] if not u.excluded]
            if rows:
                mean = vectors[rows].mean(axis=0)
                centroids[i] = mean / (np.linalg.norm(mean) or 1.0)
    titled = (
        _titles(
            texts,
            fallbacks,
            summaries,
            embed=embed,
            centroids=centroids,
            exclude=[s.name for s in episode.speakers],
        )
        if units
        else [(episode.title or "Episode", [])]
    )
    chapters: list[Chapter] = []
    for i, (a, _b) in enumerate(spans or [(0, 0)]):
        start = 0.0 if i == 0 else units[a].time_start
        turn = units[a].turn if units and i > 0 else 0
        title, keywords = titled[i]
        chapters.append(Chapter(start=round(start, 2), title=title, turn=turn, keywords=keywords))
    for chapter, nxt in zip(chapters, [*chapters[1:], None], strict=True):
        chapter.end = round(nxt.start if nxt else end_time, 2)
    return chapters


def _central_text(body: Sequence[SentenceUnit], vectors: np.ndarray | None, max_words: int = 700) -> str:
    """The chapter's sentences closest to its centroid, in order, up to ``max_words``."""
    if vectors is None or not body or sum(u.n_words for u in body) <= max_words:
        return " ".join(u.text for u in body)
    chunk = vectors[[u.index for u in body]]
    closeness = chunk @ chunk.mean(axis=0)
    keep, total = set(), 0
    for k in np.argsort(-closeness):
        keep.add(int(k))
        total += body[int(k)].n_words
        if total >= max_words:
            break
    return " ".join(u.text for k, u in enumerate(body) if k in keep)


def _next_text(units: Sequence[SentenceUnit], g: int) -> str:
    return units[g + 1].text if g + 1 < len(units) and units[g + 1].turn == units[g].turn else ""


# ---------------------------------------------------------------------------
# Passage features (shared with highlights)
# ---------------------------------------------------------------------------

_DEPENDENT_OPENING = re.compile(
    r"""^\W*(?:
        (?:and|but|or|nor|because|which|whereas|although|though|plus|also|then|anyway)\b
      | so\s+(?:that|this|it|they|then|yeah|yes)\b
      | that(?:'s|’s|\s+is|\s+was)\s+(?:why|what|how|where|when|because|the\s+thing|it|right|true|exactly)\b
      | (?:he|she|they)\s+(?:said|says|told|mentioned)\b
      | (?:as|like)\s+(?:i|you|we)\s+(?:said|mentioned)\b
      | (?:yeah|yes|yep|right|exactly|absolutely|sure|okay|ok|mm+|uh-huh|totally|true|no|oh|wow|ha)\b[\s,.!?-]
      | (?:100|a\s+hundred)\s*(?:%|percent)(?=[\s,.!?-])
      | (?:this|that|these|those|it|they|he|she)(?:'s|’s|'re|’re|'ll|’ll|'d|’d|\s+(?:is|was|are
          |were|does|did|do|has|had|have|means|meant|just|also|really|actually|would|will|can
          |could|should|might|must|seems|sounds|makes|made|goes|went|gets|got))\b
      | (?:(?:it|this|that)(?:'s|’s|\s+is|\s+was)\s+)?(?:the\s+)?(?:same|former|latter|other\s+one)\b
      | (?:in|on|for)\s+(?:that|this|those)\s+(?:case|sense|way)\b
      | (?:which|who)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)

# "It" as a dummy subject refers to nothing before: "It's hard to ...", "It turns out ...".
_DUMMY_IT = re.compile(
    r"^\W*it(?:'s|’s|\s+is|\s+was)\s+(?:\w+\s+){0,2}?(?:to|that|how|why|when|whether|if)\b"
    r"|^\W*it\s+(?:turns\s+out|seems\s+(?:like|that)|feels\s+like)\b",
    re.IGNORECASE,
)


def opening_problem(sentence: str) -> str | None:
    """Why ``sentence`` cannot open a stand-alone passage, or None when it can.

    Flags openings that lean on what came before: conjunctions ("And so"),
    back-references ("That's why", "He said"), reactions ("Yeah", "Right") and
    a pronoun subject with no antecedent ("This is ...", "It was ..."), and
    lower-case starts (the tail of a sentence).
    """
    text = sentence.strip()
    if not text:
        return "empty"
    if len(words(text)) < 3:
        return "too short to open"
    if not text.rstrip("\"'”’)]").endswith((".", "?", "!", "…")):
        return "unfinished sentence"
    first_word = words(text)[0]
    if first_word.islower() and first_word.isalpha():
        # Sentences of edited text start capitalised; a lower-case start is the
        # tail of a sentence cut at an ASR chunk or clause break.
        return "starts mid-sentence"
    if _DUMMY_IT.match(text):
        return None
    match = _DEPENDENT_OPENING.match(text)
    if match:
        return f"leans on what came before ({match.group().strip()!r})"
    return None


def _opening_ok(sentence: str) -> bool:
    return opening_problem(sentence) is None


_LEAD_CONJUNCTION = re.compile(
    r"^(?:and|but|so|or|because)(?:\s+(?:so|then|yet|now))?,?\s+(?=\w)", re.IGNORECASE
)


def lead_trim(sentence: str) -> int:
    """Characters of a leading conjunction ("And so ", "But ") that a quote may skip.

    Returns 0 when there is none or when what follows still leans on what came
    before; the rest of the sentence stays a verbatim span.
    """
    match = _LEAD_CONJUNCTION.match(sentence)
    if not match:
        return 0
    rest = sentence[match.end() :]
    # Judge the remainder as if it opened the sentence.
    if opening_problem(rest[:1].upper() + rest[1:]) is not None:
        return 0
    return match.end()


_TAG_QUESTION = re.compile(
    r",\s*(?:right|no|yeah|yes|okay|ok|correct|huh|eh|you know|isn't it|is it|don't you think|"
    r"wouldn't you say|aren't they|doesn't it)\s*\?\s*$",
    re.IGNORECASE,
)


def is_question(sentence: str) -> bool:
    """True for a real question; tag questions ("..., right?") are statements."""
    text = sentence.rstrip()
    return text.endswith("?") and not _TAG_QUESTION.search(text)


def _compile(patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + patterns + r")\b", re.IGNORECASE)


_STANCE = re.compile(
    r"^(?:wrong|right|true|false|always|never|really|actually|important|interesting|great|good|bad|"
    r"amazing|incredible|crazy|sure|fine|true|able|different|same|hard|easy)$",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"\b\d[\d,.]*\s*(?:%|percent|x\b|k\b|m\b|bn\b)?|\$\d|\b(?:two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|million|billion|trillion|half|double|triple|tenfold|dozen)\b",
    re.IGNORECASE,
)
_CONCRETE = _compile(
    r"for example|for instance|imagine|let's say|let’s say|say you|such as|in fact|specifically|"
    r"concretely|the first|the second|case study|literally"
)
_CLAIM = _compile(
    r"the truth is|the reality is|the problem is|the key is|the point is|the secret is|the answer is|"
    r"the lesson|the real|what matters|what people miss|what most people|the biggest|the most important|"
    r"the only|fundamental(?:ly)?|i don't think|i don’t think|i do not think|i'm convinced|i’m convinced|"
    r"i believe|i would argue|i'd argue|i’d argue|my view|my bet|i bet|i predict|"
    r"it turns out|turns out|it's not|it’s not|isn't about|"
    r"isn’t about|is not about|(?<!get me )(?<!don't be )wrong|myth|overrated|underrated|"
    r"the whole point|the hard part|i don't buy|i don’t buy|i disagree|not necessarily|"
    r"you can't|you can’t|you don't|you don’t|will be|is going to|are going to|has to|have to|must"
)
# Absolutes make a claim sharper, but they also just describe ("never writes a bug").
_ABSOLUTE = _compile(r"never|always|nobody|no one|everyone|everybody|nothing|every single")
_CONTRARIAN = re.compile(
    r"\b(?:most people|everyone|everybody|people|the conventional wisdom|the consensus|the narrative)\b"
    r"[^.?!]{0,80}\b(?:think|believe|assume|say|said|thought|expect)s?\b[^.?!]{0,120}\b(?:but|actually|"
    r"wrong|not)\b|\bcontrary to\b|\bcounter-?intuitive(?:ly)?\b|\bsurprising(?:ly)?\b|"
    r"\bthe opposite\b|\bnot\s+\w+(?:\s+\w+)?,\s+but\b|,\s+not\s+(?:the|a|an|just|only)\b|"
    r"\b(?:is|are|was)\s+not\s+about\b|\b(?:isn't|isn’t|aren't|aren’t)\s+about\b|"
    r"\bi\s+don(?:'|’)t\s+buy\b|\bnot\s+every(?:body|one)\b|\bto\s+the\s+controversy\b|"
    r"\bwon(?:'|’)t\s+agree\b|\bi\s+disagree\b|\bthe\s+(?:reality|truth)\s+is\b|"
    r"\bit(?:'s|’s|\s+is)\s+(?:actually\s+)?not\b",
    re.IGNORECASE,
)
_STORY = re.compile(
    r"\b(?:i remember|when i was|when we were|back in|years ago|one day|the first time|"
    r"i was (?:at|in|working|doing|trying)|we were (?:at|in|working|doing|trying)|i used to|we used to|"
    r"i realized|i realised|i learned|i learnt|i decided|we decided|i started|we started|we built|"
    r"i built|i met|i left|i joined|i moved|i grew up|my (?:first|father|mother|dad|mum|mom|wife|"
    r"husband|son|daughter|brother|sister|friend|boss|co-?founder))\b",
    re.IGNORECASE,
)
_EMOTION = _compile(
    r"amazing|incredible|incredibly|crazy|insane|wild|scary|scared|terrifying|terrified|love|hate|"
    r"excited|exciting|shocked|shocking|beautiful|frustrating|frustrated|fascinating|mind-blowing|"
    r"heartbreaking|devastating|brutal|terrible|awful|horrible|thrilled|afraid|fear|angry|painful|"
    r"magical|profound|remarkable|astonishing|stunning|worried|dangerous|obsessed|passionate"
)
_HEDGE = _compile(
    r"kind of|sort of|maybe|perhaps|i guess|i mean|probably|somewhat|might|possibly|i'm not sure|"
    r"i’m not sure|not sure|it depends|to some extent|in a way|more or less|arguably|i suppose"
)
_FILLER = _compile(r"um+|uh+|er+|ah+|hmm+|you know|like,|i mean|basically|literally|whatever")
_REACTION = re.compile(
    r"^\W*(?:wow|oh wow|amazing|fascinating|incredible|interesting|that's (?:fascinating|amazing|"
    r"incredible|brilliant|great|interesting|so interesting|wild|crazy|a great)|that is (?:fascinating|"
    r"amazing|incredible)|i love (?:that|this|it)|great point|good point|brilliant|exactly|ha+|"
    r"so true|yes!|mind-blowing|beautiful)",
    re.IGNORECASE,
)
_PROPER = re.compile(r"(?<![.!?:\"“]\s)(?<!^)\b([A-Z][a-zA-Z0-9]+(?:[-'][A-Za-z0-9]+)?|[A-Z]{2,}\d*)\b")
_NOT_NAMES = frozenset(
    "I I'm I've I'd I'll OK Okay Yeah Yes No So And But The A An It This That We You They He She "
    "Well Oh Um Uh Right".split()
)


@dataclass
class PassageFeatures:
    """Explainable quality features of a passage of speech (counts per feature)."""

    words: int = 0
    numbers: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    concrete: int = 0
    claims: list[str] = field(default_factory=list)
    absolutes: int = 0
    contrarian: int = 0
    story: int = 0
    emotion: list[str] = field(default_factory=list)
    hedges: int = 0
    fillers: int = 0
    questions: int = 0

    def score(self) -> float:
        """A length-aware quality score: specific, clear, vivid beats hedged and filled."""
        n = max(self.words, 1)
        scale = math.sqrt(n / 40.0)  # diminishing returns: longer passages collect more hits
        # Specificity saturates fast: a list of numbers or names is not a better quote.
        spec = min(len(set(self.numbers)), 2) * 0.4 + min(len(set(self.names)), 3) * 0.3
        spec += min(self.concrete, 2) * 0.4
        claim = min(len(self.claims), 2) * 0.6 + min(self.contrarian, 2) * 0.9
        claim += min(self.absolutes, 2) * 0.25
        story = min(self.story, 2) * 0.7
        emotion = min(len(self.emotion), 2) * 0.35
        positive = (spec + claim + story + emotion) / max(scale, 1.0)
        negative = 6.0 * self.hedges / n + 8.0 * self.fillers / n
        return positive - negative * 3.0

    def merged(self, other: PassageFeatures) -> PassageFeatures:
        """Features of this passage followed by ``other``."""
        return PassageFeatures(
            words=self.words + other.words,
            numbers=self.numbers + other.numbers,
            names=self.names + other.names,
            concrete=self.concrete + other.concrete,
            claims=self.claims + other.claims,
            absolutes=self.absolutes + other.absolutes,
            contrarian=self.contrarian + other.contrarian,
            story=self.story + other.story,
            emotion=self.emotion + other.emotion,
            hedges=self.hedges + other.hedges,
            fillers=self.fillers + other.fillers,
            questions=self.questions + other.questions,
        )

    def reasons(self) -> list[str]:
        """Plain-words list of the features that fired."""
        out = []
        if self.numbers:
            out.append("specific numbers (" + ", ".join(_uniq(self.numbers)[:3]) + ")")
        if self.names:
            out.append("names concrete things (" + ", ".join(_uniq(self.names)[:3]) + ")")
        if self.concrete:
            out.append("gives a concrete example")
        if self.contrarian:
            out.append("contrarian or surprising claim")
        if self.claims:
            out.append("clear claim (" + ", ".join(f"“{c}”" for c in _uniq(self.claims)[:2]) + ")")
        if self.story:
            out.append("personal story")
        if self.emotion:
            out.append("emotion (" + ", ".join(_uniq(self.emotion)[:2]) + ")")
        if self.hedges * 40 > self.words:
            out.append("some hedging (penalised)")
        return out


def _uniq(items: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item.strip(), None)
    return list(seen)


# Case-insensitive matching is several times slower in ``re`` than exact matching,
# so the features match case-sensitive twins of their patterns against the
# lower-cased text. That is the same match, position for position, unless the
# text holds a character whose lower case is not one character, depends on its
# neighbours (final sigma), or case-folds onto an ASCII letter without being
# its upper case (dotless i, long s): such texts take the original patterns.
_CASE_TRAPS = re.compile("[\u0130\u0131\u017f\u03a3]")


class _FeaturePatterns(NamedTuple):
    """The patterns :func:`passage_features` counts, one set per way of matching."""

    number: re.Pattern[str]
    concrete: re.Pattern[str]
    claim: re.Pattern[str]
    absolute: re.Pattern[str]
    contrarian: re.Pattern[str]
    story: re.Pattern[str]
    emotion: re.Pattern[str]
    hedge: re.Pattern[str]
    filler: re.Pattern[str]


_AS_WRITTEN = _FeaturePatterns(
    _NUMBER, _CONCRETE, _CLAIM, _ABSOLUTE, _CONTRARIAN, _STORY, _EMOTION, _HEDGE, _FILLER
)
# Case-sensitive twins, for the lower-cased text (see _CASE_TRAPS).
_ON_LOWER_CASE = _FeaturePatterns(*(re.compile(p.pattern, p.flags & ~re.IGNORECASE) for p in _AS_WRITTEN))
# Every match of _CONTRARIAN holds one of these words: a lower-cased text with none
# of them skips the pattern (its bounded scans after "people" are the costliest here).
_CONTRARIAN_NEEDLES = (
    "people", "everyone", "everybody", "conventional", "consensus", "narrative", "contrary", "counter",
    "surprising", "opposite", "not", "about", "buy", "controversy", "agree", "reality", "truth",
)  # fmt: skip


def _matching(text: str) -> tuple[str, _FeaturePatterns]:
    """The string to search and the patterns to search it with (same matches, same offsets)."""
    if _CASE_TRAPS.search(text):
        return text, _AS_WRITTEN
    return text.lower(), _ON_LOWER_CASE


def _contrarian_count(subject: str, patterns: _FeaturePatterns) -> int:
    if patterns is _ON_LOWER_CASE and not any(needle in subject for needle in _CONTRARIAN_NEEDLES):
        return 0
    return len(patterns.contrarian.findall(subject))


@lru_cache(maxsize=16384)
def passage_features(text: str) -> PassageFeatures:
    """Count the quality features of ``text`` (see :class:`PassageFeatures`)."""
    subject, p = _matching(text)
    return PassageFeatures(
        words=len(words(text)),
        # Numbers keep the text's own case ("Two", "5M").
        numbers=[text[m.start() : m.end()].strip(" ,.") for m in p.number.finditer(subject)],
        names=[m.group(1) for m in _PROPER.finditer(text) if m.group(1) not in _NOT_NAMES],
        concrete=len(p.concrete.findall(subject)),
        claims=[m.group().lower() for m in p.claim.finditer(subject)],
        absolutes=len(p.absolute.findall(subject)),
        contrarian=_contrarian_count(subject, p),
        story=len(p.story.findall(subject)),
        emotion=[m.group().lower() for m in p.emotion.finditer(subject)],
        hedges=len(p.hedge.findall(subject)),
        fillers=len(p.filler.findall(subject)),
        questions=text.count("?"),
    )


# ---------------------------------------------------------------------------
# Clips
# ---------------------------------------------------------------------------


def _payoff(units: Sequence[SentenceUnit], a: int, b: int) -> bool:
    """Does the window ``units[a..b]`` end on a landed point rather than mid-thought?"""
    last = units[b]
    ending = last.text.rstrip()
    # A question hands over; a sentence that trails off ("I agree that...") never lands.
    if ending.endswith(("?", "...", "…", "-", "—", "–")):
        return False
    if last.turn_last:
        return True
    return _lands(" ".join(u.text for u in units[max(a, b - 1) : b + 1]))


@lru_cache(maxsize=16384)
def _lands(tail: str) -> bool:
    # Only whether a claim or a contrarian line fires matters here: one search each
    # instead of every feature's findall (clips test thousands of window tails).
    subject, p = _matching(tail)
    return bool(p.claim.search(subject)) or _contrarian_count(subject, p) > 0


def _clip_title(
    text_units: Sequence[SentenceUnit], context: str | None = None, exclude: Sequence[str] = ()
) -> str:
    """A short, specific title for a clip.

    In order: a short question that opens the clip; the clip's own short claim;
    its best noun phrase (never a lone everyday word such as "Software"); a
    question of up to 14 words anywhere in it; its opening words.
    """
    texts = [strip_list_marker(u.text) for u in text_units]
    opening = texts[0]
    if is_question(opening) and 3 <= len(words(opening)) <= 8 and opening_problem(opening) is None:
        return opening
    claims = []
    for text in texts:
        n = len(words(text))
        feats = passage_features(text)
        if 4 <= n <= 8 and (feats.claims or feats.contrarian) and opening_problem(text) is None:
            claims.append((feats.score(), text.rstrip(".!")))
    if claims:
        return max(claims)[1]
    phrase = best_phrase(" ".join(texts), context=context, exclude=exclude)
    if phrase:
        return title_case(phrase)
    for text in texts:
        if is_question(text) and 3 <= len(words(text)) <= 14 and opening_problem(text) is None:
            return text
    first = texts[0]
    return first if len(words(first)) <= 10 else " ".join(first.split()[:8]) + " …"


_LEADING_MARKER = re.compile(r"^\s*(?:[*•▪‣◦]|[-–](?=\s)|\d{1,2}[.)](?=\s))\s*")


def strip_list_marker(text: str) -> str:
    """``text`` without a leading list marker ("* ", "- ", "2. ") and surrounding space."""
    return _LEADING_MARKER.sub("", text.strip(), count=1)


def best_phrase(text: str, *, context: str | None = None, exclude: Sequence[str] = ()) -> str | None:
    """The noun phrase that best names ``text``, or None when it has none worth using.

    Candidates are YAKE key phrases, completed where the text shows they were
    clipped ("human level" -> "human level intelligence") and kept only when
    they read as noun phrases (no verb or adverb at either end, a last word the
    ``context`` - by default ``text`` - uses as a noun). Phrases the passage
    returns to, names and rare terms score higher; a lone everyday word ("Code",
    "Job"), a stance word ("wrong") or a name from ``exclude`` is never returned.
    """
    lexicon = _lexicon(context or text)
    lowered = text.lower()
    scored = []
    for phrase, weight in _candidates(text, lexicon, top=10):
        if _bare_word(phrase, lexicon) or _STANCE.search(phrase) or _names_a_speaker(phrase, exclude):
            continue
        tier = _title_tier(phrase, lexicon)
        if tier > 0:
            scored.append((tier, _lexical_score(phrase, weight, lowered, lexicon), phrase))
    if not scored:
        return None
    # Phrases with a head the episode uses as a noun first, then by score.
    scored.sort(key=lambda x: (-x[0], -x[1]))
    scored = [(score, phrase) for _, score, phrase in scored]
    best_score, best = scored[0]
    if len(best.split()) == 1:
        # A name alone ("Claude") reads better with the phrase it heads ("Claude Code").
        for score, phrase in scored[1:]:
            longer = len(phrase.split()) > 1 and best.lower() in phrase.lower().split()
            if longer and score >= 0.5 * best_score:
                return phrase
    return best


def find_clips(episode: Episode, *, count: int = 3, min_s: float = 30, max_s: float = 180) -> list[Clip]:
    """The ``count`` most compelling self-contained passages, best first.

    A candidate is a run of whole sentences lasting ``min_s``-``max_s`` seconds
    that opens without leaning on earlier talk, opens on a question or a claim
    where it can, ends on a payoff, and touches no ``ad`` or ``cold_open`` turn.
    Scores add specificity, claims, stories, emotion and a reaction that follows,
    minus hedging and filler; ``Clip.reasons`` says which fired. Chosen clips
    overlap each other by at most 20% of the shorter one.
    """
    units = sentence_units(episode)
    n = len(units)
    # The best single line of a window: a clip needs at least one quotable moment.
    peaks = [max(passage_features(u.text).score(), 0.0) for u in units]
    # (score, a, b, features, reactor follows): reasons are worded only for the chosen few.
    candidates: list[tuple[float, int, int, PassageFeatures, bool]] = []

    @cache
    def payoff(b: int, with_previous: bool) -> bool:
        # A window's payoff reads only its last one or two sentences: judged once per end.
        return _payoff(units, b - 1 if with_previous else b, b)

    for a in range(n):
        first = units[a]
        if first.excluded or opening_problem(first.text):
            continue
        opening = _opening(first.text)
        opens_question = opening == "question"
        open_bonus = {"question": 0.6, "claim": 0.4}.get(opening, 0.0)
        if first.turn_first:
            open_bonus += 0.2
        feats = PassageFeatures()
        peak = 0.0
        for b in range(a, n):
            if units[b].excluded:
                break
            duration = units[b].time_end - first.time_start
            if duration > max_s:
                break
            # Features add up sentence by sentence: no re-scan of the whole window.
            feats = feats.merged(passage_features(units[b].text))
            peak = max(peak, peaks[b])
            if duration < min_s or not payoff(b, b > a):
                continue
            if opens_question and all(u.turn == first.turn for u in units[a : b + 1]):
                # A question the same speaker never answers in the window is not a hook.
                if all(u.text.rstrip().endswith("?") for u in units[a : b + 1]):
                    continue
            score = feats.score() + open_bonus + 0.4 * peak
            nxt = units[b + 1] if b + 1 < n else None
            reacted = bool(
                nxt and nxt.turn_first and nxt.speaker != units[b].speaker and _REACTION.match(nxt.text)
            )
            if reacted:
                score += 0.6
            if units[b].turn_last:
                score += 0.2
            # Mild preference for 60-120 s: long enough to land, short enough to post.
            score -= 0.015 * max(0.0, 50 - duration) + 0.004 * max(0.0, duration - 120)
            candidates.append((score, a, b, feats, reacted))
    candidates.sort(key=lambda c: -c[0])
    chosen: list[tuple[float, int, int, PassageFeatures, bool]] = []
    for cand in candidates:
        _, a, b = cand[:3]
        t0, t1 = units[a].time_start, units[b].time_end
        ok = True
        for _, ca, cb, _f, _r in chosen:
            c0, c1 = units[ca].time_start, units[cb].time_end
            overlap = max(0.0, min(t1, c1) - max(t0, c0))
            if overlap > 0.2 * min(t1 - t0, c1 - c0):
                ok = False
                break
        if ok:
            chosen.append(cand)
            if len(chosen) >= count:
                break
    return [
        _make_clip(episode, units, a, b, score, _clip_reasons(units, a, b, feats, reacted))
        for score, a, b, feats, reacted in chosen
    ]


def _opening(sentence: str) -> str | None:
    """How a clip opening on ``sentence`` hooks: ``"question"``, ``"claim"`` or None."""
    if is_question(sentence):
        return "question"
    feats = passage_features(sentence)
    return "claim" if feats.claims or feats.contrarian else None


def _clip_reasons(
    units: Sequence[SentenceUnit], a: int, b: int, feats: PassageFeatures, reacted: bool
) -> list[str]:
    """Plain-words reasons for the clip ``units[a..b]``, in the order its score adds them up."""
    opening = _opening(units[a].text)
    reasons = [f"opens on a {opening}"] if opening else []
    reasons += feats.reasons()
    if reacted:
        reasons.append("the other speaker reacts right after")
    if units[b].turn_last:
        reasons.append("ends where the speaker finishes the point")
    else:
        reasons.append("ends on a payoff line")
    return reasons


def _episode_text(episode: Episode) -> str:
    return " ".join(t.text for t in episode.turns if not set(t.tags) & EXCLUDED_TAGS)


def _make_clip(
    episode: Episode,
    units: Sequence[SentenceUnit],
    a: int,
    b: int,
    score: float,
    reasons: list[str],
) -> Clip:
    first, last = units[a], units[b]
    parts = []
    for ti in range(first.turn, last.turn + 1):
        text = episode.turns[ti].text
        lo = first.start if ti == first.turn else 0
        hi = last.end if ti == last.turn else len(text)
        parts.append(text[lo:hi])
    speakers: list[str] = []
    for u in units[a : b + 1]:
        if u.speaker is not None and u.speaker not in speakers:
            speakers.append(u.speaker)
    return Clip(
        start=round(first.time_start, 2),
        end=round(last.time_end, 2),
        title=_clip_title(
            units[a : b + 1], context=_episode_text(episode), exclude=[s.name for s in episode.speakers]
        ),
        text="\n".join(parts),
        score=round(score, 3),
        reasons=reasons,
        speakers=speakers,
        turn_start=first.turn,
        turn_end=last.turn,
    )
