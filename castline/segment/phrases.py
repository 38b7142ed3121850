"""Key phrases that read as noun phrases: the candidates for a chapter or clip title.

Candidates are the text's own distinctive key phrases (YAKE), completed where
the text shows they were clipped ("human level" -> "human level intelligence")
and kept only when they read as noun phrases. There is no part-of-speech
tagger: the episode's own text says which words it uses as nouns, verbs and
names (:class:`Lexicon`), and wordfreq says which words are everyday ones.
:mod:`castline.segment.titles` picks among them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from castline.segment.words import NOT_NAMES, english_stop_words, zipf
from castline.text import STOPWORDS, words

__all__ = [
    "STANCE",
    "Lexicon",
    "episode_lexicon",
    "is_bare_word",
    "key_phrases",
    "lexical_score",
    "noun_evidence",
    "phrase_candidates",
]


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

# Stance words judge a topic rather than name it ("wrong", "important"): never a title.
STANCE = re.compile(
    r"^(?:wrong|right|true|false|always|never|really|actually|important|interesting|great|good|bad|"
    r"amazing|incredible|crazy|sure|fine|true|able|different|same|hard|easy)$",
    re.IGNORECASE,
)


def _good_phrase(phrase: str) -> bool:
    tokens = [t.lower() for t in words(phrase)]
    if not tokens or len(tokens) > 6 or not phrase[:1].isalnum():
        return False  # empty, rambling, or the tail of a contraction ("’ve acquired")
    if tokens[0] in STOPWORDS or tokens[-1] in STOPWORDS:
        return False
    if tokens[-1] in _NON_TOPIC_TAILS or (len(tokens) == 1 and tokens[0] in _LIGHT_VERBS):
        return False  # "years ago", "CLI coming", "build": times and actions, not topics
    content = [t for t in tokens if t not in STOPWORDS and t not in english_stop_words()]
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
    monday tuesday wednesday thursday friday saturday sunday mondays tuesdays wednesdays thursdays
    fridays saturdays sundays weekend weekends today yesterday tomorrow week weeks
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
class Lexicon:
    """What an episode's own text says about its words.

    ``nouns`` holds (lower-cased) words the text uses as the head of a noun phrase;
    ``verbs`` words it puts right after a subject pronoun or a modal ("we build");
    ``names`` lower-cased words it capitalises mid-sentence more often than not.
    """

    nouns: frozenset[str]
    verbs: frozenset[str]
    names: frozenset[str]


@lru_cache(maxsize=4)
def episode_lexicon(text: str) -> Lexicon:
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
        if token not in NOT_NAMES:
            capital[token.lower()] = capital.get(token.lower(), 0) + 1
    lower: dict[str, int] = {}
    for token in _WORD_RE.findall(text):
        if token.islower() and token in capital:
            lower[token] = lower.get(token, 0) + 1
    names = frozenset(w for w, c in capital.items() if c >= lower.get(w, 0))
    return Lexicon(nouns=nouns, verbs=verbs, names=names)




_WORD_RE = re.compile(r"[\w'’-]+")

def _is_adverb(word: str) -> bool:
    # "surprisingly" -> "surprising", "happily" -> "happy": an -ly word built on a
    # common English word; "family" or "supply" are not.
    w = word.lower()
    if not w.endswith("ly") or len(w) < 5:
        return False
    return zipf(w[:-2]) >= 3.0 or zipf(w[:-3] + "y") >= 3.0 or zipf(w[:-2] + "e") >= 3.0


def _is_name(token: str, lexicon: Lexicon) -> bool:
    """A proper noun, acronym or versioned term ("DeepSeek", "AWS", "GPT-4")."""
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token):
        return True
    if sum(c.isupper() for c in token) >= 2 or (token[:1].isupper() and token[1:] != token[1:].lower()):
        return True  # AWS, DeepSeek, iPhone-like forms
    return token.lower() in lexicon.names


def _specificity(phrase: str, lexicon: Lexicon) -> float:
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
            scores.append(min(max((5.6 - zipf(token.lower())) / 2.6, 0.0), 1.0))
    return max(scores) * 0.6 + (sum(scores) / len(scores)) * 0.4


# Counts said or written: a count and its unit ("a hundred bees") name an amount, not a topic.
_QUANTITY = re.compile(
    r"^(?:\d[\d,.]*%?|(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|dozens"
    r"|half|couple|few|several)(?:-\w+)?)$",
    re.IGNORECASE,
)


def _phrase_problem(phrase: str, lexicon: Lexicon) -> str | None:
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
    if len(tokens) > 1 and all(_QUANTITY.match(t) for t in tokens[:-1]):
        return "a quantity, not a topic"  # "Hundred Pounds", "Seventy Years"
    if len(tokens) == 1 and _superlative(tokens[0]):
        return "a lone superlative"  # "Strangest": of what?
    lowered = [t.lower() for t in tokens]
    if any(t in _LIGHT_VERBS or t in _LIGHT_VERB_FORMS for t in lowered[1:]):
        return "contains a verb"
    # (A gerund modifier is fine: "planning abilities", "training data".)
    if any(t in lexicon.verbs and not t.endswith("ing") for t in lowered[:-1]):
        return "contains a word the episode uses as a verb"
    if any((t in STOPWORDS or t in english_stop_words()) and t not in _JOINERS for t in lowered[1:-1]):
        return "a clause, not a noun phrase"
    if all(t in _VAGUE or STANCE.match(t) or t in STOPWORDS for t in lowered):
        return "only vague or stance words"
    return None


def noun_evidence(word: str, lexicon: Lexicon) -> int:
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


def _noun_head(phrase: str, lexicon: Lexicon) -> bool:
    """Can the phrase's last word head a noun phrase (no evidence it is a verb)?"""
    return noun_evidence(phrase.split()[-1], lexicon) >= 0


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


def _complete(phrase: str, text: str, lexicon: Lexicon, *, max_words: int = 4) -> str:
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
            function_word = low in STOPWORDS or low in english_stop_words()
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


def phrase_candidates(
    text: str, lexicon: Lexicon, *, source: str | None = None, top: int = 15
) -> list[tuple[str, float]]:
    """Noun-phrase title candidates of ``text``: completed, re-cased, with a prior in (0, 1].

    ``source`` (default ``text``) is where YAKE looks; completion and casing use ``text``.
    """
    out: dict[str, float] = {}
    for phrase, weight in key_phrases(source or text, top=top, max_words=3):
        phrase = _topical(phrase)
        phrase = _surface(_complete(phrase, text, lexicon), text)
        tokens = phrase.split()
        if len(tokens) >= 3 and noun_evidence(tokens[-1], lexicon) <= 0:
            # "software development lifecycle collapses": keep the noun phrase that
            # opens a clause when the last word is not known as a noun.
            head = " ".join(tokens[:-1])
            if noun_evidence(tokens[-2], lexicon) > 0 and _good_phrase(head):
                phrase = head
        if not _good_phrase(phrase) or _phrase_problem(phrase, lexicon):
            continue
        key = phrase.lower()
        if key not in {k.lower() for k in out}:
            out[phrase] = weight
    return list(out.items())


def lexical_score(phrase: str, weight: float, text_lower: str, lexicon: Lexicon) -> float:
    """Prior of a candidate title from the text alone."""
    tokens = phrase.split()
    count = text_lower.count(phrase.lower())
    tf = 1 + math.log(count) if count > 1 else 0.5
    shape = {1: 0.55, 2: 1.0, 3: 1.0, 4: 0.85}.get(len(tokens), 0.7)
    noun = {1: 1.0, 0: 0.75, -1: 0.45}[noun_evidence(tokens[-1], lexicon)]
    spec = 0.4 + 0.6 * _specificity(phrase, lexicon)
    name = 1.2 if any(_is_name(t, lexicon) for t in tokens) else 1.0
    return weight * tf * shape * noun * spec * name


def _superlative(word: str) -> bool:
    """"strangest", "biggest", "happiest": an -est word whose -er comparative is English
    ("stranger"), unlike "forest" or "interest"."""
    w = word.lower()
    if len(w) < 6 or not w.endswith("est"):
        return False
    comparative = w[:-4] + "ier" if w.endswith("iest") else w[:-3] + "er"
    return zipf(comparative) >= 2.5


def is_bare_word(phrase: str, lexicon: Lexicon) -> bool:
    """A lone everyday word ("Code", "Job"): too vague to title anything alone."""
    tokens = phrase.split()
    return len(tokens) == 1 and not _is_name(tokens[0], lexicon) and zipf(tokens[0].lower()) >= 3.3
