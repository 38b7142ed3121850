"""References: does a stretch of speech name what its pronouns point at?

A quote, a clip's opening or a title that starts "I don't buy it" or "I don't
think they stole data" leans on talk the reader never saw. :func:`reference_problem`
reads the first sentence of a text for a third-person pronoun or a deictic
used as a pronoun with no candidate antecedent before it. Plain rules, no
parser: a name, a content noun of the right number, or a person noun
counts as an antecedent.
"""

from __future__ import annotations

import re
from functools import lru_cache

from castline.text import FIRST_PERSON_CAPS, STOPWORDS

__all__ = ["reference_problem"]

# How a quote marks an elision: each part after one opens anew.
_ELISION = " [...] "
_ROUGH_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")

# Third-person pronouns: each names someone or something the quote must name first.
_PRONOUNS = frozenset("it its they them their theirs he him his she her".split())
_DEICTICS = frozenset("this that these those".split())
# After a deictic, words that make it the subject or object ("that is", "that works"),
# not a determiner ("that model") or a complementiser ("that we ...").
_DEICTIC_AS_PRONOUN_NEXT = frozenset(
    """is was are were will would can could does did do has had have means meant makes made gets got
    goes went seems sounds works worked happens happened helps matters changes shows says said""".split()
)
# Verbs of thinking and saying that often stand before "it"/"they" with no noun between:
# "I don't buy it", "I don't think they ..." name nothing.
_NOT_ANTECEDENTS = frozenset(
    """think thought know knew mean meant say said see saw believe believed guess feel felt love loved hate
    like liked want wanted need needed get got do did does done make made find found agree remember doubt
    bet put take took give gave call called use used try tried buy bought hope hoped wish tell told
    honestly actually really basically literally definitely probably certainly obviously clearly
    something anything everything nothing someone anyone everyone thing things way lot lots bit kind sort
    going gonna able sure doing saying talking looking trying seeing
    because since when while if whether though although""".split()
)
_TIME_NOUNS = frozenset("year week month day time morning evening point moment era decade summer".split())
# "It" as a dummy subject refers to nothing: "it's hard to ...", "it turns out ...".
_DUMMY_IT = re.compile(
    r"it(?:'s|’s|\s+is|\s+was|\s+will\s+be|\s+would\s+be)\s+(?:not\s+)?"
    r"(?:(?!going\b|gonna\b|supposed\b|able\b|trying\b|meant\b|used\b)\w+\s+){0,2}?(?:to|that|whether|if)\b"
    r"|it\s+(?:turns\s+out|seems|seemed|feels\s+like|depends|takes|took|makes\s+sense|doesn't\s+matter)\b"
    r"|it(?:'s|’s|\s+is|\s+was)\s+(?:all\s+)?about\b",
    re.IGNORECASE,
)
_DETERMINERS = frozenset("a an the my our your some every each any no many most all".split())


def _base(token: str) -> str:
    return re.split(r"['’]", token.lower(), maxsplit=1)[0]


@lru_cache(maxsize=16384)
def reference_problem(quote: str) -> str | None:
    """Why ``quote`` leans on a referent it never names, or None.

    Reads the first sentence of each part of the quote (an elision starts a new
    part): a third-person pronoun ("it", "they", "his") or a deictic used as a
    pronoun ("that is", "I love this") with no candidate antecedent before it in
    the sentence (a name, a noun after a determiner, a content word other than a
    verb of thinking or saying) points outside the quote, as in "I don't buy it"
    or "I don't think they stole data". A dummy "it" ("it's hard to ...") names
    nothing and passes; so does a producer's bracketed subject ("[Generalisation] is ...").
    """
    for part in quote.split(_ELISION):
        part = part.strip()
        if part.startswith("["):
            continue  # the producer supplied the subject
        # A cheap split will do: only the first sentence's opening words matter.
        sentence = _ROUGH_SENTENCE_END.split(part, maxsplit=1)[0]
        problem = _first_sentence_reference(sentence)
        if problem:
            return problem
    return None


def _first_sentence_reference(sentence: str) -> str | None:
    spans = [(m.start(), m.group()) for m in re.finditer(r"[\w'’-]+", sentence)]
    singular = plural = person = False  # what the sentence has named so far
    for k, (pos, token) in enumerate(spans):
        base = _base(token)
        nxt = _base(spans[k + 1][1]) if k + 1 < len(spans) else None
        if base in _PRONOUNS:
            if base in ("it", "its") and _DUMMY_IT.match(sentence, pos):
                continue
            needs = {"it": singular, "its": singular}.get(base)
            if needs is None:
                needs = plural if base in ("they", "them", "their", "theirs") else person
            if not needs:
                return f"“{token}” has no referent in the quote"
            continue
        if base in _DEICTICS:
            prev = _base(spans[k - 1][1]) if k else None
            as_pronoun = (
                token.lower() != base  # "that's", "this'll"
                or nxt is None
                or (prev in _VERBS and nxt not in _NOUN_FOLLOWS)  # "do that unless", "love this"
                or nxt in _DEICTIC_AS_PRONOUN_NEXT
                or sentence[pos + len(token) : pos + len(token) + 1] in {",", ".", "!", "?", ";", ":"}
            )
            opening_np = k == 0 and nxt is not None and nxt not in _TIME_NOUNS and not as_pronoun
            if (as_pronoun or opening_np) and not (singular or plural):
                return f"“{token}” points outside the quote"
            continue
        if k and token[:1].isupper() and token not in FIRST_PERSON_CAPS:
            singular = plural = person = True  # a name: a person, a company, a product
        elif token.lower() in STOPWORDS or re.search(r"n['’]t$", token.lower()):
            continue  # "don't", "we're": function words
        elif (
            base not in _NOT_ANTECEDENTS
            and base not in STOPWORDS
            and base not in _DETERMINERS
            and len(base) >= 3
            and not base.endswith("ly")
            and base.isalpha()
        ):
            if base in _PEOPLE:
                person = True
            if base in _PLURALS or (base.endswith("s") and not base.endswith(("ss", "us", "is"))):
                plural = True
            else:
                singular = True
    return None


_VERBS = frozenset(
    """do did does done doing buy bought love loved hate like liked want need get got make made see saw
    say said believe take took give gave try tried hear heard read build built solve solved""".split()
)
# Words after "that" that make it a complementiser or a determiner ("see that the", "do that work").
_NOUN_FOLLOWS = frozenset("the a an we you i they he she it there our my your their".split())
_PEOPLE = frozenset(
    """person guy man woman friend founder ceo cto father mother dad mom wife husband son daughter brother
    sister boss colleague engineer researcher author teacher kid child""".split()
)
_PLURALS = frozenset("people folks children men women data media criteria".split())


# Words a transcriber adds: "[inaudible 00:24:15]", "[laughs]", "(crosstalk)".
