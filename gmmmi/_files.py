"""Files written whole or not at all: an interrupt never leaves half a result behind."""

import contextlib
import os
from pathlib import Path


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
