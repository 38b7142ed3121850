"""Episode copy: title options, a description, cover text, built from the episode itself.

Pure and offline: everything here is drawn from the processed episode (the
intro's words about the guest, chapter titles, clips, highlights, the clean
text's own spelling of names), so every takeaway points at a passage and its
time, and nothing is said that the episode does not say.

Example
-------
>>> episode.metadata["copy"] = make_episode_copy(episode, sponsors=["Tufa AI Labs"])  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from castline.highlights.quotes import near_duplicate, post_quote, reference_problem, standalone_problem
from castline.model import Episode
from castline.segment.clips import biography_turns
from castline.segment.passages import is_question, opening_problem, passage_features
from castline.segment.sentence_units import sentence_units
from castline.text import STOPWORDS, format_timestamp, words

__all__ = ["TITLE_MAX_CHARS", "copy_problems", "guest_names", "make_episode_copy", "titles_alike"]

#: Longest title option (podcast apps cut longer titles).
TITLE_MAX_CHARS = 70
#: Word range of the description.
DESCRIPTION_WORDS = (120, 300)
#: Longest cover text.
COVER_MAX_WORDS = 6


def guest_names(episode: Episode) -> list[str]:
    """The guests' names, the one who says most first."""
    said: Counter[str] = Counter()
    for t in episode.turns:
        said[t.speaker or ""] += len(t.text.split())
    guests = [s for s in episode.speakers if s.role == "guest" and said[s.id] > 0]
    guests.sort(key=lambda s: -said[s.id])
    return [episode.speaker_name(s.id) for s in guests]


def _host_names(episode: Episode) -> list[str]:
    return [episode.speaker_name(s.id) for s in episode.speakers if s.role == "host"]


# -- who the guest is, as the episode says it -------------------------------------------------

_ROLE_AFTER_NAME = re.compile(
    r"^,?\s*(?:who\s+)?(?:is|was|'s|’s)\s+(?P<role>(?:the|a|an|one\s+of)\b[^.!?]{3,160})"
    r"|^,\s*(?P<appos>(?:the|a|an)\s+[^,.!?]{3,120}),"
)
_ROLE_PRONOUN = re.compile(
    r"^\W*(?:he|she|they)\s+(?:is|are|was|'s|’s)\s+(?P<role>(?:the|a|an)\b[^.!?]{3,160})", re.IGNORECASE
)
_SELF_ROLE = re.compile(r"\bI(?:'m|’m|\s+am)\s+(?P<role>(?:the|a|an)\s+(?:co-?founder|founder|ceo|cto|head|"
                        r"director|professor|author|engineer|researcher|lead|vp|principal|partner)[^.!?,]{0,100})",
                        re.IGNORECASE)


def _guest_line(episode: Episode, guest: str) -> str | None:
    """``"Eiso Kant is the co-founder and CTO of Poolside AI"``: how the episode introduces ``guest``.

    Looks in the opening (intro-tagged turns first, then the first tenth of the
    episode) for the guest's name followed by "is the ...", an apposition
    ("Eiso Kant, the CTO of ..., ...") or a next sentence "He is the ...", and
    last for the guest's own "I'm the founder of ...".
    """
    turns = episode.turns
    if not turns:
        return None
    end = max(t.end for t in turns) or 1.0
    early = [i for i, t in enumerate(turns) if "intro" in t.tags]
    early += [i for i, t in enumerate(turns) if t.start <= 0.1 * end and i not in early]
    first = guest.split()[0]
    for i in early:
        t = turns[i]
        if "ad" in t.tags or episode.speaker_name(t.speaker) == guest:
            continue
        text = t.text
        for m in re.finditer(rf"\b(?:{re.escape(guest)}|{re.escape(first)})\b", text):
            tail = text[m.end():]
            found = _ROLE_AFTER_NAME.match(tail)
            if found:
                return _tidy(f"{guest} is {found.group('role') or found.group('appos')}")
            nxt = re.split(r"(?<=[.!?])\s+", tail, maxsplit=1)
            if len(nxt) == 2:
                pron = _ROLE_PRONOUN.match(nxt[1])
                if pron:
                    return _tidy(f"{guest} is {pron.group('role')}")
    for t in turns:
        if episode.speaker_name(t.speaker) == guest and t.start <= 0.2 * end:
            found = _SELF_ROLE.search(t.text)
            if found:
                return _tidy(f"{guest} is {found.group('role')}")
    return None


def _tidy(line: str) -> str:
    line = re.sub(r"\s+", " ", line).strip().rstrip(",;:- ")
    return line if len(words(line)) <= 30 else " ".join(line.split()[:30])


# -- what the episode claims -----------------------------------------------------------------


_SPEAKER_OPENING = re.compile(
    r"^(?:I|I'm|I’m|I've|I’ve|I'd|I’d|My|We|We're|We’re|Our|You\s+(?:know|see|guys))\b"
)


def _claims(episode: Episode, max_words: int = 10) -> list[tuple[float, str, float, int]]:
    """Short stand-alone claim sentences of the guests (or anyone, with no guest): ``(score,
    text, start, turn)``, best first. They name the episode's own point for titles and covers."""
    roles = {s.id: s.role for s in episode.speakers}
    guest_on = any(roles.get(t.speaker) == "guest" for t in episode.turns)
    bio = biography_turns(episode)
    out = []
    for u in sentence_units(episode):
        if u.excluded or u.turn in bio or (guest_on and roles.get(u.speaker) == "host"):
            continue
        text = u.text.strip().rstrip(".!")
        n = len(words(text))
        if not 4 <= n <= max_words or is_question(u.text) or not text[:1].isupper():
            continue
        if opening_problem(u.text) or standalone_problem(u.text):
            continue
        feats = passage_features(u.text)
        if not (feats.claims or feats.contrarian) or feats.story:
            continue
        if _SPEAKER_OPENING.match(text):
            continue  # "I think ...", "You know ...": a title speaks of the subject, not the speaker
        out.append((feats.score() - 0.05 * n, text, u.time_start, u.turn))
    out.sort(key=lambda c: -c[0])
    return out


_SENTENCE_LIKE = re.compile(r"^(?:I|You|We|It|They|He|She|This|That)\b|n['’]t\b|['’](?:s|re|ve|ll)\b")


def _topics(episode: Episode) -> list[str]:
    """Chapter titles (after the opening one) and clip titles: what the conversation covers."""
    # A clip titled by its claim ("You don't fine-tune your way to AGI") is a line, not a topic.
    titles = [c.title for c in episode.clips if not (is_question(c.title) or _SENTENCE_LIKE.search(c.title))]
    titles += [c.title for c in episode.chapters[1:]] or [c.title for c in episode.chapters]
    out: list[str] = []
    for t in titles:
        t = t.strip().rstrip(".!")
        if t and len(words(t)) <= 8 and not _generic(t) and not any(t.lower() == o.lower() for o in out):
            out.append(t)
    return out


def _generic(phrase: str) -> bool:
    """A phrase of everyday words only ("Real World", "Point of View"): it names no topic."""
    from wordfreq import zipf_frequency

    content = [w.lower() for w in words(phrase) if w.lower() not in STOPWORDS]
    return not content or all(zipf_frequency(w, "en") >= 4.8 and not w[:1].isdigit() for w in content)


def _prose_case(phrase: str) -> str:
    """A title-cased topic as it reads in a sentence: "Pre-trained Base Model" -> "pre-trained base model".

    Names, acronyms and rare words keep their capitals ("Pareto frontier", "AWS").
    """
    from wordfreq import zipf_frequency

    out = []
    for token in phrase.split():
        plain = token.lower()
        common = all(zipf_frequency(p, "en") >= 3.5 for p in plain.split("-") if p)
        out.append(plain if token[:1].isupper() and token[1:].islower() and common else token)
    return " ".join(out)


def _prose_list(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# -- the parts ---------------------------------------------------------------------------------


def _titles(episode: Episode, guests: list[str], claims: list[tuple[float, str, float, int]],
            topics: list[str]) -> list[str]:
    guest = guests[0] if guests else None
    options: list[str] = []
    names = [episode.speaker_name(s.id) for s in episode.speakers]

    def add(title: str) -> None:
        title = re.sub(r"\s+", " ", title).strip()
        if not title or len(title) > TITLE_MAX_CHARS:
            return
        if guest and guest.lower() not in title.lower():
            return  # the guest's name is in every title where there is a guest
        # Alike in what they say, not in the name they share.
        if any(titles_alike(title, o, names) for o in options):
            return
        options.append(title)

    lines = [c[1] for c in claims]
    for i, line in enumerate(lines[:12]):
        if len(options) >= 5:
            break
        if guest:
            add(f"{guest}: {line}" if i % 2 == 0 else f"“{line}” — {guest}")
        else:
            add(line)
    voices = [episode.speaker_name(s.id) for s in episode.speakers if s.role in ("host", "guest")]
    # Who a topic title is by: the guest, else the one voice of a solo show.
    who = guest or (voices[0] if len(voices) == 1 else None)
    for topic in topics:
        if len(options) >= 5:
            break
        add(f"{who} on {topic}" if who else topic)
    for a, b in zip(topics, topics[1:], strict=False):
        if len(options) >= 5:
            break
        add(f"{who} on {a} and {b}" if who else f"{a} and {b}")
    # Still short (a brief essay): the opening sentence of a post, when it is a claim that fits.
    for h in episode.highlights:
        if len(options) >= 5:
            break
        first = re.split(r"(?<=[.!?])\s+", h.text.strip(), maxsplit=1)[0].rstrip(".!")
        if first[:1].isupper() and _is_claim(first) and reference_problem(first) is None:
            add(f"{guest}: {first}" if guest else first)
    if len(options) < 5 and episode.title:
        add(episode.title if not guest or guest in episode.title else f"{guest}: {episode.title}")
    return options[:5]


def titles_alike(a: str, b: str, names: Sequence[str] = ()) -> bool:
    """Do two titles say the same, the speakers' ``names`` aside?

    The same words in any order, or half their content words shared ("You don't
    fine-tune your way to AGI", "You can't fine tune your way to success"). Not
    containment: "Anthropic" inside "Claude 4 and Anthropic's bet on code" is another title.
    """
    from rapidfuzz import fuzz

    a, b = _unnamed(a, names), _unnamed(b, names)
    ka, kb = set(_content(a)), set(_content(b))
    if ka and kb and len(ka & kb) >= 0.5 * len(ka | kb):
        return True
    return fuzz.token_sort_ratio(a.lower(), b.lower()) >= 75


def _unnamed(title: str, names: Sequence[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        if name:
            title = title.replace(name, "")
    return re.sub(r"^\W*(?:on\s+)?|\W+$", "", title.strip(" :—-“”")).strip()


def _content(text: str) -> list[str]:
    return [w.lower() for w in words(text.replace("-", " ")) if w.lower() not in STOPWORDS]


def _covers(guests: list[str], claims: list[tuple[float, str, float, int]], topics: list[str]) -> list[str]:
    out: list[str] = []
    for _s, line, _t, _turn in claims:
        if len(words(line)) <= COVER_MAX_WORDS and not near_duplicate(line, out):
            out.append(line)
        if len(out) >= 3:
            return out
    for topic in topics:
        if len(words(topic)) <= COVER_MAX_WORDS and not near_duplicate(topic, out):
            out.append(topic)
        if len(out) >= 3:
            return out
    if guests and len(words(guests[0])) <= COVER_MAX_WORDS and guests[0] not in out:
        out.append(guests[0])
    return out[:3]


def _is_claim(text: str) -> bool:
    feats = passage_features(text)
    return bool(feats.claims or feats.contrarian) and not feats.story


def _takeaways(episode: Episode, limit: int = 5) -> list[dict]:
    """3-5 takeaways, each a verbatim highlight (or clip quote) with its speaker, turn and time."""
    out: list[dict] = []
    # Claims before stories: a takeaway says what is so, not what happened.
    ranked = sorted(episode.highlights, key=lambda h: (not _is_claim(h.text), -h.score))
    for h in ranked:
        if len(out) >= limit:
            break
        out.append({"text": h.text, "speaker": episode.speaker_name(h.speaker), "start": h.start,
                    "time": format_timestamp(h.start), "turn": h.turn,
                    "char_start": h.char_start, "char_end": h.char_end})
    return out


# Capitalised words (and runs of up to three) after a lower-case word: names, not sentence starts.
_CAPITALISED_RUN = re.compile(
    r"(?<=[a-z,;] )((?:[A-Z][\w.+-]*[A-Za-z0-9+])(?: [A-Z][\w.+-]*[A-Za-z0-9+]){0,2})"
)


def _mentions(episode: Episode, glossary: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """People, companies, papers and products the talk names, spelled as the clean text spells them.

    Glossary terms the text holds, then capitalised words and runs of them that
    recur mid-sentence and are not everyday words ("Claude", "DeepSeek").
    """
    from wordfreq import zipf_frequency

    text = " ".join(t.text for t in episode.turns if not set(t.tags) & {"ad"})
    skip = {w.lower() for name in exclude for w in name.split()}

    def skipped(term: str) -> bool:  # a speaker's name, or the show's
        return all(w.lower() in skip for w in term.split())

    found: list[str] = []
    for term in glossary:
        if skipped(term) or term in found:
            continue
        if re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text) and len(term) > 2:
            found.append(term)
    runs: Counter[str] = Counter()
    for m in _CAPITALISED_RUN.finditer(text):
        run = m.group(1)
        first = run.split()[0]
        if first in {"I", "I'm", "I've", "I'd", "OK", "Okay"} or first.lower() in STOPWORDS:
            continue
        if len(run.split()) == 1 and zipf_frequency(run.lower(), "en") >= 4.2:
            continue  # "Now", "English": an everyday or capitalised common word
        runs[run] += 1
    for run, n in runs.most_common():
        if n < 2 or len(found) >= 12:
            break
        if skipped(run) or any(run.lower() in f.lower() or f.lower() in run.lower() for f in found):
            continue
        found.append(run)
    return found


def _sponsors(episode: Episode, sponsors: Sequence[str]) -> list[str]:
    """The show's sponsors (profile spelling) this episode reads, or any when it has a sponsor read."""
    read = any("ad" in t.tags for t in episode.turns)
    ad_text = " ".join(t.text for t in episode.turns if "ad" in t.tags).lower()
    named = [s for s in sponsors if s.lower() in ad_text]
    return named or (list(sponsors) if read else [])


def _description(episode: Episode, guests: list[str], guest_line: str | None, topics: list[str],
                 takeaways: list[dict], sponsors: list[str], mentions: list[str]) -> str:
    hosts = _host_names(episode)
    where = f" of {episode.show}" if episode.show else ""
    if guests:
        verb = "talks" if len(hosts) == 1 else "talk"
        who = (f"{_prose_list(hosts)} {verb} with {_prose_list(guests)}" if hosts
               else f"a conversation with {_prose_list(guests)}")
        opening = f"In this episode{where}, {who}."
        if guest_line:
            opening += f" {guest_line}."
    else:
        people = hosts or [episode.speaker_name(s.id) for s in episode.speakers[:3]]
        verb = "talks it through" if len(people) == 1 else "talk it through"
        opening = f"In this episode{where}, {_prose_list(people)} {verb}." if people else f"Episode{where}."
    paras = [opening]
    if topics:
        paras.append(f"They discuss {_prose_list([_prose_case(t) for t in topics[:6]])}.")
    if takeaways:
        paras.append("Takeaways:\n" + "\n".join(f"- “{post_quote(t['text'])}” — {t['speaker']} ({t['time']})"
                                             for t in takeaways))
    if episode.chapters:
        paras.append("Chapters:\n" + "\n".join(f"({format_timestamp(c.start)}) – {c.title}"
                                             for c in episode.chapters))
    if sponsors:
        paras.append(f"Sponsor: {_prose_list(sponsors)}.")
    if mentions:
        paras.append(f"Mentioned: {', '.join(mentions)}.")
    link = (episode.metadata or {}).get("url")
    if link:
        paras.append(f"Listen: {link}")
    return "\n\n".join(paras)


def make_episode_copy(
    episode: Episode, *, sponsors: Sequence[str] = (), glossary: Sequence[str] = ()
) -> dict:
    """The episode's copy: 5 title options, a description, 3 cover texts, and their sources.

    * ``titles``: up to 5 options of at most :data:`TITLE_MAX_CHARS` characters,
      each with the guest's name when there is one, built on a short claim the
      guest makes or a chapter's topic, no two alike;
    * ``description``: who the guest is as the episode introduces them, what is
      discussed (chapter and clip topics), 3-5 takeaways (verbatim highlights
      with their times), the chapter list, the sponsor as ``sponsors`` spells it,
      and the people, companies and products mentioned, 120-300 words where the
      episode holds enough (fewer takeaways or mentions when it runs long);
    * ``cover``: up to 3 texts of at most :data:`COVER_MAX_WORDS` words;
    * ``guest``, ``guest_line``, ``takeaways`` (with ``turn``, ``start`` and
      character offsets), ``topics``, ``sponsors``, ``mentions``: the parts.
    """
    guests = guest_names(episode)
    guest_line = _guest_line(episode, guests[0]) if guests else None
    claims = _claims(episode)
    topics = _topics(episode)
    takeaways = _takeaways(episode)
    names = [s.name for s in episode.speakers] + [episode.show or ""]
    mentions = _mentions(episode, glossary, names)
    sponsor_names = _sponsors(episode, sponsors)
    parts = dict(guests=guests, guest_line=guest_line, topics=topics, sponsors=sponsor_names)
    description = _description(episode, takeaways=takeaways, mentions=mentions, **parts)
    lo, hi = DESCRIPTION_WORDS
    # Too long: drop takeaways down to three, then mentions, then topics beyond four.
    while len(words(description)) > hi and (len(takeaways) > 3 or len(mentions) > 3):
        if len(takeaways) > 3:
            takeaways = takeaways[:-1]
        else:
            mentions = mentions[:-1]
        description = _description(episode, takeaways=takeaways, mentions=mentions, **parts)
    return {
        "titles": _titles(episode, guests, claims, topics),
        "description": description,
        "description_words": len(words(description)),
        "cover": _covers(guests, claims, topics),
        "guest": guests[0] if guests else None,
        "guest_line": guest_line,
        "topics": topics,
        "takeaways": takeaways,
        "sponsors": sponsor_names,
        "mentions": mentions,
        "link": (episode.metadata or {}).get("url"),
        "word_range": list(DESCRIPTION_WORDS) if len(words(description)) >= lo else None,
    }


def copy_problems(episode: Episode, copy: dict) -> list[str]:
    """What in ``copy`` breaks the rules a producer holds it to; empty when none does.

    Titles at most 70 characters, distinct, with the guest's name; a
    description of 120-300 words; takeaways verbatim at their offsets; covers
    at most 6 words; no quote opening on an unresolved reference.
    """
    problems: list[str] = []
    titles = copy.get("titles") or []
    guest = copy.get("guest")
    for i, t in enumerate(titles):
        if len(t) > TITLE_MAX_CHARS:
            problems.append(f"title {i + 1} is {len(t)} characters")
        if guest and guest not in t:
            problems.append(f"title {i + 1} lacks the guest's name")
        if any(titles_alike(t, other, [episode.speaker_name(s.id) for s in episode.speakers])
               for other in titles[:i]):
            problems.append(f"title {i + 1} repeats another")
    n = len(words(copy.get("description") or ""))
    lo, hi = DESCRIPTION_WORDS
    if not lo <= n <= hi:
        problems.append(f"description is {n} words, not {lo}-{hi}")
    for k, t in enumerate(copy.get("takeaways") or []):
        turn = episode.turns[t["turn"]] if 0 <= t["turn"] < len(episode.turns) else None
        if turn is None or turn.text[t["char_start"]:t["char_end"]] != t["text"]:
            problems.append(f"takeaway {k + 1} is not verbatim at its place")
        elif reference_problem(t["text"]):
            problems.append(f"takeaway {k + 1}: {reference_problem(t['text'])}")
    for k, c in enumerate(copy.get("cover") or []):
        if len(words(c)) > COVER_MAX_WORDS:
            problems.append(f"cover text {k + 1} is over {COVER_MAX_WORDS} words")
    return problems
