"""Files written whole or not at all: an interrupt never leaves half a result behind."""

import contextlib
import json
import os
from pathlib import Path

import numpy as np


@contextlib.contextmanager
def replacing(path):
    """A staging path beside ``path`` that replaces it when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield staging
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def write_json(path, obj):
    """``obj`` as JSON at ``path``, atomically (numpy scalars as numbers)."""
    with replacing(path) as staging:
        staging.write_text(json.dumps(obj, default=json_default))


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")
