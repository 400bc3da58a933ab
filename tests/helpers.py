"""Helpers shared by several test modules: the repository's documents and a real browser."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium); "
                             ".ci/run installs it")


def doc_block(page, marker):
    """The Python block after ``<!-- marker ... -->`` in ``page`` (a path from the root)."""
    text = (ROOT / page).read_text()
    return re.search(rf"<!-- {marker}[^>]*-->\s*```python\n(.*?)```", text, re.DOTALL).group(1)


def browse(page_path, screenshot):
    """Render ``page_path`` headless; return the console messages Chromium logged."""
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run", "--enable-logging=stderr",
         "--v=0", "--window-size=1280,2000", f"--screenshot={screenshot}",
         Path(page_path).resolve().as_uri()],
        capture_output=True, text=True, timeout=120)
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def not_blank(png):
    """Whether a screenshot shows a page (varied pixels, many colours), not an empty one."""
    from matplotlib.image import imread

    pixels = imread(png)[..., :3]
    return pixels.std() > 0.05 and len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
