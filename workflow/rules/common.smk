# Shared set-up: config validation, paths, and the helpers the rules' params use.
import json
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from gmmmi.config import config_problems
from gmmmi.dataset import DatasetError
from gmmmi.pipeline import (analysis_groups, describe_dataset, manifest_digest, parse_chunk,
                            plan_chunks)

SCHEMA = "../schemas/config.schema.yaml"


_problems = config_problems(config, workflow.source_path(SCHEMA))
if _problems:
    raise WorkflowError("invalid config (see config/README.md):\n"
                        + "\n".join(f"  {p}" for p in _problems))
validate(config, SCHEMA)  # fills in the schema's defaults

DATASET = config["dataset"]
ANALYSES = config["analyses"]
FLOW_ANALYSES = [name for name, spec in ANALYSES.items() if spec.get("kind") == "flow"]
CACHE = "results/.cache"


def python():
    """The interpreter that runs gmmmi: this one, unless rules run in conda envs."""
    methods = {str(m).lower() for m in workflow.deployment_settings.deployment_method}
    return "python" if any("conda" in m for m in methods) else shlex.quote(sys.executable)


PYTHON = python()


def group_list(value):
    return ",".join([value] if isinstance(value, str) else value)


_plans = {}


def describe():
    """The dataset's groups and fingerprints (cached per store signature)."""
    return describe_dataset(DATASET, f"{CACHE}/datasets")


def check_analyses():
    """Refuse, before any job runs, a dataset that is damaged or lacks an analysis's groups."""
    if not os.path.exists(DATASET):
        return  # the demo: written by the workflow, planned on the next run
    try:
        description = describe()
        for name, analysis in ANALYSES.items():
            try:
                analysis_groups(description, analysis)
            except DatasetError as exc:
                raise DatasetError(f"analysis {name}: {exc}") from None
    except DatasetError as exc:
        raise WorkflowError(str(exc)) from None


check_analyses()


def chunk_digest(wildcards):
    """The digest of one chunk's plan; 'pending' while the dataset does not exist yet.

    A dataset made by this workflow (the demo) is planned on the next run: its chunks
    then rerun once, reusing every cached pair.
    """
    if not os.path.exists(DATASET):
        return "pending"
    index, count = parse_chunk(wildcards.scatteritem)
    key = (wildcards.analysis, count)
    if key not in _plans:
        analysis = ANALYSES[wildcards.analysis]
        try:
            description = describe()
            x, y = analysis_groups(description, analysis)
            _plans[key] = [manifest_digest(m) for m in plan_chunks(
                description, wildcards.analysis, x, y, config["estimator"], count,
                analysis.get("kind", "pairs"))]
        except (DatasetError, ValueError) as exc:
            raise WorkflowError(f"analysis {wildcards.analysis}: {exc}") from None
    return _plans[key][index]


def group_options(wildcards):
    """The run-chunk options naming the analysis's groups: --x/--y, or --flow."""
    analysis = ANALYSES[wildcards.analysis]
    if analysis.get("kind") == "flow":
        layers = analysis.get("layers")
        return f"--flow {shlex.quote(group_list(layers) if layers else 'auto')}"
    return (f"--x {shlex.quote(group_list(analysis['x']))} "
            f"--y {shlex.quote(group_list(analysis['y']))}")


def estimator_settings(wildcards):
    return json.dumps(config["estimator"], sort_keys=True)


def scheduler_option(wildcards):
    address = config["dask"]["scheduler_address"]
    return f"--scheduler {shlex.quote(address)}" if address else ""


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
