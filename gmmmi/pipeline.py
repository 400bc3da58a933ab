"""Many pairs: plan them into chunks, estimate a chunk (with Dask), gather the matrices.

The workflow's rules call these through the command line (``gmmmi plan``,
``gmmmi run-chunk``, ``gmmmi gather``); they hold every decision about pairs,
seeds, caching and result layout, so the rules stay thin.

- A *plan* lists every pair of an analysis in a fixed order, with the content
  fingerprint of each variable and a seed derived from the analysis seed and the
  pair's names (never from chunking or scheduling), and splits the pairs round-robin
  into chunk manifests (JSON).
- A chunk run estimates the pairs of one manifest, one Dask task per pair. Each
  finished pair is kept in a content-addressed cache (JSON, keyed by the settings,
  the seed and both variables' fingerprints), so a rerun recomputes only pairs whose
  variables or settings changed, and an interrupted chunk resumes where it stopped.
- *Gather* turns the chunk results of an analysis into the ``(var_x, var_y)`` matrices.
"""

import datetime
import functools
import hashlib
import json
import math
import os
import re
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import __version__, status
from ._files import replacing
from ._fitting import Settings
from ._validation import first_line
from .dataset import DatasetError, groups, load_values, read_xarray, true_mi, validate
from .estimator import GMMMI, SETTING_NAMES, _check_run_options

# Estimator settings an analysis may set; `unit` is fixed: matrices are in nats.
ESTIMATOR_KEYS = ("n_bootstrap", "seed") + SETTING_NAMES
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")
# What one pair needs, for sizing a chunk's workers (benchmarks/measured/memory.md):
# a Dask worker with gmmmi loaded holds about 260 MB; a pair about 130 bytes per sample
# at N = 2,000,000 (its data, the transformed points, selection's fold arrays) plus the
# bootstrap weights' budget; the chunk's column cache at most COLUMN_CACHE_BYTES.
WORKER_BASE_MB = 300
PAIR_BYTES_PER_SAMPLE = 160
COLUMN_CACHE_BYTES = 64 * 2**20


@dataclass(frozen=True)
class Pair:
    """One pair of an analysis: (group, name, kind) for x and y, fingerprints and seed."""

    group_x: str
    name_x: str
    kind_x: str
    fingerprint_x: str
    group_y: str
    name_y: str
    kind_y: str
    fingerprint_y: str
    seed: int

    def cache_key(self, settings):
        """The content address of this pair's result under ``settings`` and this code."""
        return _digest({"code": code_fingerprint(), "settings": settings, "seed": self.seed,
                        "x": [self.kind_x, self.fingerprint_x],
                        "y": [self.kind_y, self.fingerprint_y]})


# --- fingerprints and seeds ----------------------------------------------------------

@functools.cache
def code_fingerprint():
    """gmmmi's version and a hash of its source: cached results never outlive a code change."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def variable_fingerprint(values, kind):
    """A content hash of one variable's values (and kind): equal data, equal hash."""
    values = np.ascontiguousarray(values)
    h = hashlib.sha256(f"{kind}|{values.dtype.str}|{values.shape}|".encode())
    h.update(values.tobytes())
    return h.hexdigest()[:32]


def store_signature(path):
    """A cheap signature of a store's files (paths, sizes, mtimes); 'absent' if missing.

    Used by the workflow to decide when to re-plan: a changed signature only re-reads the
    data; the per-variable content fingerprints then decide what is recomputed.
    """
    path = Path(path)
    if not path.exists():
        return "absent"
    entries = []
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for p in files:
        if p.name == ".snakemake_timestamp":
            continue
        stat = p.stat()
        entries.append(f"{p.relative_to(path.parent)}|{stat.st_size}|{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()[:32]


def pair_seed(seed, group_x, name_x, group_y, name_y):
    """The seed of one pair: from the analysis seed and the pair's names only."""
    text = json.dumps([int(seed), group_x, name_x, group_y, name_y])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def _digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


# --- plan ----------------------------------------------------------------------------

def estimator_settings(settings):
    """The full, canonical estimator settings of an analysis (defaults filled in)."""
    unknown = sorted(set(settings) - set(ESTIMATOR_KEYS))
    if unknown:
        raise ValueError(f"unknown estimator setting(s): {', '.join(unknown)} "
                         f"(known: {', '.join(ESTIMATOR_KEYS)})")
    defaults = GMMMI().get_params()
    full = {key: settings.get(key, defaults[key]) for key in ESTIMATOR_KEYS}
    Settings(**{k: full[k] for k in SETTING_NAMES})  # one-line errors for bad values
    _check_run_options(full["n_bootstrap"], full["seed"], "nat")
    return full


def describe_dataset(path, cache_dir=None):
    """Validate a dataset and list its groups: kind, variable names, content fingerprints.

    Reading every value is the costly part, so with ``cache_dir`` the description is
    kept per :func:`store_signature` and reused until a file of the store changes.
    """
    signature = store_signature(path)
    cached = None if cache_dir is None else Path(cache_dir) / f"dataset-{signature}.json"
    if cached is not None and cached.exists():
        return json.loads(cached.read_text())
    ds = read_xarray(path)
    validate(ds, str(path))
    description = {"signature": signature, "groups": {}}
    for name, group in groups(ds).items():
        values = load_values(ds[name], str(path))
        description["groups"][name] = {
            "kind": group.kind, "variables": list(group.variables),
            "fingerprints": [variable_fingerprint(values[:, j], group.kind)
                             for j in range(group.n_variables)]}
    if cached is not None:
        _write_json(cached, description)
    return description


def flow_groups(description, layers=None):
    """The x and y groups of a flow analysis: (layers[:-1], layers[1:]).

    ``layers`` lists the layer groups in order; by default every group named
    ``layer_<n>``, ordered by n (as ``gmmmi ingest --layers`` names them).
    """
    found = description["groups"]
    if layers is None:
        numbered = [(int(m.group(1)), g) for g in found
                    if (m := re.fullmatch(r"layer_(\d+)", g))]
        layers = [g for _, g in sorted(numbered)]
        if len(layers) < 2:
            raise DatasetError("a flow analysis needs at least 2 layer groups (layer_0, "
                               "layer_1, ...; `gmmmi ingest --layers`) or a `layers` list; "
                               f"the dataset has {len(layers)}")
    layers = _as_list(layers)
    if len(layers) < 2 or len(set(layers)) != len(layers):
        raise DatasetError(f"a flow analysis needs 2 or more distinct layers, got {layers}")
    return layers[:-1], layers[1:]


def analysis_groups(description, analysis):
    """The (x groups, y groups) of one analysis of the workflow config, checked against
    the dataset: one-line :class:`DatasetError` for a group it does not have."""
    if analysis.get("kind") == "flow":
        x_groups, y_groups = flow_groups(description, analysis.get("layers"))
    else:
        x_groups, y_groups = _as_list(analysis["x"]), _as_list(analysis["y"])
    found = description["groups"]
    for g in x_groups + y_groups:
        if g not in found:
            raise DatasetError(f"the dataset has no group {g!r} (groups: {', '.join(found)})")
    return x_groups, y_groups


def plan_pairs(description, x_groups, y_groups, seed, kind="pairs"):
    """Every pair of an analysis in a fixed order.

    With the same groups on both sides only the upper triangle (x before y) is paired.
    A ``"flow"`` analysis pairs x group k only with y group k (adjacent layers).
    """
    found = description["groups"]
    for g in list(x_groups) + list(y_groups):
        if g not in found:
            raise DatasetError(f"the dataset has no group {g!r} (groups: {', '.join(found)})")

    def variables(group_names):
        return [(g, n, found[g]["kind"], f) for g in group_names
                for n, f in zip(found[g]["variables"], found[g]["fingerprints"])]

    xs, ys = variables(x_groups), variables(y_groups)
    symmetric = list(x_groups) == list(y_groups)
    pairs = []
    for i, (gx, nx, kx, fx) in enumerate(xs):
        for j, (gy, ny, ky, fy) in enumerate(ys):
            if kind == "flow" and list(y_groups).index(gy) != list(x_groups).index(gx):
                continue
            if not (symmetric and j <= i):
                pairs.append(Pair(gx, nx, kx, fx, gy, ny, ky, fy,
                                  pair_seed(seed, gx, nx, gy, ny)))
    return pairs


def plan_chunks(description, analysis, x_groups, y_groups, settings, n_chunks, kind="pairs"):
    """The manifests of an analysis: its pairs dealt round-robin into ``n_chunks``.

    ``kind`` is ``"pairs"`` (every x with every y) or ``"flow"`` (adjacent layers only;
    see :func:`flow_groups`).
    """
    if kind not in ("pairs", "flow"):
        raise ValueError(f"analysis kind must be 'pairs' or 'flow', got {kind!r}")
    x_groups, y_groups = _as_list(x_groups), _as_list(y_groups)
    settings = estimator_settings(settings)
    pairs = plan_pairs(description, x_groups, y_groups, settings["seed"], kind)
    found = description["groups"]
    return [{"analysis": analysis, "kind": kind, "chunk": i, "n_chunks": n_chunks,
             "settings": settings,
             "gmmmi_version": __version__, "code": code_fingerprint(),
             "x_variables": [[g, n] for g in x_groups for n in found[g]["variables"]],
             "y_variables": [[g, n] for g in y_groups for n in found[g]["variables"]],
             "pairs": pairs[i::n_chunks]}
            for i in range(n_chunks)]


def manifest_digest(manifest):
    """A digest of everything that decides a chunk's results."""
    return _digest(dict(manifest, pairs=[p.__dict__ for p in manifest["pairs"]]))[:32]


def parse_chunk(text):
    """``"2-of-4"`` (Snakemake's scatter item) -> (1, 4): zero-based index and count."""
    try:
        index, count = (int(v) for v in text.split("-of-"))
    except ValueError:
        raise ValueError(f"chunk must look like 2-of-4, got {text!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"chunk {text!r} is out of range")
    return index - 1, count


# --- one chunk -----------------------------------------------------------------------

def pair_memory_mb(n_samples):
    """About how much memory (MB) a worker needs to estimate one pair of ``n_samples``."""
    from ._fitting import WEIGHT_BUDGET_BYTES

    return math.ceil(WORKER_BASE_MB + (COLUMN_CACHE_BYTES + WEIGHT_BUDGET_BYTES
                                       + PAIR_BYTES_PER_SAMPLE * n_samples) / 2**20)


def plan_workers(n_samples, workers, memory_mb, log):
    """How many workers fit in ``memory_mb`` (None: no limit) with a pair each: the
    requested number, fewer (with more memory each; logged), or 0 when not even one."""
    if memory_mb is None:
        return workers
    need = pair_memory_mb(n_samples)
    fit = min(workers, memory_mb // need)
    if 0 < fit < workers:
        print(f"each pair of {n_samples:,} samples needs about {need:,} MB: running {fit} "
              f"worker{'s' if fit > 1 else ''} of {memory_mb // fit:,} MB instead of {workers} "
              f"of {memory_mb // workers:,} MB", file=log, flush=True)
    return fit


def run_chunk(dataset, manifest, out, *, cache_dir, workers=1, memory_mb=None,
              scheduler_address=None, log=sys.stderr):
    """Estimate every pair of one chunk ``manifest`` and write the chunk's results (JSON).

    Cached pairs are reused; the rest run as one Dask task each: on ``scheduler_address``
    if given, else on a local cluster of ``workers`` single-threaded processes (or in this
    process when ``workers`` is 1) sharing ``memory_mb`` MB. Workers are fewer when a pair
    needs more than its share (:func:`pair_memory_mb`); when not even one worker fits, the
    pairs get status ``out-of-memory`` (not cached). Returns (computed, reused) counts.
    """
    started = time.monotonic()
    settings = manifest["settings"]
    dataset = str(Path(dataset).resolve())  # workers of an external cluster start elsewhere
    cache = PairCache(cache_dir)
    pairs = manifest["pairs"]
    label = f"{manifest['analysis']} chunk {manifest['chunk'] + 1}/{manifest['n_chunks']}"
    results, todo = {}, []
    for pair in pairs:
        hit = cache.get(pair.cache_key(settings))
        if hit is None:
            todo.append(pair)
        else:
            results[pair] = (hit, False)
    print(f"{label}: {len(pairs)} pairs, {len(pairs) - len(todo)} cached, {len(todo)} to "
          f"estimate", file=log, flush=True)
    progress = _Progress(label, len(todo), log)
    n_samples = read_xarray(dataset).sizes.get("sample", 0) if todo else 0
    need = pair_memory_mb(n_samples)
    if scheduler_address is None:
        workers = plan_workers(n_samples, workers, memory_mb, log)
    lost = (f"its Dask worker was lost while estimating it, twice (out of memory? a pair of "
            f"{n_samples:,} samples needs about {need:,} MB per worker)")
    if workers == 0:
        lost = (f"a pair of {n_samples:,} samples needs about {need:,} MB, the chunk has "
                f"{memory_mb:,} MB: set chunk_resources.mem_mb to at least {need:,}")
        print(f"{label}: {lost}; its {len(todo)} pairs are marked {status.OUT_OF_MEMORY}",
              file=log, flush=True)
    estimated = (((pair, _not_estimated(settings, lost, status.OUT_OF_MEMORY)) for pair in todo)
                 if workers == 0 else
                 _estimate_all(dataset, todo, settings, workers,
                               memory_mb and f"{memory_mb // workers}MB", scheduler_address,
                               log, lost))
    for pair, result in estimated:
        if result["status"] not in status.RETRIED:
            cache.put(pair.cache_key(settings), result)
        results[pair] = (result, True)
        progress.step()
    rows = [{"pair": pair.__dict__, "computed": results[pair][1], **results[pair][0]}
            for pair in pairs]
    _write_json(Path(out), {key: manifest[key] for key in (
        "analysis", "kind", "chunk", "n_chunks", "settings", "x_variables", "y_variables")}
        | {"digest": manifest_digest(manifest), "results": rows,
           "seconds": time.monotonic() - started})
    return len(todo), len(pairs) - len(todo)


class PairCache:
    """Finished pair results as JSON files, addressed by content; written atomically."""

    def __init__(self, root):
        self.root = Path(root)

    def _path(self, key):
        return self.root / key[:2] / f"{key}.json"

    def get(self, key):
        try:
            return json.loads(self._path(key).read_text())
        except (OSError, ValueError):  # missing, or cut short by an interrupt
            return None

    def put(self, key, result):
        _write_json(self._path(key), result)


class _Progress:
    def __init__(self, label, total, log, every=10.0):
        self.label, self.total, self.log, self.every = label, total, log, every
        self.done, self.start, self.last = 0, time.monotonic(), time.monotonic()

    def step(self):
        self.done += 1
        now = time.monotonic()
        if self.done == self.total or now - self.last >= self.every:
            rate = self.done / max(now - self.start, 1e-9)
            left = (self.total - self.done) / rate if rate > 0 else math.inf
            print(f"{self.label}: {self.done}/{self.total} pairs estimated, {rate:.2f} pairs/s, "
                  f"about {left:.0f} s left", file=self.log, flush=True)
            self.last = now


def _estimate_all(dataset, pairs, settings, workers, memory_limit, scheduler_address, log,
                  lost_message):
    """Yield (pair, result) as pairs finish, in any order; a pair whose worker died (Dask's
    KilledWorker) gets status out-of-memory with ``lost_message``."""
    if not pairs:
        return
    cluster = None
    if scheduler_address is None:
        cluster = _local_cluster(workers, memory_limit, log) if workers > 1 else None
        if cluster is None:
            for pair in pairs:
                yield pair, estimate_pair(dataset, pair, settings)
            return
    from dask.distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    client = Client(cluster) if cluster is not None else Client(scheduler_address,
                                                                  timeout="60s")
    try:
        futures = {client.submit(estimate_pair, dataset, pair, settings, retries=2,
                                 key=f"gmmmi-pair-{pair.cache_key(settings)}"): pair
                   for pair in pairs}
        for future in as_completed(futures):
            try:
                result = future.result()
            except KilledWorker:
                print(f"{futures[future].name_x} x {futures[future].name_y}: {lost_message}",
                      file=log, flush=True)
                result = _not_estimated(settings, lost_message, status.OUT_OF_MEMORY)
            yield futures[future], result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _local_cluster(workers, memory_limit, log):
    """A local Dask cluster of ``workers`` single-threaded processes, started with retries.

    A worker killed while the cluster starts (an OOM kill, a flaky node) fails the whole
    start; it is tried again, then with half the workers, and when not even two workers
    start, None: the pairs then run in this process. Each fallback is logged.
    """
    import dask
    from dask.distributed import LocalCluster

    for name in THREAD_VARIABLES:  # worker processes inherit these, see STACK notes
        os.environ[name] = "1"
    attempts = [workers, workers] + [n for n in (workers // 2, workers // 4) if n >= 2]
    # Pairs hold no Dask-managed data: spilling and pausing do not apply (a paused worker
    # would sit idle), and a pair whose worker died once more is not tried again.
    settings = {"distributed.scheduler.allowed-failures": 1,
                "distributed.worker.memory.target": False,
                "distributed.worker.memory.spill": False,
                "distributed.worker.memory.pause": False}
    for attempt, n in enumerate(attempts):
        try:
            with dask.config.set(settings):
                return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                    memory_limit=memory_limit or "auto",
                                    dashboard_address="127.0.0.1:0", host="127.0.0.1")
        except Exception as exc:  # noqa: BLE001 - any start failure has the same remedy
            following = attempts[attempt + 1] if attempt + 1 < len(attempts) else None
            then = (f"trying again with {following} workers" if following
                    else "running the pairs in this process instead")
            print(f"warning: a local Dask cluster of {n} workers failed to start "
                  f"({type(exc).__name__}: {first_line(exc)}); {then}",
                  file=log, flush=True)
    return None


_COLUMNS = {}
_OPENED = {}


def _column(dataset, group, name, fingerprint, kind):
    """One variable's values, checked against the fingerprint the plan recorded.

    The store is opened (and its chunks checked) once per process; when a read fails
    or does not match, the handle may be stale (the store rewritten since), so it is
    reopened once first.
    """
    key = (str(dataset), group, name, fingerprint)
    if key not in _COLUMNS:
        try:
            values = _read_column(dataset, group, name)
        except DatasetError:
            values = None
        if values is None or variable_fingerprint(values, kind) != fingerprint:
            _OPENED.pop(str(dataset), None)
            values = _read_column(dataset, group, name)
            if variable_fingerprint(values, kind) != fingerprint:
                raise DatasetError(f"{dataset}: {group}/{name} changed since the plan was "
                                   f"made; run the workflow again")
        if sum(v.nbytes for v in _COLUMNS.values()) + values.nbytes > COLUMN_CACHE_BYTES:
            _COLUMNS.clear()
        _COLUMNS[key] = values
    return _COLUMNS[key]


def _read_column(dataset, group, name):
    if str(dataset) not in _OPENED:
        _OPENED[str(dataset)] = read_xarray(dataset)
    ds = _OPENED[str(dataset)]
    dim = ds[group].dims[1]
    return load_values(ds[group].isel({dim: _index(ds, group, name)}), str(dataset))


def _index(ds, group, name):
    return list(groups(ds)[group].variables).index(name)


def estimate_pair(dataset, pair, settings):
    """The MI of one pair as a JSON-ready dict (``MIResult.to_dict``)."""
    if "distributed" in sys.modules:  # inside a Dask worker: one thread per task
        import numba
        from distributed import get_worker
        try:
            get_worker()
            numba.set_num_threads(1)
        except ValueError:
            pass
    x = _column(dataset, pair.group_x, pair.name_x, pair.fingerprint_x, pair.kind_x)
    y = _column(dataset, pair.group_y, pair.name_y, pair.fingerprint_y, pair.kind_y)
    if pair.kind_x == "categorical" and pair.kind_y == "categorical":
        return _not_estimated(settings, "both variables are categorical")
    if pair.kind_x == "categorical":
        x, y = y, x
    options = {k: settings[k] for k in SETTING_NAMES}
    estimator = GMMMI(categorical="categorical" in (pair.kind_x, pair.kind_y),
                      n_bootstrap=settings["n_bootstrap"], seed=pair.seed, **options)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the status carries what the warning says
            estimator.fit(x, y)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        # one pair's failure must not stop the others; it is not cached
        return _not_estimated(settings, f"{type(exc).__name__}: {exc}", status.FAILED)
    return estimator.result_.to_dict() | {"seconds": time.perf_counter() - start,
                                          "model": fitted_model(estimator)}


def fitted_model(estimator):
    """The selected mixture(s) and CV scores of a fitted ``GMMMI``, JSON-ready.

    Mixtures live in the space the estimator fitted (after its ``transform``);
    a categorical pair has one 1-D mixture per category label.
    """
    def scores(table):
        return {str(k): (v if math.isfinite(v) else None) for k, v in table.items()}

    if estimator.mixture_ is not None:
        return {"transform": estimator.transform, "mixture": estimator.mixture_.to_dict(),
                "cv_scores": scores(estimator.cv_scores_)}
    if estimator.mixtures_:
        return {"transform": estimator.transform,
                "mixtures": {str(label): m.to_dict() for label, m in estimator.mixtures_.items()},
                "cv_scores": {str(label): scores(table)
                              for label, table in estimator.cv_scores_.items()}}
    return None


def _not_estimated(settings, message, word=status.NOT_ESTIMATED):
    return {"quantity": "mi", "value": None, "std": None, "low": None, "high": None,
            "unit": "nat", "n_components": 0,
            "status": word, "message": message, "n_samples": 0,
            "n_dropped": 0, "bootstrap": [None] * settings["n_bootstrap"],
            "settings": settings, "details": {}, "seconds": 0.0, "model": None}


# --- gather --------------------------------------------------------------------------

def gather(chunk_paths, out, *, dataset=None, overwrite=True):
    """Assemble the chunk results of one analysis into ``mi.zarr``; returns the Dataset."""
    import xarray as xr

    from .dataset import write_dataset

    chunks = [_read_chunk(p) for p in chunk_paths]
    if not chunks:
        raise ValueError("no chunk results to gather")
    first = chunks[0]
    analysis, settings = first["analysis"], first["settings"]
    if sorted(c["chunk"] for c in chunks) != list(range(first["n_chunks"])) or any(
            c["analysis"] != analysis or c["settings"] != settings for c in chunks):
        raise ValueError(f"chunk results of {analysis!r} do not belong to one plan; "
                         f"run the workflow again")
    rows = [row for chunk in chunks for row in chunk["results"]]
    xs = [tuple(v) for v in first["x_variables"]]
    ys = [tuple(v) for v in first["y_variables"]]
    symmetric = xs == ys
    ix = {v: i for i, v in enumerate(xs)}
    iy = {v: i for i, v in enumerate(ys)}
    n_boot = settings["n_bootstrap"]
    shape = (len(xs), len(ys))
    mi, std = np.full(shape, np.nan), np.full(shape, np.nan)
    low, high = np.full(shape, np.nan), np.full(shape, np.nan)
    boot = np.full(shape + (n_boot,), np.nan)
    n_components = np.zeros(shape, dtype=np.int64)
    n_samples = np.zeros(shape, dtype=np.int64)
    n_dropped = np.zeros(shape, dtype=np.int64)
    seconds = np.zeros(shape)
    kind = first.get("kind", "pairs")
    statuses = np.full(shape, status.DIAGONAL if symmetric else
                       status.NOT_ADJACENT if kind == "flow" else status.NOT_ESTIMATED,
                       dtype=object)
    message = np.full(shape, "", dtype=object)
    model = np.full(shape, "", dtype=object)
    fingerprints, kinds = {}, {}
    for row in rows:
        p = row["pair"]
        key_x, key_y = (p["group_x"], p["name_x"]), (p["group_y"], p["name_y"])
        fingerprints[key_x], fingerprints[key_y] = p["fingerprint_x"], p["fingerprint_y"]
        kinds[key_x], kinds[key_y] = p["kind_x"], p["kind_y"]
        cells = [(ix[key_x], iy[key_y])]
        if symmetric:
            cells.append((ix[key_y], iy[key_x]))
        for i, j in cells:
            mi[i, j] = _number(row["value"])
            std[i, j] = _number(row["std"])
            low[i, j] = _number(row.get("low"))
            high[i, j] = _number(row.get("high"))
            boot[i, j] = [_number(v) for v in row["bootstrap"]]
            n_components[i, j] = row["n_components"]
            n_samples[i, j] = row["n_samples"]
            n_dropped[i, j] = row["n_dropped"]
            statuses[i, j] = row["status"]
            message[i, j] = row["message"]
            seconds[i, j] = row["seconds"]
            model[i, j] = json.dumps(row["model"]) if row["model"] else ""
    dims = ("var_x", "var_y")
    coords = {
        "var_x": np.array([n for _, n in xs], dtype=object),
        "var_y": np.array([n for _, n in ys], dtype=object),
        "group_x": ("var_x", np.array([g for g, _ in xs], dtype=object)),
        "group_y": ("var_y", np.array([g for g, _ in ys], dtype=object)),
        "kind_x": ("var_x", np.array([kinds.get(v, "") for v in xs], dtype=object)),
        "kind_y": ("var_y", np.array([kinds.get(v, "") for v in ys], dtype=object)),
        "fingerprint_x": ("var_x", np.array([fingerprints.get(v, "") for v in xs], dtype=object)),
        "fingerprint_y": ("var_y", np.array([fingerprints.get(v, "") for v in ys], dtype=object)),
    }
    result = xr.Dataset(
        {"mi": (dims, mi, {"unit": "nat", "long_name": "mutual information"}),
         "mi_std": (dims, std, {"unit": "nat", "long_name": "standard deviation (at least "
                                "the 95% interval's half width / 1.96)"}),
         "mi_low": (dims, low, {"unit": "nat", "long_name": "lower end of the 95% interval"}),
         "mi_high": (dims, high, {"unit": "nat", "long_name": "upper end of the 95% interval"}),
         "mi_bootstrap": (dims + ("bootstrap",), boot, {"unit": "nat"}),
         "n_components": (dims, n_components),
         "status": (dims, statuses),
         "n_samples": (dims, n_samples),
         "n_dropped": (dims, n_dropped),
         "message": (dims, message, {"long_name": "why the status is not ok"}),
         "seconds": (dims, seconds, {"unit": "s", "long_name": "time to estimate the pair"}),
         "model": (dims, model, {"long_name": "selected mixtures and CV scores (JSON)"})},
        coords=coords,
        attrs={"analysis": analysis, "gmmmi_version": __version__,
               "settings": json.dumps(settings, sort_keys=True),
               "fingerprint": _digest(sorted(f"{g}/{n}:{f}" for (g, n), f in fingerprints.items())),
               "symmetric": int(symmetric), "unit": "nat", "kind": kind,
               "dataset": str(dataset) if dataset else "",
               "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
               "chunk_seconds": json.dumps([c.get("seconds") for c in chunks]),
               "computed_pairs": sum(bool(row["computed"]) for row in rows)})
    if dataset is not None:
        source = read_xarray(dataset)
        truth = _truth(source, xs, ys)
        if truth is not None:
            result["true_mi"] = (dims, truth, {"unit": "nat", "long_name": "known true MI"})
        for axis, variables in (("x", xs), ("y", ys)):
            if any(kinds.get(v) == "categorical" for v in variables):
                result[f"entropy_{axis}"] = (
                    f"var_{axis}", [_entropy(source, *v) if kinds.get(v) == "categorical"
                                    else math.nan for v in variables],
                    {"unit": "nat", "long_name": "entropy of the categorical variable"})
    write_dataset(result, out, overwrite=overwrite)
    return result


CHUNK_KEYS = ("analysis", "chunk", "n_chunks", "settings", "x_variables", "y_variables",
              "results")
MATRIX_VARIABLES = ("mi", "mi_std", "status", "mi_bootstrap", "var_x", "var_y")


def _read_chunk(path):
    """One chunk result (``run_chunk``'s JSON), with a one-line error naming the file."""
    try:
        chunk = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc.strerror})") from None
    except ValueError:
        chunk = None
    if not isinstance(chunk, dict) or not all(key in chunk for key in CHUNK_KEYS):
        raise ValueError(f"{path}: not a chunk result of gmmmi run-chunk (cut short? run the "
                         f"workflow again)")
    return chunk


def read_matrix(path):
    """An ``mi.zarr`` written by :func:`gather`; one-line error for anything else."""
    matrix = read_xarray(path)
    missing = [name for name in MATRIX_VARIABLES if name not in matrix.variables]
    if missing:
        raise DatasetError(f"{path}: not an MI matrix (no {missing[0]!r}; a matrix is "
                           f"results/<analysis>/mi.zarr, not a dataset)")
    return matrix


def intervals(matrix):
    """(low, high) arrays of every cell's 95% interval in an mi.zarr Dataset.

    Matrices gathered before the interval was stored get the bootstrap's percentiles.
    """
    if "mi_low" in matrix:
        return matrix["mi_low"].values, matrix["mi_high"].values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # cells without bootstrap
        low, high = np.nanpercentile(matrix["mi_bootstrap"].values, [2.5, 97.5], axis=-1)
    return low, high


def _truth(ds, xs, ys):
    """The dataset's known MI for each (x, y) cell, or None when it stores none."""
    table = np.full((len(xs), len(ys)), np.nan)
    found = False
    for gx in dict.fromkeys(g for g, _ in xs):
        for gy in dict.fromkeys(g for g, _ in ys):
            part = true_mi(ds, gx, gy)
            if part is None:
                continue
            found = True
            where_x = {n: i for i, n in enumerate(part["var_x"].values.tolist())}
            where_y = {n: j for j, n in enumerate(part["var_y"].values.tolist())}
            rows = [(i, where_x[n]) for i, (g, n) in enumerate(xs) if g == gx and n in where_x]
            cols = [(j, where_y[n]) for j, (g, n) in enumerate(ys) if g == gy and n in where_y]
            if rows and cols:
                (ri, rs), (ci, cs) = zip(*rows), zip(*cols)
                table[np.ix_(ri, ci)] = part.values[np.ix_(rs, cs)]
    return table if found else None


def _entropy(ds, group, name):
    """Entropy (nats) of a categorical variable's labels, missing labels left out."""
    from ._validation import labels

    dim = ds[group].dims[1]
    codes, _ = labels(name, ds[group].isel({dim: _index(ds, group, name)}).values)
    counts = np.bincount(codes[codes >= 0])
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _number(value):
    return math.nan if value is None else float(value)


def _as_list(groups_):
    return [groups_] if isinstance(groups_, str) else list(groups_)


def _write_json(path, obj):
    with replacing(path) as staging:
        staging.write_text(json.dumps(obj, default=_json_default))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


