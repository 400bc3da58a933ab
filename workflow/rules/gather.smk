# Gather: one job per analysis assembles its chunk results into the MI matrices.
rule gather:
    input:
        chunks=lambda wildcards: expand("results/{analysis}/chunks/{chunk}.json",
                                        analysis=wildcards.analysis,
                                        chunk=chunk_names(wildcards.analysis)),
        dataset=ancient(DATASET),
    output:
        matrix=directory("results/{analysis}/mi.zarr"),
        pairs="results/{analysis}/pairs.csv",
    params:
        python=PYTHON,
    log:
        "results/logs/{analysis}/gather.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli gather {input.chunks:q} --dataset {input.dataset:q}"
        " --out {output.matrix:q} --pairs-csv {output.pairs:q} > {log:q} 2>&1"
