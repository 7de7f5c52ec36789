rule manifest:
    """Checksums of every output and of the inputs, config and code it came from."""
    input:
        outputs=final_targets(),
        code=package_sources(),
    output:
        f"{RESULTS}/manifest.json",
    log:
        "logs/manifest.log",
    benchmark:
        "logs/benchmarks/manifest.tsv"
    localrule: True
    params:
        outputs={
            **{name: cohort_targets(name) for name in VALID},
            **({POOLED: pooled_targets()} if POOL else {}),
        },
        inputs={name: manifest_inputs(name) for name in VALID},
        config=config,
        workflow=workflow_sources(),
    script:
        "../scripts/manifest.py"
