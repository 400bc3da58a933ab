# gmmmi workflow: MI matrices of learned representations, pair chunks run with Dask.
#   snakemake --cores 2                                   # the embedded demo
#   snakemake --cores 64 --configfile my_config.yaml      # your dataset and analyses
# See docs/user-guide/workflow.md and docs/user-guide/configuration.md.
from snakemake.utils import min_version

min_version("9.0")


# A --configfile given on the command line is the whole config (the schema's defaults
# fill in the rest); it does not extend the demo's analyses.
if not workflow.config_settings.configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/run.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/estimate.smk"
include: "workflow/rules/gather.smk"
include: "workflow/rules/flow.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/compare.smk"


rule all:
    input:
        expand("results/{analysis}/report.html", analysis=ANALYSES),
        expand("results/{analysis}/mi.zarr", analysis=ANALYSES),
        expand("results/{analysis}/flow.{ext}", analysis=FLOW_ANALYSES, ext=["graphml", "json"]),
        expand("results/comparisons/{name}.{ext}", name=COMPARISONS, ext=["html", "csv"]),
    default_target: True


onstart:
    start_run()


onsuccess:
    stop_cluster()
    report_unfinished()
    prune_cache()


onerror:
    stop_cluster()
