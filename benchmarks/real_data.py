"""The two real analyses of Piras et al. 2023 (Fig. 4 and 5), from ../shared/data.

Run from the repository root:

    .venv/bin/python benchmarks/real_data.py --workers 2

- shapes3d: 6 beta-VAE latents x 6 categorical generating factors (48000 images).
- halo: 3 latents (one draw from N(mean, std) per halo, numpy default_rng(42)) x the
  log density in 13 radial bins (4332 halos).
Settings as in the paper: n_inits=5, n_folds=3, n_bootstrap=100. Each analysis goes
through the workflow's own steps (dataset contract, chunk runner on a local Dask
cluster, gather), and is written to benchmarks/measured/real_data/<name>.zarr with a
heatmap <name>.png; the times go to benchmarks/measured/real_data.md.
"""

import argparse
import io
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gmmmi.analysis.gather import gather  # noqa: E402
from gmmmi.analysis.plan import plan_chunks  # noqa: E402
from gmmmi.analysis.run import run_chunk  # noqa: E402
from gmmmi.data.dataset import build_dataset, make_group  # noqa: E402
from gmmmi.data.store import describe_dataset, write_dataset  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "benchmarks" / "measured"
SETTINGS = {"n_inits": 5, "n_folds": 3, "n_bootstrap": 100}
FACTORS = ["floor_hue", "object_hue", "orientation", "scale", "shape", "wall_hue"]


def shapes3d():
    latents = np.load(DATA / "shapes3d" / "latents.npy")
    factors = np.load(DATA / "shapes3d" / "categories.npy")
    return build_dataset({
        "latent": make_group(latents, [f"z{i}" for i in range(latents.shape[1])],
                             "continuous", group="latent", source="shapes3d"),
        "factor": make_group(factors, FACTORS, "categorical", group="factor",
                             source="shapes3d")})


def halo():
    mean = np.load(DATA / "halo" / "latent_mean.npy").astype(np.float64)
    std = np.load(DATA / "halo" / "latent_std.npy").astype(np.float64)
    latents = np.random.default_rng(42).normal(mean, std)
    density = np.load(DATA / "halo" / "log_density.npy").T.astype(np.float64)
    return build_dataset({
        "latent": make_group(latents, [f"z{i}" for i in range(latents.shape[1])],
                             "continuous", group="latent", source="halo"),
        "density": make_group(density, [f"bin {i}" for i in range(density.shape[1])],
                              "continuous", group="density", source="halo")})


def analyse(name, ds, y_group, workers, folder):
    store = folder / f"{name}-data.zarr"
    write_dataset(ds, store, overwrite=True)
    start = time.perf_counter()
    manifest = plan_chunks(describe_dataset(store), name, "latent", y_group, SETTINGS, 1)[0]
    run_chunk(store, manifest, folder / f"{name}-chunk.json", cache_dir=folder / "cache",
              workers=workers, log=sys.stdout)
    matrix = gather([folder / f"{name}-chunk.json"], folder / f"{name}.zarr")
    seconds = time.perf_counter() - start
    heatmap(matrix, folder / f"{name}.png", name)
    return matrix, seconds, len(manifest["pairs"])


def heatmap(matrix, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mi, std = matrix["mi"].values, matrix["mi_std"].values
    fig, ax = plt.subplots(figsize=(1.1 * mi.shape[1] + 2, 0.8 * mi.shape[0] + 1.5))
    image = ax.imshow(mi, cmap="viridis")
    ax.set_xticks(range(mi.shape[1]), [str(v) for v in matrix["var_y"].values], rotation=45,
                  ha="right")
    ax.set_yticks(range(mi.shape[0]), [str(v) for v in matrix["var_x"].values])
    for i in range(mi.shape[0]):
        for j in range(mi.shape[1]):
            ax.text(j, i, f"{mi[i, j]:.2f}\n±{std[i, j]:.2f}", ha="center", va="center",
                    fontsize=7, color="white" if mi[i, j] < 0.6 * np.nanmax(mi) else "black")
    fig.colorbar(image, ax=ax, label="MI (nat)")
    ax.set_title(f"{title}: MI, bootstrap mean ± std")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"{DATA} is absent: the real-data benchmark needs ../shared/data")
        return
    folder = OUT / "real_data"
    shutil.rmtree(folder / "cache", ignore_errors=True)  # measure, never reuse
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Real data: the paper's two analyses", "",
             f"Command: `.venv/bin/python benchmarks/real_data.py --workers {args.workers}`; "
             f"settings {SETTINGS}.", "",
             "| analysis | pairs | seconds | seconds/pair | largest MI |", "|---|---|---|---|---|"]
    for name, ds, y_group in [("shapes3d", shapes3d(), "factor"),
                              ("halo", halo(), "density")]:
        matrix, seconds, pairs = analyse(name, ds, y_group, args.workers, folder)
        top = matrix["mi"].where(np.isfinite(matrix["mi"])).max().item()
        lines.append(f"| {name} | {pairs} | {seconds:.1f} | {seconds / pairs:.2f} | "
                     f"{top:.3f} |")
        print(lines[-1], flush=True)
        with io.StringIO() as table:
            print(matrix["mi"].round(3).to_pandas().to_string(), file=table)
            lines += ["", f"{name} (MI, nat):", "", "```", table.getvalue().rstrip(), "```"]
    (OUT / "real_data.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
