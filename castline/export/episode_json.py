"""``episode.json``: the machine-readable whole, validated against its schema."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from castline.model import Episode

__all__ = ["load_schema", "validate_episode", "write_episode_json"]


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The committed JSON Schema of ``episode.json``."""
    text = resources.files("castline").joinpath("schema/episode.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    # jsonschema.validate checks the schema and builds a validator on every call. The
    # schema is committed and checked by the tests (tests/test_export.py), so a run
    # only builds the validator, once per process.
    from jsonschema.validators import validator_for

    schema = load_schema()
    return validator_for(schema)(schema)


def validate_episode(data: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``data`` breaks the schema."""
    from jsonschema.exceptions import best_match

    # The same error jsonschema.validate would raise: the best match of all of them.
    error = best_match(_validator().iter_errors(data))
    if error is not None:
        raise error


def write_episode_json(episode: Episode, path: Path) -> Path:
    """Validate and write ``episode.json`` atomically; return its path."""
    data = episode.to_dict()
    validate_episode(data)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
