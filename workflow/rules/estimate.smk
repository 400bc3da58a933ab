# Estimate one chunk of an analysis's pairs. Pairs are planned when the DAG is built
# (common.smk): each chunk's `plan` param is a digest of its pairs, their variables'
# content fingerprints and the settings, so a chunk reruns only when one of those
# changes (the dataset is `ancient`: touching it changes nothing). Inside the job the
# pairs run in the job's process (one thread), as Dask tasks on a local cluster sized
# from this rule's threads and mem_mb, or on the configured scheduler; finished pairs
# are cached by content, so a rerun or an interrupted chunk recomputes only what changed.
# How many chunks and threads: common.smk (chunk_threads, job_slots, plan).
rule estimate_chunk:
    input:
        ancient(DATASET),
    output:
        "results/{analysis}/chunks/{chunk}.json",
    params:
        python=PYTHON,
        plan=chunk_digest,
        spec=analysis_spec,
        settings=chunk_settings,
        cache=CACHE,
        scheduler=scheduler_option,
        # a param, so that more memory reruns the chunks (their cached pairs are reused)
        # and pairs marked out-of-memory are tried again
        memory=lambda wildcards, resources: resources.mem_mb,
    threads: THREADS
    resources:
        mem_mb=MEMORY,
    log:
        "results/logs/{analysis}/chunk-{chunk}.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli run-chunk {input:q} --analysis {wildcards.analysis:q}"
        " --spec {params.spec:q} --settings {params.settings:q}"
        " --chunk {wildcards.chunk} --expect-digest {params.plan}"
        " --out {output:q} --cache {params.cache:q} --workers {threads}"
        " --memory-mb {params.memory} {params.scheduler} > {log:q} 2>&1"
