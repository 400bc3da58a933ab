# Flow: for analyses of kind flow, the MI-weighted graph of a network's neurons
# (GraphML and JSON, with per-neuron measures and the input attribution).
rule flow_graph:
    input:
        "results/{analysis}/mi.zarr",
    output:
        graphml="results/{analysis}/flow.graphml",
        json="results/{analysis}/flow.json",
    params:
        python=PYTHON,
    log:
        "results/logs/{analysis}/flow.log",
    conda:
        "../../envs/gmmmi.yaml"
    shell:
        "{params.python} -m gmmmi.cli flow {input:q} --graphml {output.graphml:q}"
        " --json {output.json:q} > {log:q} 2>&1"
