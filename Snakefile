# gmmmi workflow: MI matrices of learned representations, pair chunks run with Dask.
#   snakemake --cores 2                                   # the embedded demo
#   snakemake --cores 64 --config dataset=data/mine.zarr  # your own dataset
# See config/README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


scattergather:
    split=config["chunks"],


include: "workflow/rules/demo.smk"
include: "workflow/rules/estimate.smk"
include: "workflow/rules/gather.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        expand("results/{analysis}/report.html", analysis=ANALYSES),
        expand("results/{analysis}/mi.zarr", analysis=ANALYSES),
    default_target: True
