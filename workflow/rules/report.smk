# Report: a self-contained HTML page per analysis, rebuilt whenever its matrix changes.
rule report:
    input:
        "results/{analysis}/mi.zarr",
    output:
        report(
            "results/{analysis}/report.html",
            caption="../report/mi.rst",
            category="MI matrices",
            labels={"analysis": "{analysis}"},
        ),
    params:
        python=PYTHON,
    log:
        "results/logs/{analysis}/report.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli report {input:q} --out {output:q} > {log:q} 2>&1"
