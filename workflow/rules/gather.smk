# Gather: one job per analysis assembles its chunk results into the MI matrices.
rule gather:
    input:
        chunks=gather.split(RESULTS + "/{{analysis}}/chunks/{scatteritem}.json"),
        dataset=ancient(DATASET),
    output:
        directory(RESULTS + "/{analysis}/mi.zarr"),
    log:
        RESULTS + "/logs/{analysis}/gather.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{PYTHON} -m gmmmi.cli gather {input.chunks:q} --dataset {input.dataset:q}"
        " --out {output:q} > {log:q} 2>&1"
