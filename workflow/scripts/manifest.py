"""Snakemake glue: write results/manifest.json."""

import sys

from analysis.report.manifest import build_manifest, write_manifest

sys.stderr = open(snakemake.log[0], "w")  # noqa: F821
sm = snakemake  # noqa: F821

manifest = build_manifest(
    sm.params.outputs, sm.params.inputs, sm.params.config, list(sm.input.code) + sm.params.workflow
)
write_manifest(manifest, sm.output[0])
print(f"{len(manifest['outputs'])} outputs", file=sys.stderr)
