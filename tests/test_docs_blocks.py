"""Every Python block of the README and the documentation runs as written, each on its
own in a fresh namespace (a block defines what it needs), in a folder of its own."""

import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted((ROOT / "docs" / "user-guide").glob("*.md"))]
BLOCKS = [(page, n, code) for page in PAGES
          for n, code in enumerate(re.findall(r"^```python\n(.*?)^```", page.read_text(),
                                              re.S | re.M))]

pytestmark = pytest.mark.slow


def test_the_pages_have_blocks_to_run():
    assert len(BLOCKS) >= 8


@pytest.mark.parametrize("page, n, code", BLOCKS,
                         ids=[f"{p.relative_to(ROOT)}#{n}" for p, n, _ in BLOCKS])
def test_a_python_block_runs_as_written(page, n, code, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what a block warns is the page's business
        exec(compile(code, f"{page.name} block {n}", "exec"), {"__name__": "__block__"})


def test_every_relative_link_of_the_pages_works_on_github():
    """A link to a file of the repository names one that is there (GitHub shows the
    pages as they are; the site rewrites the links to the results, see docs/conf.py)."""
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            path = target.split("#")[0]
            if not path or "://" in path or path.startswith("mailto:"):
                continue
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, broken
