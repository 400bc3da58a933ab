"""Sphinx configuration of gmmmi's documentation site (``make docs``)."""

import os
import re
import shutil
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import gmmmi

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
MEASURED = ROOT / "benchmarks" / "measured"

project = "gmmmi"
author = "the gmmmi developers"
copyright = "2026, the gmmmi developers"
release = version = gmmmi.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_extra", "examples", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]

myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
# The measured files are written by the benchmarks for GitHub, whose tables and headings
# are freer than Sphinx's: a heading level skipped there is not a fault of the site.
suppress_warnings = ["myst.header"]

autosummary_generate = True
# scikit-learn's metadata-routing setters are generated per estimator; their docstrings
# point into scikit-learn's own glossary.
autodoc_default_options = {"members": True, "inherited-members": False,
                           "exclude-members": "set_fit_request,set_score_request"}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}  # no network at build time: links to other projects stay plain

html_theme = "pydata_sphinx_theme"
html_title = "gmmmi"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# The gallery's report example writes its page here; the site publishes it at its root.
(DOCS / "_extra").mkdir(exist_ok=True)
html_extra_path = ["_extra"]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_memory": False,
    "plot_gallery": "True",
}


def _measured_pages():
    """One page per file of benchmarks/measured/ (included, so the site always shows the
    committed numbers), and an index of them; the side-by-side comparisons of past
    commits (measured/history/) under an index of their own. Written only when they
    change, so that an unchanged page is not rebuilt."""
    out = DOCS / "measured"
    names = sorted(str(p.relative_to(MEASURED).with_suffix("")) for p in MEASURED.rglob("*.md"))
    indexes = {"index", "history/index"}
    for stale in out.rglob("*.md"):
        if str(stale.relative_to(out).with_suffix("")) not in set(names) | indexes:
            stale.unlink()

    def listing(folder):
        return "".join(f"{name.removeprefix(folder)}\n" for name in names
                       if name.startswith(folder) and "/" not in name.removeprefix(folder))

    pages = {name: "```{include} " + "../" * (name.count("/") + 2)
             + f"benchmarks/measured/{name}.md\n```\n" for name in names}
    pages["index"] = ("# Measured results\n\nEvery benchmark in `benchmarks/` writes what it "
                      "measured here, with the exact command at the top of each page. The "
                      "user guide quotes them; these are the full tables.\n\n"
                      f"```{{toctree}}\n:maxdepth: 1\n\n{listing('')}history/index\n```\n")
    pages["history/index"] = ("# Past comparisons\n\nSide-by-side runs of a change against "
                              "the commit before it, as each was measured then.\n\n"
                              f"```{{toctree}}\n:maxdepth: 1\n\n{listing('history/')}```\n")
    for name, text in pages.items():
        page = out / f"{name}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)


_measured_pages()
# autosummary writes a page per documented name and never removes one: a name renamed or
# moved since the last build would stay, and fail to import
shutil.rmtree(DOCS / "generated", ignore_errors=True)


def _repository_links(app, docname, source):
    """Pages link what they cite as it is in the repository, so that the links work on
    GitHub: the measured results (benchmarks/measured/) and the gallery's sources
    (docs/examples/plot_*.py). On the site they are the pages _measured_pages and
    sphinx-gallery wrote."""
    depth = docname.count("/")
    up = "../" * depth
    text = source[0].replace("](" + up + "../benchmarks/measured/", "](" + up + "measured/")
    source[0] = re.sub(r"\]\(((?:\.\./)*)examples/(plot_\w+)\.py\)",
                       r"](\1auto_examples/\2.rst)", text)


def setup(app):
    app.connect("source-read", _repository_links)
