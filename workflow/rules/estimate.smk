# Estimate one chunk of an analysis's pairs. Pairs are planned when the DAG is built
# (common.smk): each chunk's `plan` param is a digest of its pairs, their variables'
# content fingerprints and the settings, so a chunk reruns only when one of those
# changes (the dataset is `ancient`: touching it changes nothing). Inside the job the
# pairs run as Dask tasks, on a local cluster sized from this rule's threads and
# mem_mb or on the configured scheduler; finished pairs are cached by content, so a
# rerun or an interrupted chunk recomputes only what changed.
rule estimate_chunk:
    input:
        ancient(DATASET),
    output:
        "results/{analysis}/chunks/{scatteritem}.json",
    params:
        python=PYTHON,
        plan=chunk_digest,
        spec=analysis_spec,
        settings=estimator_settings,
        cache=CACHE,
        scheduler=scheduler_option,
        # a param, so that more memory reruns the chunks (their cached pairs are reused)
        # and pairs marked out-of-memory are tried again
        memory=lambda wildcards, resources: resources.mem_mb,
    threads: config["chunk_resources"]["threads"]
    resources:
        mem_mb=config["chunk_resources"]["mem_mb"],
    log:
        "results/logs/{analysis}/chunk-{scatteritem}.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli run-chunk {input:q} --analysis {wildcards.analysis:q}"
        " --spec {params.spec:q} --settings {params.settings:q}"
        " --chunk {wildcards.scatteritem} --expect-digest {params.plan}"
        " --out {output:q} --cache {params.cache:q} --workers {threads}"
        " --memory-mb {params.memory} {params.scheduler} > {log:q} 2>&1"
