# The embedded demo dataset: latents and factors whose pairwise MI is known exactly.
rule demo_data:
    output:
        directory(config["demo"]["path"]),
    params:
        samples=config["demo"]["samples"],
        seed=config["demo"]["seed"],
    log:
        f"{RESULTS}/logs/demo_data.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{PYTHON} -m gmmmi.cli demo-data --out {output:q} --samples {params.samples}"
        " --seed {params.seed} --overwrite > {log:q} 2>&1"
