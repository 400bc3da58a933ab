"""shapes3d's latents against its factors and each other: gmmmi in each space, KSG and
histograms on the same data, and the time of each, from ../shared/data.

Run from the repository root (one core):

    .venv/bin/python benchmarks/shapes3d.py
    .venv/bin/python benchmarks/shapes3d.py --rows 10000 --out shapes3d_10k

- latent x factor (36 categorical pairs): gmmmi with its defaults (``marginals="auto"``),
  and with the marginals as normal scores ("rank") and standardised; scikit-learn's
  ``mutual_info_classif`` (KSG, k = 3); the plug-in MI of the latent cut into 20, 50 and
  100 equal-count bins, with the Miller-Madow correction.
- latent x latent (15 continuous pairs): gmmmi auto and standardised, KSG
  (``mutual_info_regression``).
- the six latents as one vector against each factor, beside the best single latent's
  value for it (a vector holds at least what each member holds).

gmmmi runs with its defaults (n_bootstrap = 50, seed 0). A cell "agrees" when the
standardised and KSG values are within 0.003 nat or 10% of each other; the defaults'
interval should then hold both, or at least reach the span between them. Writes
``benchmarks/measured/<out>.md`` and ``.csv``; ``--report-only`` writes the ``.md`` again
from the ``.csv``.
"""

import argparse
import csv
import os
import sys
import time
import warnings
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMBA_NUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from gmmmi import estimate_mi  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "shapes3d"
OUT = ROOT / "benchmarks" / "measured"
FACTORS = ["floor_hue", "object_hue", "orientation", "scale", "shape", "wall_hue"]
BINS = (20, 50, 100)
FIELDS = ["kind", "x", "y", "method", "estimate", "low", "high", "n_components", "status",
          "space", "seconds"]


def gmmmi(x, y, categorical, **settings):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = estimate_mi(x, y, categorical=categorical, **settings)
    return {"estimate": r.mi, "low": r.interval[0], "high": r.interval[1],
            "n_components": r.n_components, "status": r.status,
            "space": r.details.get("marginals", ""), "seconds": time.perf_counter() - start}


def ksg(x, y, categorical):
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
    start = time.perf_counter()
    run = mutual_info_classif if categorical else mutual_info_regression
    value = float(run(x.reshape(len(x), -1), y, n_neighbors=3, random_state=0)[0])
    return {"estimate": value, "seconds": time.perf_counter() - start}


def histogram(x, codes, bins):
    """Plug-in MI of x cut into ``bins`` equal-count bins and the categories, with the
    Miller-Madow correction (cells - rows - columns + 1) / 2N."""
    start = time.perf_counter()
    edges = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])
    cells = np.searchsorted(edges, x) * (codes.max() + 1) + codes
    table = np.bincount(cells, minlength=bins * (codes.max() + 1)).reshape(bins, -1)
    p = table / table.sum()
    px, py = p.sum(axis=1, keepdims=True), p.sum(axis=0, keepdims=True)
    nz = p > 0
    plug_in = float((p[nz] * np.log(p[nz] / (px @ py)[nz])).sum())
    correction = ((nz.sum() - (px > 0).sum() - (py > 0).sum() + 1) / (2 * table.sum()))
    return {"estimate": plug_in - correction, "seconds": time.perf_counter() - start}


def agree(a, b):
    return abs(a - b) <= max(0.003, 0.1 * max(abs(a), abs(b)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help="the first ROWS rows only")
    parser.add_argument("--out", default="shapes3d", help="file stem in benchmarks/measured/")
    parser.add_argument("--report-only", action="store_true",
                        help="write the .md again from the .csv of an earlier run")
    args = parser.parse_args()
    command = ".venv/bin/python benchmarks/shapes3d.py" + (
        f" --rows {args.rows}" if args.rows else "") + (
        f" --out {args.out}" if args.out != "shapes3d" else "")
    if args.report_only:
        with open(OUT / f"{args.out}.csv") as handle:
            rows = [{k: (v if k in ("kind", "x", "y", "method", "status", "space") else
                         float(v) if v else float("nan")) for k, v in r.items()}
                    for r in csv.DictReader(handle)]
        header = (OUT / f"{args.out}.md").read_text().splitlines()[2]
        n_rows, load = header.split("(")[1].split(" rows")[0], header.split(": ")[-1][:-2]
        (OUT / f"{args.out}.md").write_text("\n".join(
            report(rows, command, float(load), int(n_rows))) + "\n")
        return
    if not DATA.exists():
        sys.exit(f"shapes3d data not found at {DATA}: see ../shared/data/README.md")
    import numba
    numba.set_num_threads(1)
    latents = np.load(DATA / "latents.npy")[:args.rows]
    factors = np.load(DATA / "categories.npy")[:args.rows]
    load = os.getloadavg()[0]
    estimate_mi(latents[:500, 0], factors[:500, 0], categorical=True, n_bootstrap=2)  # compile
    rows = []
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / f"{args.out}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()

        def record(kind, x, y, method, found):
            rows.append({"kind": kind, "x": x, "y": y, "method": method, **found})
            writer.writerow({f: rows[-1].get(f, "") for f in FIELDS})
            handle.flush()

        for i in range(latents.shape[1]):
            for j, factor in enumerate(FACTORS):
                x, codes = latents[:, i], factors[:, j]
                for method, settings in (("auto", {}), ("rank", {"marginals": "rank"}),
                                         ("standardise", {"marginals": "standardise"})):
                    record("factor", f"z{i}", factor, method, gmmmi(x, codes, True, **settings))
                record("factor", f"z{i}", factor, "ksg", ksg(x, codes, True))
                for bins in BINS:
                    record("factor", f"z{i}", factor, f"hist{bins}", histogram(x, codes, bins))
                print(f"z{i} x {factor}: " + ", ".join(
                    f"{r['method']} {r['estimate']:.4f}" for r in rows[-7:]), flush=True)
        for i in range(latents.shape[1]):
            for j in range(i + 1, latents.shape[1]):
                x, y = latents[:, i], latents[:, j]
                record("latent", f"z{i}", f"z{j}", "auto", gmmmi(x, y, False))
                record("latent", f"z{i}", f"z{j}", "standardise",
                       gmmmi(x, y, False, marginals="standardise"))
                record("latent", f"z{i}", f"z{j}", "ksg", ksg(x, y, False))
                print(f"z{i} x z{j}: " + ", ".join(
                    f"{r['method']} {r['estimate']:.4f}" for r in rows[-3:]), flush=True)
        for j, factor in enumerate(FACTORS):
            record("vector", "z0-z5", factor, "auto", gmmmi(latents, factors[:, j], True))
            print(f"z0-z5 x {factor}: {rows[-1]['estimate']:.4f}", flush=True)

    (OUT / f"{args.out}.md").write_text("\n".join(
        report(rows, command, load, len(latents))) + "\n")


def report(rows, command, load, n_rows):
    get = {(r["kind"], r["x"], r["y"], r["method"]): r for r in rows}
    md = ["# shapes3d: latents against factors and each other, in each space", "",
          f"Command: `{command}` ({n_rows} rows; one thread; machine load before the run: "
          f"{load:.2f}).", "",
          "Values in nat. 'agree': the standardised and KSG values within 0.003 nat or "
          "10%; 'holds': the defaults' interval holds both of them; 'reaches': it holds "
          "one of them or lies between them.", ""]
    for kind, label in (("factor", "latent × factor (categorical pairs)"),
                        ("latent", "latent × latent (continuous pairs)")):
        cells = sorted({(r["x"], r["y"]) for r in rows if r["kind"] == kind})
        if not cells:
            continue
        methods = [m for m in ("auto", "rank", "standardise", "ksg", "hist20", "hist50",
                               "hist100") if (kind, *cells[0], m) in get]
        at_cap = sum(get[(kind, *c, "auto")]["status"] == "max-components" for c in cells)
        agreeing = [c for c in cells if agree(get[(kind, *c, "standardise")]["estimate"],
                                              get[(kind, *c, "ksg")]["estimate"])]

        def holds(c, m):
            return (get[(kind, *c, "auto")]["low"] - 1e-12 <= get[(kind, *c, m)]["estimate"]
                    <= get[(kind, *c, "auto")]["high"] + 1e-12)

        def reaches(c):
            span = sorted(get[(kind, *c, m)]["estimate"] for m in ("standardise", "ksg"))
            return (holds(c, "standardise") or holds(c, "ksg")
                    or span[0] <= get[(kind, *c, "auto")]["low"] <= span[1])

        held = [c for c in agreeing if holds(c, "standardise") and holds(c, "ksg")]
        reached = [c for c in agreeing if reaches(c)]
        seconds = {m: sum(get[(kind, *c, m)]["seconds"] for c in cells) for m in methods}
        md += [f"## {label}", "",
               f"- cells at max-components (defaults): {at_cap} of {len(cells)}",
               f"- cells where standardised and KSG agree: {len(agreeing)}; the defaults' "
               f"interval holds both in {len(held)}, reaches them in {len(reached)}"
               + ("" if len(reached) == len(agreeing) else " (not: " + ", ".join(
                   f"{x} × {y}" for x, y in agreeing if (x, y) not in reached) + ")"),
               "- seconds for the whole matrix: " + ", ".join(
                   f"{m} {s:.1f}" for m, s in seconds.items())
               + f"; defaults / KSG = {seconds['auto'] / seconds['ksg']:.2f}", "",
               "| x | y | " + " | ".join(methods) + " | 95% interval (auto) | K | status | "
               "space |", "|---|---|" + "---|" * (len(methods) + 4)]
        for c in cells:
            auto = get[(kind, *c, "auto")]
            md.append(f"| {c[0]} | {c[1]} | " + " | ".join(
                f"{get[(kind, *c, m)]['estimate']:.4f}" for m in methods)
                + f" | {auto['low']:.4f}–{auto['high']:.4f} | {auto['n_components']} | "
                f"{auto['status']} | {auto['space']} |")
        md.append("")
    vectors = [r for r in rows if r["kind"] == "vector"]
    if vectors:
        md += ["## the six latents as one vector against each factor", "",
               "| factor | vector | 95% interval | status | best single latent | its value | "
               "vector ≥ best (interval) | s |", "|---|---|---|---|---|---|---|---|"]
        for r in vectors:
            singles = [s for s in rows if s["kind"] == "factor" and s["y"] == r["y"]
                       and s["method"] == "auto"]
            best = max(singles, key=lambda s: s["estimate"])
            md.append(f"| {r['y']} | {r['estimate']:.4f} | {r['low']:.4f}–{r['high']:.4f} | "
                      f"{r['status']} | {best['x']} | {best['estimate']:.4f} | "
                      f"{'yes' if r['high'] >= best['estimate'] else '**no**'} | "
                      f"{r['seconds']:.1f} |")
    return md


if __name__ == "__main__":
    main()
