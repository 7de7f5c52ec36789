"""The workflow run end to end on a tiny simulated cohort in a temporary copy of the repo."""

import hashlib
from pathlib import Path

import polars as pl
import pytest

from analysis.simulate import DemoDesign, simulate_cohort

pytestmark = pytest.mark.slow


def _checksums(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory, workflow_tools):
    copy_workflow, run_snakemake = workflow_tools
    root = copy_workflow(tmp_path_factory.mktemp("e2e") / "study")
    simulate_cohort(
        root / "data" / "raw" / "tiny",
        DemoDesign(n_subjects=6, n_trials=2, n_strides=4, name="tiny"),
    )
    raw_before = _checksums(root / "data" / "raw")
    workflow_tools[1](root)
    return root, raw_before


def test_run_writes_every_stage(tiny_study):
    root, _ = tiny_study
    res = root / "results" / "tiny"
    outcomes = pl.read_csv(res / "outcomes.csv")
    assert set(outcomes["family"]) >= {"emg", "balance", "pain", "spatiotemporal"}
    assert outcomes["subject"].n_unique() == 6
    contrasts = pl.read_csv(res / "tables" / "contrasts.csv")
    assert contrasts.height > 0
    assert contrasts.filter(pl.col("outcome") == "VL_mean_cycle").height >= 1
    assert (res / "tables" / "contrasts.md").read_text().count("|") > 10


def test_raw_data_untouched(tiny_study):
    root, raw_before = tiny_study
    assert _checksums(root / "data" / "raw") == raw_before


def test_second_run_has_nothing_to_do(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    proc = run_snakemake(root, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


# one module of the EMG, model and report stages
EDITED = [
    "analysis/core/signal.py",
    "analysis/emg/qc.py",
    "analysis/models/fit.py",
    "analysis/report/figures/forest.py",
]

_RUNTIME = """
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
exec(compile(ast.Module(body=imports, type_ignores=[]), sys.argv[1], "exec"), {})
for name, mod in sorted(sys.modules.items()):
    f = getattr(mod, "__file__", None) or ""
    if name.split(".")[0] == "analysis" and f:
        print(f)
"""


def _rules_and_scripts(root):
    """{rule name: script} from the rule files (dynamic family rules by their prefix)."""
    import re

    out = {}
    for smk in (root / "workflow" / "rules").glob("*.smk"):
        rule = None
        for line in smk.read_text().splitlines():
            m = re.match(r"\s*(?:rule|checkpoint) (\w+):|\s+f\"(figure_\w+)_\{_family\}\"", line)
            if m:
                rule = m.group(1) or m.group(2)
            m = re.search(r'"\.\./scripts/(\w+)\.py"', line)
            if m and rule:
                out[rule] = m.group(1)
    return out


def _runtime_sources(root, script):
    """The package files Python itself loads for the script's imports (the oracle)."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", _RUNTIME, str(root / "workflow" / "scripts" / f"{script}.py")],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return {str(Path(p).resolve().relative_to(root)) for p in proc.stdout.split()}


def _lazy_imports(root, files):
    """Package modules that functions of ``files`` import when they run (not at import)."""
    import ast

    from analysis.core.sources import _closure, imported_modules

    lazy = set()
    for f in files:
        tree = ast.parse((root / f).read_text())
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                body = ast.Module(body=fn.body, type_ignores=[])
                probe = root / ".lazy_probe.py"
                probe.write_text(ast.unparse(body))
                try:
                    for mod in imported_modules(probe, root):
                        lazy |= _closure(mod, root.resolve())
                finally:
                    probe.unlink()
    return {str(Path(*m.split(".")).with_suffix(".py")) for m in lazy} | {
        str(Path(*m.split("."), "__init__.py")) for m in lazy
    }


def test_derived_code_inputs_match_what_python_imports(tiny_study):
    """The rule inputs derived statically (analysis.core.sources) are the modules the
    interpreter loads for each script, plus those its functions import when they run."""
    from analysis.core.sources import script_sources

    root, _ = tiny_study
    for rule, script in sorted(_rules_and_scripts(root).items()):
        derived = set(script_sources(root / "workflow" / "scripts" / f"{script}.py", root))
        loaded = _runtime_sources(root, script)
        assert loaded <= derived, (rule, loaded - derived)
        assert derived - loaded <= _lazy_imports(root, derived), rule


def _rule_graph(root, run_snakemake) -> dict[str, set[str]]:
    """Rule -> the rules that consume its outputs (``snakemake --rulegraph``)."""
    import re

    dot = run_snakemake(root, "--rulegraph").stdout
    names = dict(re.findall(r"^\s*(\d+)\[label = \"(\w+)\"", dot, re.M))
    out: dict[str, set[str]] = {n: set() for n in names.values()}
    for a, b in re.findall(r"^\s*(\d+) -> (\d+)", dot, re.M):
        out[names[a]].add(names[b])
    return out


def _below(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize("module", EDITED)
def test_editing_a_module_reruns_exactly_the_rules_that_import_it(
    tiny_study, workflow_tools, module
):
    """The rules whose scripts import the module rerun because of it, and nothing reruns
    that is not downstream of them."""
    import os
    import re

    from analysis.core.sources import script_sources

    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    scripts = _rules_and_scripts(root)
    graph = _rule_graph(root, run_snakemake)

    # the previous test checks these derived inputs against what Python imports
    def script_of(rule: str) -> str | None:
        # rules made in a loop (figure_paired_<family>) share their prefix's script
        keys = [k for k in scripts if rule == k or rule.startswith(k + "_")]
        return scripts[max(keys, key=len)] if keys else None

    # the validation checkpoint gates jobs without file edges, so the rule graph leaves it out
    checkpoints = {
        m
        for smk in (root / "workflow" / "rules").glob("*.smk")
        for m in re.findall(r"^checkpoint (\w+):", smk.read_text(), re.M)
    }
    assert checkpoints == {"validate_cohort"}
    users = {
        rule
        for rule in set(graph) | checkpoints
        if script_of(rule)
        and module in script_sources(root / "workflow" / "scripts" / f"{script_of(rule)}.py", root)
    }
    path = root / module
    text, stat = path.read_text(), path.stat()
    try:
        path.write_text(text + "\n# edited\n")
        proc = run_snakemake(root)  # a real run: which jobs run is what matters
    finally:
        # back as it was (a comment made the only difference): the next case starts up to date
        path.write_text(text)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    log = proc.stdout + proc.stderr
    rerun = set(re.findall(r"^\s*(?:local)?(?:rule|checkpoint) (\w+):", log, re.M)) - {"all"}
    below = _below(graph, users)
    assert users and users <= rerun, (module, users - rerun)
    assert rerun <= users | below, (module, rerun - users - below)


def test_emg_jobs_hold_chunks_of_subjects(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    for size, jobs in ((1, 6), (4, 2), (8, 1)):
        proc = run_snakemake(
            root,
            "-n",
            "--forcerun",
            "emg_subjects",
            "--config",
            f"subjects_per_emg_job={size}",
            "--",
            "results/tiny/emg/curves.parquet",
        )
        out = proc.stdout + proc.stderr
        counts = [line.split() for line in out.splitlines() if line.startswith("emg_subjects ")]
        assert counts and int(counts[0][1]) == jobs, out[-2000:]


def test_one_job_per_subject_gives_the_same_emg_tables(tiny_study, workflow_tools):
    run_snakemake = workflow_tools[1]
    root, _ = tiny_study
    targets = [f"results_k1/tiny/emg/{k}.parquet" for k in ("curves", "features", "qc")]
    run_snakemake(
        root, "--config", "subjects_per_emg_job=1", "results_dir=results_k1", "--", *targets
    )
    chunks = sorted((root / "results_k1" / "tiny" / "emg" / "chunks").iterdir())
    assert len(chunks) == 6
    for kind in ("curves", "features", "qc"):
        one = pl.read_parquet(root / "results_k1" / "tiny" / "emg" / f"{kind}.parquet")
        default = pl.read_parquet(root / "results" / "tiny" / "emg" / f"{kind}.parquet")
        assert one.equals(default), kind
