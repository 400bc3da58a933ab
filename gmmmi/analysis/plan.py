"""Plan an analysis: its pairs in a fixed order, seeded by name, dealt into chunks.

A *plan* lists every pair of an analysis with the content fingerprint of each variable
(:func:`gmmmi.data.store.describe_dataset`) and a seed derived from the analysis seed
and the pair's names (never from chunking or scheduling), and deals the pairs, in the
order of their seeds, round-robin into chunk manifests. A manifest's digest covers
everything that decides its results: the workflow reruns a chunk exactly when its
digest changes. :func:`plan_analysis` is
the one entry point, for the workflow (``common.smk``, at DAG build) and ``run-chunk``.
"""

import dataclasses
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..core.settings import make_settings
from ..data.dataset import DatasetError
from . import kinds
from .matrix import SET

# The code that decides a pair's numbers: the estimator core and the status words. A
# change to it (or a new version) recomputes every cached pair; the report, flow and
# workflow code do not.
NUMERIC_CODE = ("core/*.py", "core/engine/*.py", "status.py")


@dataclass(frozen=True)
class Pair:
    """One pair of an analysis: (group, name, kind) for x and y, fingerprints and seed.

    In a ``"sets"`` analysis x is a set of variables: group and kind ``"set"``, its name,
    the fingerprint of its members, and ``members_x``, the (group, name, fingerprint) of
    each member in order (their columns are x's columns); so may y be (``members_y``).
    """

    group_x: str
    name_x: str
    kind_x: str
    fingerprint_x: str
    group_y: str
    name_y: str
    kind_y: str
    fingerprint_y: str
    seed: int
    members_x: tuple = ()
    members_y: tuple = ()

    @property
    def n_columns(self):
        """Columns of x and y together: one per variable, one per member of a set."""
        return max(1, len(self.members_x)) + max(1, len(self.members_y))

    def fields(self):
        """The pair as a JSON-ready dict (``members_x``/``_y`` only for a set)."""
        return {k: v for k, v in self.__dict__.items() if not k.startswith("members") or v}

    def cache_key(self, settings):
        """The content address of this pair's result under ``settings`` and this code."""
        return _digest({"code": _code_fingerprint(), "settings": settings, "seed": self.seed,
                        "x": [self.kind_x, self.fingerprint_x],
                        "y": [self.kind_y, self.fingerprint_y]})


def plan_analysis(description, name, spec, settings, n_chunks, slots=1):
    """The chunk manifests of analysis ``name`` of the workflow config.

    ``spec`` is its config entry: ``{"x": groups, "y": groups}`` (every x with every
    y) or ``{"kind": "flow", "layers": [...]}`` (adjacent layers; ``layers`` optional)
    or ``{"kind": "sets", "sets": {name: members}, "y": groups or sets}`` (each set of
    variables, as one vector, with every variable of y's groups and with y's sets; see
    :func:`_set_members`).
    ``n_chunks`` is a number or ``"auto"`` (:func:`chunk_count` for ``slots`` job slots).
    """
    x_groups, y_groups = analysis_groups(description, spec)
    kind = kinds.of(spec)
    sets = _set_members(description, spec["sets"]) if kind == kinds.SETS else None
    y_sets = [y for y in _as_list(spec.get("y") or []) if y in sets] if sets else []
    return plan_chunks(description, name, x_groups, y_groups, settings, n_chunks, kind, slots,
                       sets=sets, y_sets=y_sets)


def chunk_count(setting, n_pairs, slots):
    """How many chunks an analysis of ``n_pairs`` pairs (None: not known yet) is split
    into: ``setting`` when it is a number; when ``"auto"``, one per job slot (the
    workflow's cores divided by a job's threads, or its jobs under a cluster executor),
    so that every core has a job; either way no more than the pairs (chunks: 100000
    would plan that many jobs, almost all empty)."""
    wanted = int(slots) if setting == "auto" else int(setting)
    return max(1, min(wanted, n_pairs if n_pairs is not None else wanted))


def analysis_groups(description, analysis):
    """The (x groups, y groups) of one analysis of the workflow config, checked against
    the dataset: one-line :class:`DatasetError` for a group it does not have."""
    if kinds.of(analysis) == kinds.FLOW:
        x_groups, y_groups = flow_groups(description, analysis.get("layers"))
    elif kinds.of(analysis) == kinds.SETS:
        members = _set_members(description, analysis.get("sets") or {})
        if not analysis.get("y"):
            raise ValueError("a sets analysis needs y: the groups (or sets) to pair its "
                             "sets with")
        x_groups = list(dict.fromkeys(g for found in members.values() for g, _, _ in found))
        y_groups = [y for y in _as_list(analysis["y"], "y") if y not in members]
    elif "x" in analysis and "y" in analysis:
        x_groups, y_groups = _as_list(analysis["x"], "x"), _as_list(analysis["y"], "y")
        for side, listed in (("x", x_groups), ("y", y_groups)):
            twice = sorted({g for g in listed if listed.count(g) > 1}, key=str)
            if twice:  # each variable would be paired with itself
                raise ValueError(f"{side} names group {twice[0]!r} twice")
    else:
        raise ValueError("an analysis needs x and y groups, or kind: flow")
    found = description["groups"]
    for g in x_groups + y_groups:
        if g not in found:
            raise DatasetError(f"the dataset has no group {g!r} (groups: {', '.join(found)})")
    return x_groups, y_groups


def widest_pair(description, analyses):
    """The most columns a pair of ``analyses`` (the workflow config's) has, x and y
    together: 2, unless a sets analysis pairs sets (of their members' number)."""
    widest = 2
    for analysis in analyses.values():
        if kinds.of(analysis) != kinds.SETS:
            continue
        sizes = {name: len(found) for name, found in
                 _set_members(description, analysis.get("sets") or {}).items()}
        y = [sizes.get(name, 1) for name in _as_list(analysis.get("y") or [], "y")]
        widest = max(widest, max(sizes.values(), default=1) + max(y, default=1))
    return widest


def _set_members(description, sets):
    """{set name: ((group, name, fingerprint), ...)}: each set's members, in order.

    A set's entry is a group (all its variables) or a list of variables, each
    ``group/name`` or a bare ``name`` that only one group has. Members must be continuous.
    One-line :class:`DatasetError` for a member the dataset does not have.
    """
    if not isinstance(sets, dict):
        raise DatasetError(f"sets must map set names to their members, such as "
                           f"{{'shape': ['z1', 'z3']}}; got {type(sets).__name__}")
    found = description["groups"]
    resolved = {}
    for set_name, entry in sets.items():
        if isinstance(entry, str) and entry in found:
            wanted = [(entry, v) for v in found[entry]["variables"]]
        else:
            wanted = [_member(found, set_name, text) for text in _as_list(entry)]
        members = []
        for group, name in wanted:
            if found[group]["kind"] != "continuous":
                raise DatasetError(f"set {set_name!r}: {group}/{name} is categorical; a set "
                                   f"holds continuous variables")
            index = found[group]["variables"].index(name)
            members.append((group, name, found[group]["fingerprints"][index]))
        if len(set(members)) != len(members):
            raise DatasetError(f"set {set_name!r} names a variable twice")
        resolved[set_name] = tuple(members)
    if not resolved:
        raise DatasetError("a sets analysis needs at least one set")
    return resolved


def _member(found, set_name, text):
    group, _, name = text.rpartition("/")
    if group:
        if group not in found or name not in found[group]["variables"]:
            raise DatasetError(f"set {set_name!r}: the dataset has no variable {text!r}")
        return group, name
    groups = [g for g, spec in found.items() if text in spec["variables"]]
    if len(groups) != 1:
        raise DatasetError(f"set {set_name!r}: " + (
            f"the dataset has no variable or group {text!r}" if not groups else
            f"{text!r} is in groups {', '.join(groups)}; write group/{text}"))
    return groups[0], text


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


def _plan_pairs(description, x_groups, y_groups, seed, kind=kinds.PAIRS, sets=None, y_sets=()):
    """Every pair of an analysis in a fixed order.

    A ``"sets"`` analysis pairs each set of ``sets`` (:func:`_set_members`) with each
    variable of ``y_groups`` that is not one of its members, and each member on its own
    with the same variables (so that a set's gain over its best member can be read); and
    each set with each of ``y_sets`` that shares no variable with it, once per two sets.

    With the same groups on both sides only the upper triangle (x before y) is paired.
    A ``"flow"`` analysis pairs x group k only with y group k (adjacent layers), and the
    inputs and the first hidden layer with the outputs, for the attributions
    (``gmmmi.analysis.flow``).
    """
    found = description["groups"]
    for g in list(x_groups) + list(y_groups):
        if g not in found:
            raise DatasetError(f"the dataset has no group {g!r} (groups: {', '.join(found)})")

    def variables(group_names):
        return [(g, n, found[g]["kind"], f) for g in group_names
                for n, f in zip(found[g]["variables"], found[g]["fingerprints"])]

    xs, ys = variables(x_groups), variables(y_groups)
    if kind == kinds.SETS:
        return _set_pairs(sets, ys, y_sets, seed)
    symmetric = list(x_groups) == list(y_groups)
    pairs = []
    for i, (gx, nx, kx, fx) in enumerate(xs):
        for j, (gy, ny, ky, fy) in enumerate(ys):
            adjacent = list(y_groups).index(gy) == list(x_groups).index(gx)
            if kind == kinds.FLOW and not (adjacent or (gy == y_groups[-1] and gx in x_groups[:2])):
                continue
            if not (symmetric and j <= i):
                pairs.append(Pair(gx, nx, kx, fx, gy, ny, ky, fy,
                                  pair_seed(seed, gx, nx, gy, ny)))
    return pairs


def plan_chunks(description, analysis, x_groups, y_groups, settings, n_chunks, kind=kinds.PAIRS,
                slots=1, sets=None, y_sets=()):
    """The manifests of an analysis: its pairs dealt round-robin into ``n_chunks`` (a
    number, or ``"auto"``: :func:`chunk_count` for ``slots``).

    ``kind`` (:mod:`gmmmi.analysis.kinds`) is ``"pairs"`` (every x with every y),
    ``"flow"`` (adjacent layers only; see :func:`flow_groups`) or ``"sets"`` (each of
    ``sets`` with every y, and with ``y_sets``).
    """
    kinds.check(kind)
    x_groups, y_groups = _as_list(x_groups), _as_list(y_groups)
    settings = estimator_settings(settings)
    pairs = _plan_pairs(description, x_groups, y_groups, settings["seed"], kind, sets, y_sets)
    n_chunks = chunk_count(n_chunks, len(pairs), slots)
    # dealt in the order of their seeds (pseudo-random, from names): a pair's cost follows
    # its variables, and dealing in plan order would hand one chunk a whole row of costly ones
    dealt = sorted(pairs, key=lambda p: (p.seed, p.group_x, p.name_x, p.group_y, p.name_y))
    found = description["groups"]
    return [{"analysis": analysis, "kind": kind, "chunk": i, "n_chunks": n_chunks,
             "settings": settings,
             "gmmmi_version": __version__, "code": _code_fingerprint(),
             "x_variables": _set_rows(sets) if kind == kinds.SETS else
             [[g, n] for g in x_groups for n in found[g]["variables"]],
             "y_variables": [[g, n] for g in y_groups for n in found[g]["variables"]]
             + [[SET, name] for name in y_sets],
             "pairs": dealt[i::n_chunks]}
            | ({"sets": {name: [f"{g}/{n}" for g, n, _ in members]
                         for name, members in sets.items()}} if kind == kinds.SETS else {})
            for i in range(n_chunks)]


def manifest_digest(manifest):
    """A digest of everything that decides a chunk's results."""
    return _digest(dict(manifest, pairs=[p.fields() for p in manifest["pairs"]]))[:32]


def parse_chunk(text):
    """``"2-of-4"`` (Snakemake's scatter item) -> (1, 4): zero-based index and count."""
    try:
        index, count = (int(v) for v in text.split("-of-"))
    except ValueError:
        raise ValueError(f"chunk must look like 2-of-4, got {text!r}") from None
    if not 1 <= index <= count:
        raise ValueError(f"chunk {text!r} is out of range")
    return index - 1, count


def estimator_settings(settings):
    """The full, canonical estimator settings of an analysis (defaults filled in), with a
    one-line ``ValueError`` for an unknown name or a bad value. ``unit`` is not one of
    them: matrices are in nats."""
    return dataclasses.asdict(make_settings(settings))


@functools.cache
def _code_fingerprint():
    """gmmmi's version and a hash of the code that decides a pair's numbers
    (``NUMERIC_CODE``): cached results never outlive a change to it."""
    h = hashlib.sha256(__version__.encode())
    root = Path(__file__).resolve().parent.parent
    for path in sorted(p for pattern in NUMERIC_CODE for p in root.glob(pattern)):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def _set_pairs(sets, ys, y_sets, seed):
    """The pairs of a sets analysis (see :func:`_plan_pairs`)."""
    pairs = []
    for name, members in sets.items():
        own = {(g, n) for g, n, _ in members}
        pairs += [Pair(SET, name, SET, _set_fingerprint(members), gy, ny, ky, fy,
                       pair_seed(seed, SET, name, gy, ny), members)
                  for gy, ny, ky, fy in ys if (gy, ny) not in own]
    singles = dict.fromkeys(m for members in sets.values() for m in members)
    pairs += [Pair(gx, nx, "continuous", fx, gy, ny, ky, fy, pair_seed(seed, gx, nx, gy, ny))
              for gx, nx, fx in singles for gy, ny, ky, fy in ys if (gx, nx) != (gy, ny)]
    # set x set, once per two sets; never two sharing a variable (unbounded information)
    seen = set()
    for a, members_a in sets.items():
        for b in y_sets:
            members_b = sets[b]
            if a == b or frozenset((a, b)) in seen or \
                    {m[:2] for m in members_a} & {m[:2] for m in members_b}:
                continue
            seen.add(frozenset((a, b)))
            pairs.append(Pair(SET, a, SET, _set_fingerprint(members_a), SET, b, SET,
                              _set_fingerprint(members_b), pair_seed(seed, SET, a, SET, b),
                              members_a, members_b))
    return pairs


def _set_rows(sets):
    """The rows of a sets analysis: the sets, then each member variable once."""
    members = dict.fromkeys((g, n) for found in sets.values() for g, n, _ in found)
    return [[SET, name] for name in sets] + [list(m) for m in members]


def _set_fingerprint(members):
    """The content fingerprint of a set: its members' names and fingerprints, in order."""
    return _digest([list(m) for m in members])[:32]


def pair_seed(seed, group_x, name_x, group_y, name_y):
    """The seed of one pair: from the analysis seed and the pair's names only."""
    text = json.dumps([int(seed), group_x, name_x, group_y, name_y])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")


def _digest(obj):
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _as_list(groups_, side="x"):
    if isinstance(groups_, str):
        return [groups_]
    if not isinstance(groups_, (list, tuple)) or not all(isinstance(g, str) for g in groups_):
        raise ValueError(f"{side} must name a group or a list of groups, got {groups_!r}")
    return list(groups_)
