"""The command line's parser: every command, its arguments and their help."""

import argparse

from .. import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"gmmmi: error: {message}\n")


def build_parser():
    parser = _Parser(prog="gmmmi", description="Mutual information with the GMM-MI estimator.")
    parser.add_argument("--version", action="version", version=f"gmmmi {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    est = commands.add_parser("estimate", help="MI between two variables",
                              description="MI between x and y: X.npy holding both as two "
                                          "columns, or X.npy and Y.npy holding one each.")
    est.add_argument("files", nargs="+", metavar="FILE", help=".npy, .csv or .txt")
    est.add_argument("--categorical", action="store_true", help="y holds category labels")
    est.add_argument("--json", action="store_true", help="print the result as JSON")
    est.add_argument("--n-bootstrap", type=int, default=50)
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--unit", choices=["nat", "bit"], default="nat")
    est.add_argument("--n-inits", type=int, default=3)
    est.add_argument("--n-folds", type=int, default=None,
                     help="CV folds (default: 3 below 2,000 rows, else 2)")
    est.add_argument("--selection", choices=["validation", "aic", "bic"], default="validation")
    est.add_argument("--max-components", type=int, default=50)
    est.add_argument("--fixed-components", type=int, default=None)
    est.add_argument("--integration", choices=["quadrature", "mc"], default="quadrature")

    ing = commands.add_parser(
        "ingest", help="turn arrays into a dataset (Zarr)",
        description="Read arrays (.npy, .npz, .csv, netCDF, Zarr) into one dataset. "
                    "--group, --names, --kind and --variables-first apply to the input "
                    "they follow, e.g. `gmmmi ingest latents.npy --group latent "
                    "categories.npy --group factor --kind categorical --out data.zarr`.")
    ing.add_argument("inputs", nargs="+", metavar="INPUT")
    ing.add_argument("--out", required=True, help="the Zarr store to write")
    ing.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    ing.add_argument("--layers", action="store_true",
                     help="an .npz of a network's activations, one array per layer in order: "
                          "the groups become layer_0 (inputs), layer_1, ... (for flow analyses)")
    ing.add_argument("--group", help="group name (default: file stem, .npz keys, "
                                     "netCDF/Zarr variable names)")
    ing.add_argument("--names", help="variable names, comma-separated (default: CSV header, "
                                     "coordinates, or <group>_<i>)")
    ing.add_argument("--kind", choices=["continuous", "categorical", "auto"],
                     help="default auto: floats continuous, integers categorical")
    ing.add_argument("--variables-first", action="store_true",
                     help="rows are variables and columns samples")
    ing.add_argument("--no-header", action="store_true",
                     help="the CSV's first row is data (a first row of numbers is refused "
                          "unless --names or --no-header is given)")

    val = commands.add_parser("validate", help="check a dataset and summarise it",
                              description="Summarise a dataset (groups, kinds, variables, "
                                          "samples) and warn about doubtful values.")
    val.add_argument("path", metavar="DATASET")

    chk = commands.add_parser(
        "check-config", help="check a workflow config file",
        description="Read a workflow config file safely and check it against the workflow's "
                    "schema, naming each problem and its line (Snakemake reports any YAML "
                    "problem as tab indentation).")
    chk.add_argument("config")
    chk.add_argument("--schema", help="the workflow's schema (default: "
                                      "workflow/schemas/config.schema.yaml)")

    demo = commands.add_parser("demo-data", help="write the demo dataset with known MI")
    demo.add_argument("--out", required=True, help="the Zarr store to write")
    demo.add_argument("--samples", type=int, default=5000)
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--overwrite", action="store_true", help="replace an existing --out")

    # The workflow's steps (see workflow/rules/); usable by hand as well.
    chunk = commands.add_parser("run-chunk", help="estimate one chunk of an analysis's pairs")
    chunk.add_argument("dataset")
    chunk.add_argument("--analysis", required=True, help="the analysis's name")
    chunk.add_argument("--spec", required=True,
                       help='the analysis as in the config, JSON: {"x": ..., "y": ...} or '
                            '{"kind": "flow", "layers": [...]}')
    chunk.add_argument("--settings", default="{}", help="estimator settings as JSON")
    chunk.add_argument("--chunk", default="1-of-1", help="which chunk, e.g. 2-of-4")
    chunk.add_argument("--out", required=True, help="chunk results (JSON)")
    chunk.add_argument("--cache", required=True, help="cache directory (pairs, datasets)")
    chunk.add_argument("--workers", type=int, default=1, help="local Dask worker processes")
    chunk.add_argument("--memory-mb", type=int, default=None, help="memory for all workers")
    chunk.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    chunk.add_argument("--scheduler-file", default=None,
                       help="the scheduler file of the run's own Dask cluster (address and TLS)")
    chunk.add_argument("--tls-ca-file", default=None, help="TLS: the CA certificate (PEM)")
    chunk.add_argument("--tls-cert", default=None, help="TLS: this client's certificate (PEM)")
    chunk.add_argument("--tls-key", default=None, help="TLS: this client's private key (PEM)")
    chunk.add_argument("--expect-digest", default=None,
                       help="refuse to run if the chunk's plan no longer has this digest")

    cac = commands.add_parser(
        "cache", help="prune the workflow's cache",
        description="Remove from the workflow's cache (results/.cache) every pair no analysis "
                    "of the config uses. The workflow does this after each successful run; "
                    "do not run it while the workflow runs.")
    cac.add_argument("action", choices=["prune"])
    cac.add_argument("--configfile", default="config/config.yaml",
                     help="the workflow config whose analyses are kept (default: %(default)s)")
    cac.add_argument("--cache", default="results/.cache", help="default: %(default)s")

    gat = commands.add_parser("gather", help="assemble chunk results into mi.zarr")
    gat.add_argument("chunks", nargs="+")
    gat.add_argument("--out", required=True)
    gat.add_argument("--dataset", default=None, help="to include a stored true MI")
    gat.add_argument("--pairs-csv", default=None, help="also write the pairs as a CSV table")

    flo = commands.add_parser("flow", help="the flow graph of a flow analysis's mi.zarr")
    flo.add_argument("matrix")
    flo.add_argument("--graphml", required=True, help="the graph as GraphML")
    flo.add_argument("--json", required=True, help="the graph, measures and attribution (JSON)")

    rep = commands.add_parser("report", help="write the HTML report of an mi.zarr")
    rep.add_argument("matrix")
    rep.add_argument("--out", required=True)
    rep.add_argument("--data", default=None,
                     help="the dataset the matrix came from (to draw the top pairs' data)")
    rep.add_argument("--unit", choices=("nat", "bit"), default="nat", help="unit shown")
    rep.add_argument("--top", type=int, default=6, help="top pairs drawn in detail")
    rep.add_argument("--no-dci", dest="dci", action="store_false",
                     help="leave DCI out of the disentanglement scores (its boosted trees "
                          "take minutes on large data)")
    rep.add_argument("--previous", default=None,
                     help="a directory where the report keeps the matrix it reported, to "
                          "show what changed when the matrix is replaced")

    comp = commands.add_parser(
        "compile", help="compile the EM kernels ahead (run once after installing)",
        description="Compile every EM kernel into numba's on-disk cache, so that the first "
                    "estimate after an install loads them rather than compiling them "
                    "(about half a minute once; a second when they are compiled already).")
    comp.add_argument("--serial", action="store_true",
                      help="compile in this process only, not in two side by side")

    cmp = commands.add_parser("compare", help="what changed between two mi.zarr",
                              description="The change of every cell from BEFORE to AFTER "
                                          "and of MIG and modularity, with intervals; the "
                                          "cells that changed by more than their noise.")
    cmp.add_argument("before")
    cmp.add_argument("after")
    cmp.add_argument("--out", default=None, help="also write the comparison's HTML page")
    cmp.add_argument("--csv", default=None, help="also write every cell's change as CSV")
    cmp.add_argument("--unit", choices=("nat", "bit"), default="nat", help="unit shown")
    return parser
