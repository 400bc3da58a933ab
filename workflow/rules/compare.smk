# Comparisons: what changed between two matrices named in the config's `comparisons`.
rule compare:
    input:
        before=lambda wildcards: compared_matrix(wildcards.name, "before"),
        after=lambda wildcards: compared_matrix(wildcards.name, "after"),
    output:
        page=report(
            "results/comparisons/{name}.html",
            caption="../report/compare.rst",
            category="Comparisons",
            labels={"comparison": "{name}"},
        ),
        table="results/comparisons/{name}.csv",
    params:
        python=PYTHON,
        unit=config["report"]["unit"],
    log:
        "results/logs/comparisons/{name}.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli compare {input.before:q} {input.after:q}"
        " --unit {params.unit} --out {output.page:q} --csv {output.table:q} > {log:q} 2>&1"
