# Shared set-up: config validation, paths, and the helpers the rules' params use.
import json
import os
import re
import shlex
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from gmmmi.config import config_problems
from gmmmi.data.dataset import DatasetError, describe_dataset
from gmmmi.analysis.plan import manifest_digest, parse_chunk, plan_analysis
from gmmmi.analysis.run import tls_files

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


_plans = {}


def plan_digests(analysis, count):
    """The digest of each of an analysis's chunks (gmmmi.analysis.plan), planned once per run."""
    if (analysis, count) not in _plans:
        try:
            description = describe_dataset(DATASET, f"{CACHE}/datasets")
            manifests = plan_analysis(description, analysis, ANALYSES[analysis],
                                      config["estimator"], count)
        except (DatasetError, ValueError) as exc:
            raise WorkflowError(f"analysis {analysis}: {exc}") from None
        _plans[analysis, count] = [manifest_digest(m) for m in manifests]
    return _plans[analysis, count]


try:  # TLS settings that cannot work are refused before any job runs
    tls_files(config["dask"].get("scheduler_address"), config["dask"].get("tls_ca_file"),
              config["dask"].get("tls_cert"), config["dask"].get("tls_key"))
except ValueError as exc:
    raise WorkflowError(str(exc)) from None


# A damaged dataset, or an analysis naming a group it lacks, is refused before any job
# runs. A dataset the workflow writes itself (the demo) is planned on the next run.
if os.path.exists(DATASET):
    for _analysis in ANALYSES:
        plan_digests(_analysis, config["chunks"])


def chunk_digest(wildcards):
    """The digest of one chunk's plan; 'pending' while the dataset does not exist yet
    (its chunks then rerun once on the next run, reusing every cached pair)."""
    if not os.path.exists(DATASET):
        return "pending"
    index, count = parse_chunk(wildcards.scatteritem)
    return plan_digests(wildcards.analysis, count)[index]


def analysis_spec(wildcards):
    return json.dumps(ANALYSES[wildcards.analysis], sort_keys=True)


def estimator_settings(wildcards):
    return json.dumps(config["estimator"], sort_keys=True)


def scheduler_option(wildcards):
    """run-chunk's options for an existing Dask cluster: its address and TLS files."""
    dask = config["dask"]
    if not dask.get("scheduler_address"):
        return ""
    options = [f"--scheduler {shlex.quote(dask['scheduler_address'])}"]
    for key in ("tls_ca_file", "tls_cert", "tls_key"):
        if dask.get(key):
            options.append(f"--{key.replace('_', '-')} {shlex.quote(dask[key])}")
    return " ".join(options)


wildcard_constraints:
    analysis="|".join(map(re.escape, ANALYSES)),
