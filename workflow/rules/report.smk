# Report: a self-contained HTML page per analysis, rebuilt whenever its matrix changes.
rule report:
    input:
        matrix="results/{analysis}/mi.zarr",
        dataset=ancient(DATASET),
    output:
        report(
            "results/{analysis}/report.html",
            caption="../report/mi.rst",
            category="MI matrices",
            labels={"analysis": "{analysis}"},
        ),
    params:
        python=PYTHON,
        unit=config["report"]["unit"],
        top=config["report"]["top_pairs"],
        previous=lambda wildcards: reported_folder(wildcards.analysis),
        dci="" if config["report"]["dci"] else "--no-dci",
    log:
        "results/logs/{analysis}/report.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli report {input.matrix:q} --data {input.dataset:q}"
        " --unit {params.unit} --top {params.top} {params.previous} {params.dci}"
        " --out {output:q}"
        " > {log:q} 2>&1"
