"""The HTML report: contents, escaping, units, size at 1000+ pairs, and a real browser."""

import html
import json
import math
import re
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from gmmmi import disentanglement as scores
from gmmmi.analysis.gather import gather
from gmmmi.cli import main
from gmmmi.data.dataset import build_dataset, make_group
from gmmmi.data.store import read_xarray, write_dataset
from gmmmi.report.explorer import STEP
from gmmmi.report.page import MAX_TABLE_ROWS, render, write_report
from tests.helpers import CHROMIUM, analyse, browse, needs_chromium, not_blank

HOSTILE = "<script>alert(1)</script>"
SETTINGS = {"n_bootstrap": 6, "seed": 2}


class _Elements(HTMLParser):
    """Tags, the text inside each <script>, and every image source of a page."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self.images, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_endtag(self, tag):
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def parse(page):
    parser = _Elements()
    parser.feed(page)
    return parser


def table_rows(page):
    """Rows of the sortable pair table."""
    return page.split('id="pair-table"')[1].split("</table>")[0].count("<tr") - 1


def estimate(tmp_path, dataset, x, y, name):
    return analyse(dataset, name, x, y, SETTINGS, tmp_path)


@pytest.fixture(scope="module")
def analyses(tmp_path_factory):
    """A small dataset with hostile names, estimated for real: latent x latent and x factor."""
    folder = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(3)
    n = 600
    size = rng.standard_normal(n)
    shape = rng.integers(0, 3, n)
    latents = np.column_stack([size + 0.4 * rng.standard_normal(n),
                               shape + 0.5 * rng.standard_normal(n),
                               rng.standard_normal(n)])
    latents[:7, 2] = np.nan  # rows the estimator must drop and the report must flag
    ds = build_dataset({
        "latent": make_group(latents, [HOSTILE, "z & co", "$x$"], None, group="latent",
                             source="t"),
        "factor": make_group(size[:, None], ["size"], None, group="factor", source="t"),
        "category": make_group(shape[:, None], ["shape"], "categorical", group="category",
                               source="t")})
    dataset = folder / "data.zarr"
    write_dataset(ds, dataset)
    return {"dataset": dataset,
            "ll": estimate(folder, dataset, "latent", "latent", "ll"),
            "lf": estimate(folder, dataset, "latent", ["factor", "category"], "lf"),
            "folder": folder}


def test_gather_keeps_what_the_report_needs(analyses):
    lf = analyses["lf"]
    assert list(lf["kind_y"].values) == ["continuous", "categorical"]
    # the entropy of the categorical factor, from its label counts
    counts = np.bincount(read_xarray(analyses["dataset"])["category"].values[:, 0])
    p = counts / counts.sum()
    assert float(lf["entropy_y"].values[1]) == pytest.approx(-(p * np.log(p)).sum())
    assert np.isnan(lf["entropy_y"].values[0])
    model = json.loads(str(lf["model"].values[0, 1]))
    assert set(model["mixtures"]) == {"0", "1", "2"} and model["marginals"] == "rank"
    continuous = json.loads(str(lf["model"].values[0, 0]))
    assert len(continuous["mixture"]["weights"]) == lf["n_components"].values[0, 0]
    assert (lf["seconds"].values > 0).all()
    assert lf.attrs["created"] and lf.attrs["computed_pairs"] == 6


def test_a_matrix_whose_models_call_the_marginals_transform_still_draws_them(analyses):
    """mi.zarr written before the space of the marginals had one name stored it as
    "transform" in each pair's model: the report still draws those pairs in it."""
    new = analyses["lf"]
    old = new.copy(deep=True)
    old["model"] = old["model"].copy(data=np.vectorize(
        lambda text: text.replace('"marginals":', '"transform":'), otypes=[object])(
        old["model"].values.astype(object)))
    assert '"transform": "rank"' in str(old["model"].values[0, 1])
    source = read_xarray(analyses["dataset"])
    drawn = [parse(render(m, source, top_pairs=4)).images for m in (old, new)]
    assert len(drawn[0]) > 2 and drawn[0] == drawn[1]


def test_names_from_the_data_are_escaped(analyses):
    for name in ("ll", "lf"):
        page = render(analyses[name], read_xarray(analyses["dataset"]))
        elements = parse(page)
        assert HOSTILE not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        # the interactive matrix's JSON holds the name, with < and > escaped, and the script
        # reads it as text: nothing of it can run
        data, code = elements.scripts
        assert "<" not in data and json.loads(data)["rows"][0] == HOSTILE
        assert "alert" not in code
        assert "z &amp; co" in page


def test_latent_factor_page_has_every_section(analyses):
    page = render(analyses["lf"], read_xarray(analyses["dataset"]), top_pairs=4)
    elements = parse(page)
    for section in ("matrix", "pairs", "disentanglement", "top", "diagnostics", "provenance"):
        assert f'id="{section}"' in page
    assert all(src.startswith("data:image/png;base64,") for src in elements.images)
    # heatmap, disentanglement bars, the top pairs (up to 4, those whose interval excludes
    # 0: here the two latents that carry a factor), K counts, CV curves
    detectable = int((analyses["lf"]["mi_low"].values > 0).sum())
    assert detectable >= 2
    assert len(elements.images) == 1 + 1 + min(4, detectable) + 2
    assert table_rows(page) == 6
    mi = analyses["lf"]["mi"].values
    mig = scores.mig(mi, analyses["lf"]["entropy_y"].values)
    assert f"{mig:.3f}" in page
    # both MIGs side by side: gmmmi's with its interval, and disentanglement_lib's over the
    # categorical factor (shape), from the rows without a missing latent
    gmm = scores.gmm_mig(analyses["lf"])
    assert gmm.low < gmm.high and f"{gmm.low:.3f} – {gmm.high:.3f}" in page
    ds = read_xarray(analyses["dataset"])
    latents = np.column_stack([ds["latent"].values[:, j] for j in range(3)])
    keep = np.isfinite(latents).all(axis=1)
    discrete = scores.discrete_mig(latents[keep], ds["category"].values[keep, 0])
    assert f"{discrete:.3f}" in page and "MIG, discrete (disentanglement_lib)" in page
    same = scores.gmm_mig(analyses["lf"].isel(var_y=[1]))  # gmmmi's over shape alone
    assert "MIG (gmmmi), categorical factors" in page and f"{same.value:.3f}" in page
    for name in ("SAP", "explicitness", "over the categorical factors only (shape)",
                 "7 rows with a missing value are left out"):
        assert name in page
    assert "rows dropped" in page and "7 rows" in page  # the NaNs of "$x$"
    assert "http://" not in page and "https://" not in page  # nothing fetched when opened


def test_symmetric_page_clusters_and_has_no_disentanglement(analyses):
    page = render(analyses["ll"], read_xarray(analyses["dataset"]))
    assert "clustered" in page and 'id="disentanglement"' not in page
    assert table_rows(page) == 3


def data_values(page):
    return [float(v) for v in re.findall(r'data-value="([-0-9.e+]+)"', page)]


def test_unit_bit_divides_every_value_by_ln2(analyses):
    nats = render(analyses["lf"], top_pairs=0)
    bits = render(analyses["lf"], unit="bit", top_pairs=0)
    top = float(np.nanmax(analyses["lf"]["mi"].values))
    assert f'data-value="{top}"' in nats
    assert any(v == pytest.approx(top / math.log(2), rel=1e-12) for v in data_values(bits))
    assert not any(v == pytest.approx(top, rel=1e-6) for v in data_values(bits))
    assert "MI (bits)" in bits


def test_without_data_the_top_pairs_say_so(analyses):
    page = render(analyses["lf"], None, top_pairs=1)
    assert len(parse(page).images) == 1 + 1 + 1 + 2


def test_report_command(analyses, capsys):
    out = analyses["folder"] / "page" / "report.html"
    code = main(["report", str(analyses["folder"] / "lf.zarr"), "--data",
                 str(analyses["dataset"]), "--unit", "bit", "--top", "2", "--out", str(out)])
    assert code == 0 and out.read_text().startswith("<!DOCTYPE html>")
    assert "DCI is left out" not in out.read_text()
    assert main(["report", str(analyses["folder"] / "lf.zarr"), "--data",
                 str(analyses["dataset"]), "--no-dci", "--out", str(out)]) == 0
    assert "DCI is left out (report.dci: false, or --no-dci)" in out.read_text()
    assert main(["report", str(analyses["folder"] / "missing.zarr"), "--out", str(out)]) == 2
    assert main(["report", str(analyses["folder"] / "lf.zarr"), "--top", "-1",
                 "--out", str(out)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("gmmmi: error: ") for line in errors[2:])


def fake_chunk(path, names, n_bootstrap=20, seed=0):
    """A chunk result for a symmetric analysis of ``names``, with random MI values."""
    rng = np.random.default_rng(seed)
    variables = [["latent", n] for n in names]
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            value = float(rng.exponential(0.05))
            bootstrap = value + 0.01 * rng.standard_normal(n_bootstrap)
            rows.append({
                "pair": {"group_x": "latent", "name_x": a, "kind_x": "continuous",
                         "fingerprint_x": a, "group_y": "latent", "name_y": b,
                         "kind_y": "continuous", "fingerprint_y": b, "seed": 0},
                "computed": True, "value": value, "std": 0.01, "n_components": 1,
                "low": float(np.percentile(bootstrap, 2.5)),
                "high": float(np.percentile(bootstrap, 97.5)),
                "status": "ok" if rng.random() > 0.01 else "max-components",
                "message": "", "n_samples": 1000, "n_dropped": 0,
                "bootstrap": bootstrap.tolist(),
                "seconds": 0.1, "model": None})
    path.write_text(json.dumps({
        "analysis": "big", "chunk": 0, "n_chunks": 1,
        "settings": {"n_bootstrap": n_bootstrap, "max_components": 50},
        "x_variables": variables, "y_variables": variables, "digest": "", "results": rows,
        "seconds": 1.0}))
    return path


def test_a_thousand_pairs_stay_readable_and_small(tmp_path):
    names = [f"latent_{i:02d}" for i in range(60)]  # 1770 pairs
    matrix = gather([fake_chunk(tmp_path / "chunk.json", names)], tmp_path / "mi.zarr")
    out = write_report(tmp_path / "mi.zarr", tmp_path / "report.html")
    page = out.read_text()
    assert out.stat().st_size < 3_000_000
    assert "too many cells to annotate" in page
    assert table_rows(page) == len(names) * 59 // 2
    assert "hit max_components" in page
    assert matrix.sizes["var_x"] == 60


def test_the_reported_interval_and_an_under_resolved_pair_are_shown(tmp_path):
    chunk = fake_chunk(tmp_path / "chunk.json", ["a", "b", "c"])
    data = json.loads(chunk.read_text())
    row = data["results"][0]
    row.update(status="under-resolved", low=row["value"] - 0.3, high=row["value"] + 0.5,
               message="K = 4, 5 fit the held-out data as well as the chosen K = 3")
    chunk.write_text(json.dumps(data))
    matrix = gather([chunk], tmp_path / "mi.zarr")
    assert float(matrix["mi_high"].values[0, 1]) == pytest.approx(row["high"])
    page = render(read_xarray(tmp_path / "mi.zarr"), top_pairs=0)
    assert f'data-value="{row["high"]}"' in page and f'data-value="{row["low"]}"' in page
    diagnostics = page[page.index('id="diagnostics"'):]
    assert "under-resolved" in diagnostics and "K = 4, 5 fit the held-out data" in diagnostics


def test_top_pairs_show_only_detectable_information(tmp_path):
    chunk = fake_chunk(tmp_path / "chunk.json", ["a", "b", "c"])
    data = json.loads(chunk.read_text())
    for row in data["results"]:
        row["low"] = 0.0
    chunk.write_text(json.dumps(data))
    gather([chunk], tmp_path / "mi.zarr")
    page = render(read_xarray(tmp_path / "mi.zarr"), top_pairs=3)
    assert "No pair's 95% interval excludes 0" in page
    assert len(parse(page).images) == 2  # heatmap and K counts: no top pair drawn


def test_a_matrix_gathered_before_the_interval_was_stored_still_renders(tmp_path):
    matrix = gather([fake_chunk(tmp_path / "chunk.json", ["a", "b", "c"])], tmp_path / "mi.zarr")
    old = matrix.drop_vars(["mi_low", "mi_high"])
    low = float(np.percentile(old["mi_bootstrap"].values[0, 1], 2.5))
    assert f'data-value="{low}"' in render(old, top_pairs=0)


def test_the_table_is_cut_above_its_limit_with_a_note(tmp_path):
    names = [f"v{i}" for i in range(80)]  # 3160 pairs
    gather([fake_chunk(tmp_path / "chunk.json", names, n_bootstrap=4)], tmp_path / "mi.zarr")
    page = render(read_xarray(tmp_path / "mi.zarr"), top_pairs=0)
    assert table_rows(page) == MAX_TABLE_ROWS
    assert f"The {80 * 79 // 2 - MAX_TABLE_ROWS} pairs with the lowest MI are not listed" in page


# --- a real browser -------------------------------------------------------------------

@needs_chromium
def test_browser_renders_the_report_without_console_errors(analyses, tmp_path):
    page = write_report(analyses["folder"] / "lf.zarr", tmp_path / "report.html",
                        data=analyses["dataset"])
    console = browse(page, tmp_path / "shot.png")
    assert console == []
    assert not_blank(tmp_path / "shot.png")


@needs_chromium
def test_browser_check_catches_a_broken_page(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><html><body><p>x</p><script>undefinedCall();</script>"
                      "</body></html>")
    console = browse(broken, tmp_path / "shot.png")
    assert any("undefinedCall" in line for line in console)
    assert not not_blank(tmp_path / "shot.png")


@needs_chromium
def test_table_sorts_in_the_browser_and_the_dom_has_only_our_script(analyses, tmp_path):
    page = render(analyses["lf"], top_pairs=0)
    # click "MI" once: ascending, so the lowest MI comes first
    clicked = page.replace("</body>", "<script>document.querySelectorAll('#pair-table th')[2]"
                                      ".click();</script></body>")
    path = tmp_path / "clicked.html"
    path.write_text(clicked)
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--no-first-run", "--dump-dom", path.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    dom = run.stdout
    first_row = dom.split('id="pair-table"')[1].split("<tbody>")[1].split("</tr>")[0]
    lowest = float(np.nanmin(analyses["lf"]["mi"].values))
    assert f'data-value="{lowest}"' in first_row
    assert 'data-order="asc"' in dom
    assert dom.count("<script") == 3  # the matrix's JSON, the page's script, the click
    assert "<script>alert(1)" not in dom


def test_a_dataset_given_as_the_matrix_is_refused_in_one_line(analyses, tmp_path, capsys):
    code = main(["report", str(analyses["dataset"]), "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "not an MI matrix" in err[0], err
    assert not (tmp_path / "r.html").exists()


def test_data_that_does_not_match_the_matrix_is_refused_in_one_line(analyses, tmp_path, capsys):
    source = read_xarray(analyses["dataset"]).load()
    changed = source.copy(deep=True)
    changed["factor"].values[:, 0] += 1.0
    write_dataset(changed, tmp_path / "changed.zarr")
    renamed = source.rename({"factor": "other", "factor_name": "other_name"})
    write_dataset(renamed, tmp_path / "renamed.zarr")
    out = tmp_path / "report.html"
    for data, expected in (("changed.zarr", "factor/size differs from the data"),
                           ("renamed.zarr", "has no group 'factor'")):
        code = main(["report", str(analyses["folder"] / "lf.zarr"), "--data",
                     str(tmp_path / data), "--out", str(out)])
        error = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(error) == 1 and expected in error[0], error
    assert not out.exists()


def synthetic_matrix(n_variables, block=8, seed=0):
    """A latent x latent matrix as gather writes it, without estimating: blocks of
    ``block`` variables sharing 0.3-0.8 nat, 0.01 between blocks."""
    from gmmmi.analysis import matrix as mx

    rng = np.random.default_rng(seed)
    names = [f"z{i:03d}" for i in range(n_variables)]
    strength = rng.uniform(0.3, 0.8, n_variables // block + 1)
    rows = []
    for i in range(n_variables):
        for j in range(i + 1, n_variables):
            value = strength[i // block] if i // block == j // block else 0.01
            rows.append({"pair": {"group_x": "latent", "name_x": names[i], "kind_x": "continuous",
                                  "fingerprint_x": "f", "group_y": "latent", "name_y": names[j],
                                  "kind_y": "continuous", "fingerprint_y": "f", "seed": 0},
                         "value": value, "std": 0.01, "low": value - 0.02, "high": value + 0.02,
                         "bootstrap": [], "n_components": 1 + (i + j) % 3, "n_samples": 1000,
                         "n_dropped": 0, "status": "ok", "message": "", "seconds": 0.01,
                         "model": None})
    xs = [("latent", name) for name in names]
    return mx.build("big", "pairs", {"n_bootstrap": 0}, xs, xs, rows)


def test_clusters_are_named_and_cut_at_the_documented_mi():
    from gmmmi.report.clusters import best_rows, named_clusters

    matrix = synthetic_matrix(20, block=8)
    groups, alone = named_clusters(matrix["mi"].values, [f"z{i:03d}" for i in range(20)])
    assert [len(g["members"]) for g in groups] == [8, 8, 4] and alone == 0
    assert groups[0]["name"].startswith("C1 (z00") and groups[0]["members"][0].startswith("z00")
    assert all(abs(g["link"][3] - 0.01) < 1e-12 for g in groups)  # between blocks: 0.01
    mi = matrix["mi"].values[:, :2]
    best = best_rows(mi, mi - 0.02, mi + 0.02, [f"z{i:03d}" for i in range(20)], ["a", "b"])
    assert [name for name, *_ in best[0]["best"]][:1] in (["z001"], ["z002"])
    assert best[0]["best"][0][1] == pytest.approx(np.nanmax(mi[:, 0]))


def hover(page_path, row, column):
    """The interactive matrix's tooltip after the pointer moves over displayed cell
    (row, column), read from the DOM Chromium renders."""
    script = ("<script>var c = document.getElementById('explorer');"
              "var at = JSON.parse(c.getAttribute('data-layout'));"
              "var b = c.getBoundingClientRect();"
              f"c.dispatchEvent(new MouseEvent('mousemove', {{bubbles: true,"
              f" clientX: b.left + (at.left + ({column} + 0.5) * at.size) * b.width / at.width,"
              f" clientY: b.top + (at.head + ({row} + 0.5) * at.size) * b.height / at.height}}));"
              "document.body.setAttribute('data-tip',"
              " document.getElementById('explorer-tip').textContent);</script></body>")
    probed = page_path.with_name("probed.html")
    probed.write_text(page_path.read_text().replace("</body>", script))
    run = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--no-first-run", "--window-size=1280,2000", "--dump-dom",
                          probed.resolve().as_uri()], capture_output=True, text=True,
                         timeout=120)
    return html.unescape(run.stdout.split('data-tip="')[1].split('"')[0])


@needs_chromium
def test_hovering_a_cell_shows_its_names_and_numbers(analyses, tmp_path):
    page = write_report(analyses["folder"] / "ll.zarr", tmp_path / "report.html")
    data = json.loads(parse(page.read_text()).scripts[0])
    row = data["row_order"].index(data["rows"].index(HOSTILE))  # a name that is markup
    column = 0 if row != 0 else 1
    i, j = data["row_order"][row], data["col_order"][column]
    m = analyses["ll"]

    def shown(name):  # as the page gets it: whole 1e-4s, then three decimals
        return f"{round(float(m[name].values[i, j]) / STEP) * STEP:.3f}"

    expected = (f"{m['var_x'].values[i]} × {m['var_y'].values[j]}\n"
                f"MI {shown('mi')} nats (95% {shown('mi_low')} to {shown('mi_high')})"
                f"\nK = {int(m['n_components'].values[i, j])}, status {m['status'].values[i, j]}")
    assert expected.startswith(HOSTILE + " × ")
    assert hover(page, row, column).startswith(expected)  # the markup shown as text


@needs_chromium
def test_a_256_variable_report_stays_small_and_answers_in_the_browser(tmp_path):
    matrix = synthetic_matrix(256)
    page = tmp_path / "big.html"
    page.write_text(render(matrix, top_pairs=0), encoding="utf-8")
    size = page.stat().st_size
    assert size < 3_000_000, size  # stated in docs/user-guide/reports.md: 1.7 MB at 256 x 256
    assert browse(page, tmp_path / "big.png") == []
    data = json.loads(parse(page.read_text()).scripts[0])
    i, j = data["row_order"][100], data["col_order"][101]
    tip = hover(page, 100, 101)
    value = float(matrix["mi"].values[i, j])
    assert tip.startswith(f"z{i:03d} × z{j:03d}\nMI {value:.3f} nats"), tip
