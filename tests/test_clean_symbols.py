"""The clean stage on tokens made of letters and symbols: "C++", "M&A", "A.J.", "U.S.", "3.5".

The stage (``castline.pipeline._clean``) runs :func:`clean_episode` and then
:func:`suggest_glossary` on the cleaned episode. A capitalised token that an episode
uses often is a glossary target there; one with fewer than three letters and digits
("C++", "M&A", "U.S.") used to raise ``IndexError``, since ``compile_glossary`` drops
such a term and ``suggest_glossary`` took its first result regardless.
"""

from __future__ import annotations

import pytest

from castline.clean import apply_edits, clean_episode, edits_of, suggest_glossary
from castline.clean.glossary import compile_glossary
from castline.model import Episode, Turn

#: each token mid-sentence in several turns (a frequent mid-sentence capital), at a
#: sentence end, before a comma, and after a filler the clean stage removes
SENTENCES = {
    "C++": [
        "So we rewrote the whole engine in C++ last year, and it was painful.",
        "Honestly, um, C++ is still what most of the game studios use.",
        "I mean the C++ templates are, you know, a language of their own.",
        "If you care about latency you end up writing C++.",
    ],
    "M&A": [
        "He spent ten years doing M&A at a bank before he joined us.",
        "So the M&A market, uh, basically froze in twenty twenty two.",
        "A lot of the M&A work is just diligence, right?",
        "That was the year we hired our first head of M&A.",
    ],
    "D&E": [
        "She ran the D&E team, the design and engineering group.",
        "Um, so D&E reviews happen every Friday.",
        "The D&E budget, you know, doubled that year.",
        "Nobody outside the company had heard of D&E.",
    ],
    "A.J.": [
        "I was on a call with A.J. yesterday about the launch.",
        "So A.J., uh, basically built the first prototype himself.",
        "And A.J. said the numbers were wrong, and he was right.",
        "We should really get A.J. on the show.",
    ],
    "A/B": [
        "We ran an A/B test on the pricing page for a month.",
        "Um, the A/B results were, you know, pretty clear.",
        "Every feature ships behind an A/B flag now.",
        "You cannot argue with a clean A/B.",
    ],
    "P.M.": [
        "The launch went live at nine P.M. on a Sunday.",
        "By eleven P.M. the servers were, um, completely melting.",
        "We had a standup at ten P.M. that night, which was a first.",
        "I think it finally calmed down around two P.M.",
    ],
    "R&D": [
        "We put almost forty percent of revenue into R&D every year.",
        "So the R&D team, uh, sits right next to sales.",
        "Most R&D tax credits are, you know, badly understood.",
        "That is the part of the budget called R&D.",
    ],
    "AT&T": [
        "My first job was at AT&T in the network group.",
        "Um, AT&T's labs invented half of what we use today.",
        "And AT&T basically, you know, gave Unix away.",
        "Bell Labs was part of AT&T.",
    ],
    "U.S.": [
        "Most of our customers are in the U.S. and Canada.",
        "So the U.S. market, uh, moved first on this.",
        "The U.S. rules are, you know, different state by state.",
        "We only launched in the U.S.",
    ],
    "Node.js": [
        "The backend was Node.js for the first three years.",
        "Um, Node.js made it easy to hire, honestly.",
        "We moved off Node.js once the traffic grew, you know, tenfold.",
        "Half the tooling still runs on Node.js.",
    ],
    "e.g.": [
        "Pick a boring stack, e.g. Postgres and a monolith, and ship.",
        "You can measure it, e.g. with a simple survey.",
        "Some teams, um, e.g. the platform group, never do that.",
        "It works for small things, e.g. a landing page.",
    ],
    "C#": [
        "Unity games are mostly written in C# these days.",
        "Um, C# has gotten a lot better since version six.",
        "The C# tooling is, you know, really good on Windows.",
        "Our desktop client is all C#.",
    ],
    ".NET": [
        "The whole back office runs on .NET and SQL Server.",
        "So .NET on Linux, uh, changed that conversation.",
        "A lot of banks are, you know, deep in .NET.",
        "We rewrote the billing service in .NET.",
    ],
    "F#": [
        "One of our quants writes everything in F# for fun.",
        "Um, F# type providers are honestly magic.",
        "Nobody else on the team, you know, reads F# though.",
        "The pricing model is still in F#.",
    ],
    "i.e.": [
        "We keep it simple, i.e. one database and one queue.",
        "The hard part is the people, i.e. the hiring.",
        "Um, the margin, i.e. what is left after hosting, is thin.",
        "It has to be fast, i.e. under a hundred milliseconds.",
    ],
    "3.5": [
        "We started on GPT 3.5 and moved up later.",
        "Um, the 3.5 model was, you know, good enough for tagging.",
        "Our churn dropped to 3.5 percent last quarter.",
        "Version 3.5 is the one most people still run.",
    ],
    "Ph.D.": [
        "She did her Ph.D. on compilers at Stanford.",
        "Um, a Ph.D. is, you know, a very long apprenticeship.",
        "He left his Ph.D. halfway through to start the company.",
        "Nobody on the team has a Ph.D.",
    ],
}
#: tokens whose letters and digits are fewer than three: no glossary term can be made of them
SHORT_KEY_TOKENS = ["C++", "M&A", "D&E", "A.J.", "A/B", "P.M.", "R&D", "U.S."]


def episode(*texts: str) -> Episode:
    turns = [Turn(None, 10.0 * i, 10.0 * i + 10, t, t) for i, t in enumerate(texts)]
    return Episode(title="t", slug="t", turns=turns)


def clean_stage(ep: Episode, glossary: list[str]) -> list[tuple[str, str, float]]:
    """What the pipeline's clean stage runs: the edits, then the glossary suggestions."""
    clean_episode(ep, glossary=glossary)
    return suggest_glossary(ep)


def assert_consistent(ep: Episode) -> None:
    for index, turn in enumerate(ep.turns):
        assert apply_edits(turn.verbatim, edits_of(ep, index)) == turn.text


@pytest.mark.parametrize("glossary", [[], ["Eiso Kant", "DeepSeek"]], ids=["no-glossary", "glossary"])
@pytest.mark.parametrize("token", list(SENTENCES))
def test_clean_stage_keeps_symbol_tokens(token: str, glossary: list[str]) -> None:
    ep = episode(*SENTENCES[token])
    suggestions = clean_stage(ep, glossary)
    assert_consistent(ep)
    for turn in ep.turns:
        assert turn.text.count(token) == turn.verbatim.count(token), (turn.verbatim, turn.text)
    assert all(0 < score <= 1 for *_, score in suggestions)


@pytest.mark.parametrize("token", list(SENTENCES))
def test_token_as_glossary_term_is_kept(token: str) -> None:
    # a show glossary may list such a term itself (a documented example is "C#")
    ep = episode(*SENTENCES[token])
    clean_stage(ep, [token, "Eiso Kant"])
    assert_consistent(ep)
    for turn in ep.turns:
        assert turn.text.count(token) == turn.verbatim.count(token), (turn.verbatim, turn.text)


@pytest.mark.parametrize("token", SHORT_KEY_TOKENS)
def test_suggest_glossary_on_short_key_token(token: str) -> None:
    # the direct call, on the verbatim: the token is a frequent mid-sentence capital
    assert compile_glossary([token]) == []
    ep = episode(*SENTENCES[token])
    assert all(token not in (heard, likely) for heard, likely, _ in suggest_glossary(ep))


def test_suggest_glossary_still_finds_near_misses_beside_symbols() -> None:
    ep = episode(
        "We met the Poolside team about M&A. Later the Poolside models shipped in the U.S.",
        "I think the Poolside approach to M&A works, and DeepSeek agrees with DeepSeek and DeepSeek.",
        "Then Paulside said so in the U.S. and at AT&T, and DeepSeq too, about M&A and the U.S.",
        "The C++ code, the C++ tests and the C++ build were all A/B tested by A/B and A/B.",
    )
    # without the episode's own spellings as references, nothing repairs them: suggested
    clean_episode(ep, names=False)
    pairs = {(heard, likely) for heard, likely, _ in suggest_glossary(ep)}
    assert ("Paulside", "Poolside") in pairs
    assert ("DeepSeq", "DeepSeek") in pairs
    assert_consistent(ep)
    # with them (the default) the clean stage repairs both, and suggests neither
    pairs = {(heard, likely) for heard, likely, _ in clean_stage(ep, [])}
    assert not pairs & {("Paulside", "Poolside"), ("DeepSeq", "DeepSeek")}
    text = " ".join(t.text for t in ep.turns)
    assert "Then Poolside said so" in text and "DeepSeek too" in text
    assert_consistent(ep)
