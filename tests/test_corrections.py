"""Producer speaker corrections: corrections.yaml applied after speaker attribution, and `castline fix`."""

from __future__ import annotations

import copy
import json

import pytest

from castline.diarize.corrections import (
    CorrectionError,
    apply_corrections,
    load_corrections,
    parse_corrections,
)
from castline.model import Episode, Speaker, Turn


def _episode() -> Episode:
    texts = [("S1", "Welcome to the show. Today we talk about bees, right? Yes we do."),
             ("S2", "Thanks for having me here today."),
             ("S1", "So tell us a little bit more about your roofs."),
             ("S2", "I keep bees on eleven roofs.")]
    turns = [Turn(speaker=s, start=i * 5.0, end=i * 5.0 + 5, text=t, verbatim=t, confidence=0.6)
             for i, (s, t) in enumerate(texts)]
    return Episode(title="Bees", slug="bees", speakers=[Speaker("S1", "Host", "host"),
                                                        Speaker("S2", "Guest", "guest")], turns=turns)


def test_rename_and_role():
    ep = _episode()
    out = apply_corrections(ep, parse_corrections({"speakers": [{"speaker": "Guest", "name": "Keith Duggar"},
                                                               {"speaker": "S1", "role": "guest"}]}))
    assert [(s.id, s.name, s.role) for s in out.speakers] == [("S1", "Host", "guest"), ("S2", "Keith Duggar", "guest")]
    assert ep.speakers[1].name == "Guest"  # the input is never changed


def test_reassign_by_anchor_makes_a_new_speaker_and_merges():
    out = apply_corrections(_episode(), parse_corrections(
        {"turns": [{"at": "so  TELL us a little bit more about", "speaker": "Eiso Kant"}]}))
    assert out.speakers[-1] == Speaker("S3", "Eiso Kant", "guest")
    assert [t.speaker for t in out.turns] == ["S1", "S2", "S3", "S2"]
    merged = apply_corrections(_episode(), parse_corrections({"turns": [{"at": "Thanks for having", "speaker": "S1"}]}))
    assert [t.speaker for t in merged.turns] == ["S1", "S2"]
    assert merged.turns[0].verbatim.startswith("Welcome") and "So tell us" in merged.turns[0].verbatim
    assert merged.turns[0].end == 15.0


def test_split_after_phrase():
    out = apply_corrections(_episode(), parse_corrections(
        {"splits": [{"at": "Welcome to the show.", "after": "bees, right?", "speaker": "Guest"}]}))
    assert [t.speaker for t in out.turns] == ["S1", "S2", "S1", "S2"]
    assert out.turns[0].verbatim == "Welcome to the show. Today we talk about bees, right?"
    assert out.turns[1].verbatim == "Yes we do. Thanks for having me here today."
    assert " ".join(t.verbatim for t in out.turns) == " ".join(t.verbatim for t in _episode().turns)


def test_anchor_inside_a_turn_splits_it():
    out = apply_corrections(_episode(), parse_corrections({"turns": [{"at": "Yes we do.", "speaker": "S2"}]}))
    assert out.turns[0].verbatim.endswith("right?") and out.turns[1].verbatim.startswith("Yes we do. Thanks")


@pytest.mark.parametrize("data, message", [
    ({"turns": [{"at": "Nobody said this", "speaker": "S2"}]}, "no turn opens"),
    ({"turns": [{"at": "Thanks for having", "speaker": "S9"}]}, "unknown speaker id"),
    ({"speakers": [{"speaker": "S7", "name": "X"}]}, "unknown speaker"),
    ({"splits": [{"at": "Welcome", "after": "not here", "speaker": "S2"}]}, "not in that turn"),
])
def test_errors_change_nothing(data, message):
    ep = _episode()
    before = copy.deepcopy(ep)
    with pytest.raises(CorrectionError, match=message):
        apply_corrections(ep, parse_corrections({"speakers": [{"speaker": "S2", "name": "Keith"}], **data}))
    assert ep == before


@pytest.mark.parametrize("text", ["speakers: [1, 2", "- just a list", "turns: [{at: x}]", "votes: []",
                                  "speakers: [{speaker: S1, role: boss}]"])
def test_malformed_files_are_refused(tmp_path, text):
    path = tmp_path / "corrections.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorrectionError):
        load_corrections(path)


RAW = (
    "Welcome to Field Notes. I'm Dana Whitfield. My guest today keeps bees on eleven roofs.\n"
    "Marcus Oyelaran, welcome to the show.\nThanks, Dana. It's great to be here.\n"
    "So how did a structural engineer end up with forty colonies of bees?\n"
    "It started with a wall full of them, in a building I was inspecting.\n"
)


def test_fix_cli_reassigns_a_turn_and_a_rerun_keeps_it(tmp_path):
    from typer.testing import CliRunner

    from castline.cli import app

    source = tmp_path / "field-notes.txt"
    source.write_text(RAW, encoding="utf-8")
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["process", str(source), "--out", str(out)])
    assert first.exit_code == 0, first.output
    folder = out / "field-notes"
    data = json.loads((folder / "episode.json").read_text(encoding="utf-8"))
    index = next(i for i, t in enumerate(data["turns"]) if t["verbatim"].startswith("So how did"))

    bad = runner.invoke(app, ["fix", str(folder), "--turn", "99=Ann"])
    assert bad.exit_code == 2 and not (folder / "corrections.yaml").exists()
    bad = runner.invoke(app, ["fix", str(folder), "--turn", f"{index}=S9"])
    assert bad.exit_code == 2 and not (folder / "corrections.yaml").exists()

    fixed = runner.invoke(app, ["fix", str(folder), "--turn", f"{index}=Riya Patel"])
    assert fixed.exit_code == 0, fixed.output
    assert "So how did a structural engineer end up" in (folder / "corrections.yaml").read_text()
    assert "Riya Patel" in (folder / "transcript.md").read_text(encoding="utf-8")

    again = runner.invoke(app, ["process", str(source), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "Riya Patel" in (folder / "transcript.md").read_text(encoding="utf-8")
