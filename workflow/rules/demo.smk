# The embedded demo dataset: latents and factors whose pairwise MI is known exactly.
rule demo_data:
    output:
        directory(config["demo"]["path"]),
    params:
        python=PYTHON,
        samples=config["demo"]["samples"],
        seed=config["demo"]["seed"],
    log:
        "results/logs/demo_data.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli demo-data --out {output:q} --samples {params.samples}"
        " --seed {params.seed} --overwrite > {log:q} 2>&1"
