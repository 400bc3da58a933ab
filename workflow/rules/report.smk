# Report: a self-contained HTML page per analysis, rebuilt whenever its matrix changes.
rule report:
    input:
        RESULTS + "/{analysis}/mi.zarr",
    output:
        report(
            RESULTS + "/{analysis}/report.html",
            caption="../report/mi.rst",
            category="MI matrices",
            labels={"analysis": "{analysis}"},
        ),
    log:
        RESULTS + "/logs/{analysis}/report.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{PYTHON} -m gmmmi.cli report {input:q} --out {output:q} > {log:q} 2>&1"
