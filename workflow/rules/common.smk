# The config (read safely, validated, defaults filled in) and what the rules look up in it:
# paths, the dataset's description, the plans, the jobs' resources and params. Nothing
# here removes or changes a file (it only caches the dataset's description): what a run
# does besides its jobs is in run.smk.
import json
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from gmmmi.config import ConfigError, config_problems, read_config, typed_values
from gmmmi.data.dataset import DatasetError
from gmmmi.data.store import describe_dataset
from gmmmi.analysis import kinds
from gmmmi.analysis.cluster import FOLDER as DASK_FOLDER, SCHEDULER_FILE
from gmmmi.analysis.memory import pair_memory_mb
from gmmmi.analysis.plan import (chunk_count, manifest_digest, parse_chunk, plan_analysis,
                                 widest_pair)

SCHEMA = "../schemas/config.schema.yaml"


for _file in workflow.configfiles:  # Snakemake's loader keeps duplicate keys and aliases
    try:
        read_config(_file)
    except ConfigError as exc:
        raise WorkflowError(str(exc)) from None
config.update(typed_values(config, workflow.source_path(SCHEMA)))
_problems = config_problems(config, workflow.source_path(SCHEMA))
if _problems:
    raise WorkflowError("invalid config (see docs/user-guide/configuration.md):\n"
                        + "\n".join(f"  {p}" for p in _problems))
validate(config, SCHEMA)  # fills in the schema's defaults

DATASET = config["dataset"]
ANALYSES = config["analyses"]
FLOW_ANALYSES = [name for name, spec in ANALYSES.items() if kinds.of(spec) == kinds.FLOW]
COMPARISONS = config["comparisons"]
CACHE = "results/.cache"
SPLIT = f"{CACHE}/split.json"  # the last run's chunk counts (see chunk_setting)


def python():
    """The interpreter that runs gmmmi: this one, unless rules run in conda envs."""
    methods = {str(m).lower() for m in workflow.deployment_settings.deployment_method}
    return "python" if any("conda" in m for m in methods) else shlex.quote(sys.executable)


PYTHON = python()


def description():
    """The dataset's groups, samples and fingerprints (cached by its files' signature);
    None while it does not exist yet (the demo, written by the workflow)."""
    if not os.path.exists(DATASET):
        return None
    try:
        return describe_dataset(DATASET, f"{CACHE}/datasets")
    except DatasetError as exc:
        raise WorkflowError(str(exc)) from None


def chunk_threads():
    """Threads per chunk job: the config's, or a `--set-threads` override; auto = 1 (a
    job runs its pairs in its own process; more jobs keep the cores busy)."""
    threads = config["chunk_resources"]["threads"]
    override = workflow.resource_settings.overwrite_threads.get("estimate_chunk")
    if override is not None:
        threads = getattr(override, "value", override)
    return 1 if threads == "auto" else int(threads)


def job_slots():
    """How many chunk jobs run at once: --jobs under a cluster executor (each job gets its
    own cores), else --cores // a job's threads. None where neither is known: a job on a
    cluster node, `--report`, or `-n` without --cores (Snakemake then says 1 core)."""
    resources = workflow.resource_settings
    if workflow.remote_exec or workflow.subprocess_exec:
        return None
    if resources.nodes:
        return resources.nodes
    if workflow.output_settings.dryrun and resources.cores == 1 and os.path.exists(SPLIT):
        return None
    return resources.cores and max(1, resources.cores // max(1, min(THREADS, resources.cores)))


def chunk_memory():
    """mem_mb per chunk job: the config's, or (auto) what the widest pair of the dataset's
    size needs per thread (gmmmi.analysis.memory.pair_memory_mb), in whole 100 MB."""
    memory = config["chunk_resources"]["mem_mb"]
    if memory != "auto":
        return int(memory)
    found = description()
    samples = found["n_samples"] if found else (
        config["demo"]["samples"] if DATASET == config["demo"]["path"] else 0)
    try:
        columns = widest_pair(found, ANALYSES) if found else 2
    except (DatasetError, ValueError):
        columns = 2  # the plan rule reports the analysis's error in one line
    return 100 * -(-pair_memory_mb(samples, columns) * THREADS // 100)


THREADS = chunk_threads()
SLOTS = job_slots()
MEMORY = chunk_memory()
_plans = {}


def chunk_setting(analysis):
    """The `chunks` setting; when auto without job slots (a job on a cluster node, which
    does not know --jobs; `--report` or `--summary` without --cores), the split of the
    last run, recorded in SPLIT."""
    if SLOTS is not None or config["chunks"] != "auto":
        return config["chunks"]
    try:
        return int(json.loads(open(SPLIT).read())[analysis])
    except (OSError, ValueError, KeyError):
        if workflow.remote_exec:
            raise WorkflowError(f"{SPLIT}: no chunk count for {analysis}; run the workflow "
                                f"again from its main command") from None
        return "auto"


def plan(analysis, count=None):
    """An analysis's chunk manifests (gmmmi.analysis.plan), split into ``count`` chunks or
    by the config's `chunks` (auto: one per job slot); planned once per run. None while
    the dataset does not exist."""
    if (analysis, count) not in _plans:
        found = description()
        if found is None:
            return None
        try:
            manifests = plan_analysis(found, analysis, ANALYSES[analysis], config["estimator"],
                                      count or chunk_setting(analysis), SLOTS or 1)
        except (DatasetError, ValueError) as exc:
            raise WorkflowError(f"analysis {analysis}: {exc}") from None
        _plans[analysis, count] = _plans[analysis, len(manifests)] = manifests
    return _plans[analysis, count]


def chunk_names(analysis):
    """The chunk names of an analysis (1-of-N ... N-of-N), as gather expects them."""
    manifests = plan(analysis)
    count = len(manifests) if manifests else chunk_count(chunk_setting(analysis), None, SLOTS or 1)
    return [f"{i}-of-{count}" for i in range(1, count + 1)]


def chunk_digest(wildcards):
    """The digest of one chunk's plan; 'pending' while the dataset does not exist yet
    (its chunks then rerun once on the next run, reusing every cached pair)."""
    index, count = parse_chunk(wildcards.chunk)
    manifests = plan(wildcards.analysis, count)
    return "pending" if manifests is None else manifest_digest(manifests[index])


def analysis_spec(wildcards):
    return json.dumps(ANALYSES[wildcards.analysis], sort_keys=True)


def chunk_settings(wildcards):
    """One chunk's estimator settings as planned (every default filled in and checked),
    for its job; the config's block while the dataset does not exist yet."""
    index, count = parse_chunk(wildcards.chunk)
    manifests = plan(wildcards.analysis, count)
    settings = config["estimator"] if manifests is None else manifests[index]["settings"]
    return json.dumps(settings, sort_keys=True)


def scheduler_option(wildcards):
    """run-chunk's options for a Dask cluster: the run's own (its scheduler file), or an
    existing one (its address and TLS files)."""
    dask = config["dask"]
    if dask.get("cluster"):
        return f"--scheduler-file {shlex.quote(os.path.join(DASK_FOLDER, SCHEDULER_FILE))}"
    if not dask.get("scheduler_address"):
        return ""
    options = [f"--scheduler {shlex.quote(dask['scheduler_address'])}"]
    for key in ("tls_ca_file", "tls_cert", "tls_key"):
        if dask.get(key):
            options.append(f"--{key.replace('_', '-')} {shlex.quote(dask[key])}")
    return " ".join(options)


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
    chunk=r"\d+-of-\d+",


def compared_matrix(name, side):
    """The mi.zarr a comparison names on ``side`` (before or after): an analysis of this
    config, or a path."""
    given = COMPARISONS[name][side]
    return f"results/{given}/mi.zarr" if given in ANALYSES else given


def reported_folder(analysis):
    """Where the report keeps the matrices it showed (report.since_previous), as the
    report command's option."""
    if not config["report"]["since_previous"]:
        return ""
    return f"--previous results/{analysis}/.reported"
