"""The documentation site: it builds with warnings as errors, its gallery runs, and its
pages render in a real browser."""

import re
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, browse, needs_chromium, not_blank

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built from a copy of docs/ and the measured files (what conf.py reads), so
    that the build writes nothing into the checkout and two test workers building at
    once do not write over each other's generated pages."""
    out = tmp_path_factory.mktemp("site")
    generated = shutil.ignore_patterns("_build", "_extra", "generated", "auto_examples",
                                       "measured", "sg_execution_times.rst")
    shutil.copytree(ROOT / "docs", out / "docs", ignore=generated)
    shutil.copytree(ROOT / "benchmarks" / "measured", out / "benchmarks" / "measured",
                    ignore=shutil.ignore_patterns("real_data", "*.tmp"))
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q",
         "-d", str(out / "doctrees"), str(out / "docs"), str(out / "html")],
        capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return out / "html"


def test_the_site_builds_without_warnings_and_runs_its_gallery(site):
    examples = sorted((ROOT / "docs" / "examples").glob("plot_*.py"))
    assert len(examples) >= 3
    for example in examples:
        page = (site / "auto_examples" / f"{example.stem}.html").read_text()
        assert "sphx-glr-single-img" in page or "sphx-glr-multi-img" in page, example.stem
    assert (site / "demo-report.html").stat().st_size > 10_000  # the report example's page
    api = (site / "api.html").read_text()
    for name in ("gmmmi.estimate_mi", "gmmmi.GMMMI", "gmmmi.mi_matrix",
                 "gmmmi.disentanglement.gmm_mig", "gmmmi.analysis.flow.direct_attribution"):
        assert (site / "generated" / f"{name}.html").exists(), name
        assert f"generated/{name}.html" in api, name
    # every measured file of the benchmarks is a page of the site, past comparisons too
    measured = ROOT / "benchmarks" / "measured"
    assert list(measured.glob("history/*.md"))
    for path in measured.rglob("*.md"):
        page = site / "measured" / path.relative_to(measured).with_suffix(".html")
        assert page.exists(), path.name


@needs_chromium
def test_pages_render_in_the_browser_without_console_errors(site, tmp_path):
    for page in ("index.html", "api.html", "generated/gmmmi.GMMMI.html",
                 "auto_examples/plot_pair_interval.html"):
        shot = tmp_path / f"{page.replace('/', '_')}.png"
        console = browse(site / page, shot)
        # the theme logs the light/dark mode it picks on a first visit (nothing stored yet)
        assert [line for line in console if "theme mode" not in line
                and "Changed to auto mode" not in line] == [], page
        assert not_blank(shot), page


def test_pages_quote_what_the_gallery_prints(site):
    """The user guide's numbers from a gallery example are what the example printed in
    this build."""
    printed = {name: (site.parent / "docs" / "auto_examples" / f"{name}.rst").read_text()
               for name in ("plot_nif", "plot_latent_factor_matrix")}
    shares = {name: (share, low, high) for name, share, low, high in re.findall(
        r"(x\d): ([\d.]+)% \(95% ([\d.]+)% to ([\d.]+)%\)", printed["plot_nif"])}
    assert len(shares) == 7
    r2 = re.search(r"held-out R² = ([\d.]+)", printed["plot_nif"])[1]
    guide = " ".join((ROOT / "docs" / "user-guide" / "nif.md").read_text().split())
    first = max(shares, key=lambda name: float(shares[name][0]))
    share, low, high = shares[first]
    assert f"R² {r2}): {first} {share}% (95% {low}% to {high}%)" in guide
    for name, (share, _, _) in shares.items():
        assert f"{name} {share}%" in guide, name

    scores = re.findall(r"(MIG|modularity) ([\d.]+) \(95% ([\d.]+) to ([\d.]+)\); of the true "
                        r"matrix ([\d.]+)", printed["plot_latent_factor_matrix"])
    assert len(scores) == 2
    reports = " ".join((ROOT / "docs" / "user-guide" / "reports.md").read_text().split())
    (mig, mig_low, mig_high, mig_true), (mod, mod_low, mod_high, mod_true) = \
        [score[1:] for score in scores]
    assert (f"MIG {mig} (95% {mig_low} to {mig_high}; {mig_true} for the true matrix) and "
            f"modularity {mod} (95% {mod_low} to {mod_high}; {mod_true})") in reports
