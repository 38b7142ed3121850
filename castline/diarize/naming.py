"""Put names and roles on diarized voices (``SPEAKER_00`` -> "Tim Scarfe", host).

Audio diarization finds *who is the same voice*, not who that voice is. Names
come from the ``--speakers`` hint or the show profile, else from the intro
("I've just had a conversation with X", "I'm X"); which voice gets which name
comes from how each voice talks: hosts ask the questions and introduce the show.
"""

from __future__ import annotations

from dataclasses import dataclass

from castline.model import Episode, Speaker
from castline.text import sentences

__all__ = ["VoiceStats", "name_diarized_speakers", "voice_stats"]


@dataclass
class VoiceStats:
    """How one diarized voice talks, for telling hosts from guests."""

    speaker: str
    words: int = 0
    sentences: int = 0
    questions: int = 0
    intros: int = 0
    first_turn: int = 0

    @property
    def host_score(self) -> float:
        """Higher for voices that ask and introduce: question share plus intro cues."""
        return self.questions / max(1, self.sentences) + 0.5 * self.intros


def voice_stats(episode: Episode) -> dict[str, VoiceStats]:
    """Per-speaker counts over the episode's turns (ads and cold open excluded)."""
    from castline.segment.structure import is_host_intro

    stats: dict[str, VoiceStats] = {}
    for index, turn in enumerate(episode.turns):
        if turn.speaker is None:
            continue
        entry = stats.setdefault(turn.speaker, VoiceStats(turn.speaker, first_turn=index))
        if {"ad", "cold_open"} & set(turn.tags):
            continue
        for sentence in sentences(turn.verbatim):
            entry.sentences += 1
            entry.words += len(sentence.text.split())
            entry.questions += sentence.text.rstrip().endswith("?")
            entry.intros += bool(is_host_intro(sentence.text))
    return stats


def name_diarized_speakers(
    episode: Episode, hint: list[Speaker] | None = None, *, fixed: set[str] | frozenset[str] = frozenset()
) -> Episode:
    """Rename diarized voices with real names and roles; return the same episode.

    With a hint, host names go to the voices with the highest host score (in
    order), guest names to the remaining voices by how much they speak. Without
    one, names announced in the intro are used, then "Host" / "Guest N". Voices
    beyond the names known are "Speaker N" (role ``other``). Speakers whose ids
    are in ``fixed`` (recognised from the voice library) keep their names, and
    those names are not given to anyone else.
    """
    from castline.diarize.names import discover_names

    stats = voice_stats(episode)
    voices = [s for s in episode.speakers if s.id in stats and s.id not in fixed]
    if not voices:
        return episode
    taken = {s.name.lower() for s in episode.speakers if s.id in fixed}
    hint = [h for h in hint or [] if h.name.lower() not in taken]
    if not hint:
        all_sentences = [s.text for t in episode.turns for s in sentences(t.verbatim)]
        host, guests = discover_names(all_sentences)
        hint = [Speaker("", host or "Host", "host")]
        hint += [Speaker("", g, "guest") for g in guests] or [Speaker("", "Guest", "guest")]
        if len(voices) > 2 and not guests:
            hint += [Speaker("", f"Guest {n}", "guest") for n in range(2, len(voices))]
    hosts = [h for h in hint if h.role == "host"]
    others = [h for h in hint if h.role != "host"]
    by_host_score = sorted(voices, key=lambda v: (-stats[v.id].host_score, stats[v.id].first_turn))
    chosen_hosts = by_host_score[: len(hosts)] if len(voices) > 1 else []
    rest = sorted((v for v in voices if v not in chosen_hosts), key=lambda v: -stats[v.id].words)
    for voice, name in zip(sorted(chosen_hosts, key=lambda v: stats[v.id].first_turn), hosts, strict=False):
        voice.name, voice.role = name.name, "host"
    extra = 0
    for index, voice in enumerate(rest):
        if index < len(others):
            voice.name, voice.role = others[index].name, others[index].role
        else:
            extra += 1
            voice.name, voice.role = f"Speaker {len(others) + len(hosts) + extra}", "other"
    episode.metadata["speaker_naming"] = {
        v.id: {"name": v.name, "host_score": round(stats[v.id].host_score, 3), "words": stats[v.id].words}
        for v in voices
    }
    return episode
