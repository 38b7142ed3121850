"""The ``castline`` command line (typer). Progress goes to stderr via rich."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="castline: podcast post-production — speakers, readable transcript, chapters, clips, posts.",
)
err = Console(stderr=True)


def _quiet_prefect(verbose: bool) -> None:
    # Prefect logs every task state to the console; the CLI shows its own progress.
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "CRITICAL")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # No phoning home: these machines have no network beyond package mirrors.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The first ephemeral start migrates a fresh database; on a busy two-core machine
    # that can take longer than Prefect's default 20 s wait.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def process(
    input_path: Path = typer.Argument(..., help="Transcript, subtitles, whisper JSON or audio."),
    out: Path = typer.Option(Path("data/output"), "--out", "-o", help="Output folder."),
    speakers: str = typer.Option("", help='Known speakers: "Tim Scarfe:host,Eiso Kant:guest".'),
    glossary: Path | None = typer.Option(None, help="File of names and terms, one per line."),
    title: str | None = typer.Option(None, help="Episode title."),
    show: str | None = typer.Option(None, help="Show profile in shows/ or show name."),
    num_speakers: int | None = typer.Option(None, help="Audio: exact number of voices."),
    min_speakers: int | None = typer.Option(None, help="Audio: at least this many voices."),
    max_speakers: int | None = typer.Option(None, help="Audio: at most this many voices."),
    clean_cut: bool = typer.Option(False, help="Audio: cut removed fillers and long pauses out of clips."),
    clip_format: str = typer.Option("mp3", help="Audio: clip files as mp3, wav, flac, ogg or m4a."),
    audio: Path | None = typer.Option(None, help="The episode's recording, for a transcript INPUT: real "
                                      "times from it, speakers from its voices when INPUT has no labels."),
    no_video: bool = typer.Option(False, "--no-video", help="Audio: no captioned clip videos."),
    url: str | None = typer.Option(None, help="The episode's page, linked from every post ({slug} is "
                                   "filled in); default: the show profile's url."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's own logs."),
) -> None:
    """Process INPUT end to end through the process-episode flow (no server needed)."""
    if not input_path.exists():
        _fail(f"{input_path}: no such file")
    if input_path.is_dir():
        _fail(f"{input_path}: is a folder, not a file")
    if audio is not None:
        from castline.ingest import is_audio_path

        if not audio.is_file():
            _fail(f"--audio {audio}: no such file")
        if not is_audio_path(audio):
            _fail(f"--audio {audio}: not an audio or video file (mp3, wav, m4a, flac, ogg, mp4, ...)")
        if is_audio_path(input_path):
            _fail(f"{input_path} is audio already; --audio goes with a transcript")
    if clip_format not in ("mp3", "wav", "flac", "ogg", "m4a"):
        _fail(f"--clip-format must be mp3, wav, flac, ogg or m4a, not {clip_format!r}")
    if glossary is not None and not glossary.is_file():
        _fail(f"{glossary}: glossary file not found")
    if speakers:
        from castline.diarize import parse_speakers

        try:
            parse_speakers(speakers)
        except ValueError as exc:
            _fail(f"--speakers: {exc}")

    _precheck(input_path)
    _quiet_prefect(verbose)
    started = time.perf_counter()
    with err.status("starting Prefect (ephemeral)...") as status:
        from flows.episode import process_episode, progress_hooks

        progress_hooks.append(lambda stage, slug: status.update(f"{stage}: {slug}"))
        try:
            folders = process_episode(
                str(input_path),
                out_dir=str(out),
                speakers=speakers,
                glossary=str(glossary) if glossary else None,
                title=title,
                show=show,
                num_speakers=num_speakers,
                min_speakers=min_speakers,
                max_speakers=max_speakers,
                clean_cut=clean_cut,
                clip_format=clip_format,
                audio=str(audio) if audio else None,
                url=url,
                video=False if no_video else None,
            )
        except Exception as exc:  # noqa: BLE001 - every failure becomes one clear line
            _fail(_reason(exc, input_path))
        finally:
            progress_hooks.clear()
    elapsed = time.perf_counter() - started
    for folder in folders:
        err.print(f"[green]✓[/] {folder}", highlight=False, soft_wrap=True)
        print(folder)
    err.print(f"done in {elapsed:.1f}s", highlight=False, soft_wrap=True)


@app.command()
def batch(
    manifest: Path = typer.Argument(..., help="YAML list of {input, speakers, glossary, title, show, url, "
                                    "audio}."),
    out: Path = typer.Option(Path("data/output"), "--out", "-o", help="Output folder."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's own logs."),
) -> None:
    """Process every input listed in MANIFEST in one process; a failure skips only that input."""
    import yaml

    entries = yaml.safe_load(manifest.read_text(encoding="utf-8")) or []
    _quiet_prefect(verbose)
    from flows.episode import process_episode, progress_hooks

    failures = 0
    started = time.perf_counter()
    with err.status("starting Prefect (ephemeral)...") as status:
        progress_hooks.append(lambda stage, slug: status.update(f"{stage}: {slug}"))
        for entry in entries:
            source = manifest.parent / entry["input"]
            glossary = entry.get("glossary")
            t0 = time.perf_counter()
            try:
                folders = process_episode(
                    str(source),
                    out_dir=str(out),
                    speakers=entry.get("speakers", ""),
                    glossary=str(manifest.parent / glossary) if glossary else None,
                    title=entry.get("title"),
                    show=entry.get("show"),
                    url=entry.get("url"),
                    audio=str(manifest.parent / entry["audio"]) if entry.get("audio") else None,
                )
            except Exception as exc:  # noqa: BLE001 - report and go on with the rest
                failures += 1
                err.print(f"[bold red]✗[/] {_reason(exc, source)}", highlight=False, soft_wrap=True)
                continue
            took = time.perf_counter() - t0
            for folder in folders:
                err.print(f"[green]✓[/] {source.name} -> {folder} ({took:.1f}s)",
                          highlight=False, soft_wrap=True)
    err.print(f"{len(entries) - failures}/{len(entries)} inputs processed in "
              f"{time.perf_counter() - started:.1f}s; outputs in {out}/", highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


@app.command()
def fix(
    outdir: Path = typer.Argument(..., help="An episode's output folder (holding episode.json)."),
    turn: list[str] = typer.Option([], "--turn", help="N=NAME: give turn N (of episode.json) to NAME."),
    speaker: list[str] = typer.Option([], "--speaker", help="ID=NAME[:role]: rename speaker ID."),
    split: list[str] = typer.Option([], "--split", help="N:PHRASE[=NAME]: split turn N after PHRASE."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's own logs."),
) -> None:
    """Correct speakers: append to OUTDIR/corrections.yaml and re-render every output."""
    import yaml

    from castline.diarize.corrections import CorrectionError, corrections_to_dict, load_corrections
    from castline.model import Episode

    if not (outdir / "episode.json").is_file():
        _fail(f"{outdir}: no episode.json here")
    if not (turn or speaker or split):
        _fail("nothing to fix: give --turn, --speaker or --split")
    try:
        episode = Episode.from_json(outdir / "episode.json")
    except (OSError, ValueError, TypeError) as exc:
        _fail(f"{outdir}/episode.json: unreadable: {exc}")
    try:
        fixes = _fixes_from_options(episode, turn, speaker, split)
    except ValueError as exc:
        _fail(str(exc))
    path = outdir / "corrections.yaml"
    before = path.read_text(encoding="utf-8") if path.is_file() else None
    try:
        existing = load_corrections(path) if before is not None else None
    except CorrectionError as exc:
        _fail(str(exc))
    data = corrections_to_dict(existing) if existing else {}
    for section, entries in corrections_to_dict(fixes).items():
        data.setdefault(section, []).extend(entries)
    run = dict(episode.metadata.get("process") or {})
    source = run.pop("input", None) or episode.source
    if not source or not Path(source).is_file():
        _fail(f"{outdir}: the episode's input {source!r} is not found; cannot re-run it")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    _quiet_prefect(verbose)
    try:
        with err.status("re-running with corrections..."):
            from flows.episode import process_episode

            folders = process_episode(source, out_dir=str(outdir.parent), **run)
    except Exception as exc:  # noqa: BLE001 - restore the corrections, report one line
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(before, encoding="utf-8")
        _fail(_reason(exc, Path(source)))
    for folder in folders:
        err.print(f"[green]✓[/] {folder}", highlight=False, soft_wrap=True)
        print(folder)


def _fixes_from_options(episode, turns: list[str], speakers: list[str], splits: list[str]):
    """``castline fix`` options as Corrections, checked against ``episode`` (ValueError, one line)."""
    from castline.diarize.corrections import ROLES, Corrections, SpeakerFix, SplitFix, TurnFix

    def turn_at(number: str, option: str):
        try:
            index = int(number)
        except ValueError:
            raise ValueError(f"{option}: turn number {number!r} is not a number") from None
        if not 0 <= index < len(episode.turns):
            raise ValueError(f"{option}: no turn {index} (the episode has {len(episode.turns)})")
        return index, episode.turns[index]

    def known(ref: str, option: str) -> str:
        ref = ref.strip()
        if not ref:
            raise ValueError(f"{option}: missing speaker name")
        if re.fullmatch(r"S\d+", ref) and episode.speaker(ref) is None:
            raise ValueError(f"{option}: unknown speaker id {ref!r}")
        return ref

    fixes = Corrections()
    for option in speakers:
        ref, _, rest = option.partition("=")
        name, _, role = rest.rpartition(":") if ":" in rest else (rest, "", "")
        if not ref.strip() or not (name.strip() or role):
            raise ValueError(f"--speaker {option!r}: expected ID=NAME[:role]")
        if role and role not in ROLES:
            raise ValueError(f"--speaker {option!r}: role must be host, guest or other")
        ref = ref.strip()
        if episode.speaker(ref) is None and not any(s.name.lower() == ref.lower() for s in episode.speakers):
            raise ValueError(f"--speaker {option!r}: unknown speaker {ref!r}")
        fixes.speakers.append(SpeakerFix(speaker=ref, name=name.strip() or None, role=role or None))
    for option in turns:
        number, _, name = option.partition("=")
        _, turn = turn_at(number.strip(), f"--turn {option!r}")
        fixes.turns.append(TurnFix(at=" ".join(turn.verbatim.split()[:8]),
                                   speaker=known(name, f"--turn {option!r}")))
    for option in splits:
        number, _, rest = option.partition(":")
        index, turn = turn_at(number.strip(), f"--split {option!r}")
        phrase, _, name = rest.rpartition("=") if "=" in rest else (rest, "", "")
        if not phrase.strip():
            raise ValueError(f"--split {option!r}: expected N:PHRASE[=NAME]")
        if " ".join(phrase.split()).lower() not in " ".join(turn.verbatim.split()).lower():
            raise ValueError(f"--split {option!r}: {phrase.strip()!r} is not in turn {index}")
        if not name.strip():
            # The other side of the conversation: the nearest turn by someone else.
            near = [t.speaker for t in (*episode.turns[index + 1:], *reversed(episode.turns[:index]))
                    if t.speaker and t.speaker != turn.speaker]
            if not near:
                raise ValueError(f"--split {option!r}: say who speaks after {phrase.strip()!r} (=NAME)")
            name = episode.speaker_name(near[0])
        fixes.splits.append(SplitFix(at=" ".join(turn.verbatim.split()[:8]), after=phrase.strip(),
                                     speaker=known(name, f"--split {option!r}")))
    return fixes


voices_app = typer.Typer(help="Recurring voices: enroll a voice once, recognise it in later episodes.")
app.add_typer(voices_app, name="voices")


@voices_app.command("enroll")
def voices_enroll(
    name: str = typer.Argument(..., help="The person's name as it should appear in transcripts."),
    audio: Path = typer.Argument(..., help="A recording of this person alone (any format ffmpeg reads)."),
    role: str = typer.Option("host", help="host, guest or other."),
    library: Path | None = typer.Option(None, help="Voice library (default data/voices/voices.json)."),
) -> None:
    """Store NAME's voice print so later episodes label that voice by name."""
    from castline.diarize.voices import enroll_voice
    from castline.speech.audio import AudioError

    if role not in ("host", "guest", "other"):
        _fail(f"--role must be host, guest or other, not {role!r}")
    if not audio.is_file():
        _fail(f"{audio}: no such file")
    try:
        path = enroll_voice(name, audio, role=role, library=library)
    except (AudioError, ValueError) as exc:
        _fail(str(exc))
    err.print(f"[green]✓[/] enrolled {name} ({role}) in {path}", highlight=False, soft_wrap=True)


@voices_app.command("list")
def voices_list(library: Path | None = typer.Option(None, help="Voice library.")) -> None:
    """List enrolled voices."""
    from castline.diarize.voices import VoiceLibrary, library_path

    for voice in VoiceLibrary.load(library or library_path()).voices:
        print(f"{voice.name}\t{voice.role}")


@app.command()
def inbox(
    once: bool = typer.Option(False, "--once", help="Do one pass and exit (for cron and tests)."),
    data: Path = typer.Option(Path("data"), help="Folder holding inbox/ work/ output/ archive/ failed/."),
    settle: float = typer.Option(3.0, help="Seconds a file's size must stay unchanged before it is claimed."),
    interval: float = typer.Option(30.0, help="Seconds between passes when not --once."),
    workers: int = typer.Option(2, min=1, help="Files one pass processes at the same time."),
    passes: int = typer.Option(2, min=1, help="Inbox runs that may share DATA at once; one more says busy."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's own logs."),
) -> None:
    """Process files dropped into DATA/inbox/: archive on success, quarantine with a report on failure."""
    _quiet_prefect(verbose)
    from castline.service.inbox import cli_summary
    from flows.inbox import inbox_once

    # Quarantined files are outcomes, not errors of the pass: exit 0 and report them.
    while True:
        report = inbox_once(data, settle_seconds=settle, max_concurrent=workers, max_passes=passes)
        summary = cli_summary(report)
        if summary.strip():
            print(summary, flush=True)
        if once:
            break
        time.sleep(interval)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address the Prefect server and UI listen on."),
    port: int = typer.Option(4200, help="Port of the Prefect server and UI."),
    data: Path = typer.Option(Path("data"), help="Data folder (inbox/ work/ output/ archive/ failed/)."),
    feeds: Path = typer.Option(Path("feeds.yaml"), help="Feeds config for the poll-feeds deployment."),
) -> None:
    """Start a Prefect server with its UI and serve castline's scheduled deployments."""
    from castline.service.server import run_service

    raise typer.Exit(run_service(host=host, port=port, data_dir=data, feeds_config=feeds, console=err))


@app.command()
def deploy(
    pool: str = typer.Option("castline", help="Work pool (created as type 'process' when missing)."),
    queue: str | None = typer.Option(None, help="Work queue, e.g. 'audio' for a GPU worker."),
    data: Path = typer.Option(Path("data"), help="Data folder the workers share."),
) -> None:
    """Register the deployments on a work pool; start workers with `prefect worker start --pool POOL`."""
    from flows.serve import deploy_to_pool

    ids = deploy_to_pool(pool, queue=queue, data_dir=str(data))
    err.print(f"[green]✓[/] {len(ids)} deployments on pool {pool!r}; "
              f"start workers with: prefect worker start --pool {pool}", highlight=False, soft_wrap=True)


def _precheck(input_path: Path) -> None:
    """Refuse unreadable text input at once, before Prefect starts (audio is checked by its stage)."""
    from castline.ingest import IngestError, is_audio_path, read_episodes

    if is_audio_path(input_path):
        return
    try:
        read_episodes(input_path)
    except IngestError as exc:
        _fail(str(exc))


def _reason(exc: BaseException, input_path: Path) -> str:
    """One line for a failure: typed errors already name the input (and the stage), so as they are."""
    from castline.ingest import IngestError
    from castline.pipeline import StageError

    if isinstance(exc, (IngestError, StageError)):
        return str(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{input_path.name}: {type(exc).__name__}: {text}"


def main() -> None:
    """Entry point for ``python -m castline.cli``."""
    app()


if __name__ == "__main__":
    sys.exit(main())
