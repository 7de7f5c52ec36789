"""Config and cohort validation, and every input function of the workflow."""

import os
import sys
from pathlib import Path

from snakemake.utils import min_version, validate

min_version("9.0")

REPO = Path(workflow.main_snakefile).resolve().parent
sys.path.insert(0, str(REPO))

from analysis.core.settings import resolve_settings  # noqa: E402
from analysis.ingest.cohort import discover_cohorts, load_cohort  # noqa: E402
from analysis.ingest.cohort_yaml import declared_factors  # noqa: E402
from analysis.core.errors import ValidationError  # noqa: E402
from analysis.core.sources import script_sources  # noqa: E402
from analysis.ingest.readers.events import read_mvc_table  # noqa: E402
from analysis.ingest.readers.c3d import c3d_angles  # noqa: E402
from analysis.models.pooling import POOLED  # noqa: E402


configfile: "config/config.yaml"


validate(config, schema="../../analysis/core/schemas/config.schema.yaml")

STUDY = resolve_settings(config)  # fails at start, naming every bad setting
RAW = Path(config["cohorts"]["raw_dir"])
RESULTS = config.get("results_dir", "results")
COHORTS = discover_cohorts(
    RAW, config["cohorts"].get("include"), config["cohorts"].get("exclude")
)
ANALYSIS = REPO / "analysis"

_cohort_cache = {}
if POOLED in COHORTS:
    raise ValueError(
        f"'{POOLED}' is reserved for the pooled results: rename data/raw/{POOLED}"
    )


def cohort(name):
    """The validated cohort, or None when its input has problems (its tidy job reports them)."""
    if name not in _cohort_cache:
        try:
            _cohort_cache[name] = load_cohort(RAW / name)
        except ValidationError:
            _cohort_cache[name] = None
    return _cohort_cache[name]


def code(script):
    """The package source files that workflow/scripts/<script>.py imports, directly or through
    other modules (analysis.core.sources), so that editing any of them reruns the rule.
    """
    files = script_sources(REPO / "workflow" / "scripts" / f"{script}.py", root=REPO)
    return [os.path.relpath(f) for f in files]


def package_sources():
    """Every source file and schema of the package (the manifest records their checksums)."""
    files = sorted(ANALYSIS.rglob("*.py")) + sorted(ANALYSIS.rglob("*.schema.yaml"))
    return [os.path.relpath(f) for f in files]


def cohort_tables(wildcards):
    """Every table file of a cohort (not the per-trial signals)."""
    folder = RAW / wildcards.cohort
    names = [
        "cohort.yaml",
        "participants.csv",
        "trials.csv",
        "balance.csv",
        "pain.csv",
        "measures.csv",
        "mvc.csv",
    ]
    return [str(folder / n) for n in names if (folder / n).exists()]


def trial_tables(wildcards):
    """The raw tables the trial table is made from (the EMG stage's trial sheet)."""
    folder = RAW / wildcards.cohort
    names = ["cohort.yaml", "participants.csv", "trials.csv", "mvc.csv"]
    return [str(folder / n) for n in names if (folder / n).exists()]


def gated(inputs):
    """An input function: ``inputs`` once the cohort's validation has passed.

    Until the validate_cohort checkpoint has run (in this invocation or, up to date, before),
    the job waits for it; afterwards its own inputs alone decide whether it reruns. Nothing of
    a cohort whose recordings are malformed is written. (An ancient() validation input would
    also keep unrelated reruns away, but Snakemake then skips every job below it in the same
    invocation: snakemake/snakemake#4166.)
    """

    def gate(wildcards):
        checkpoints.validate_cohort.get(cohort=wildcards.cohort)
        return inputs(wildcards) if callable(inputs) else inputs

    return gate


def subjects(name):
    c = cohort(name)
    return c.subjects if c is not None and c.has_emg else []


def emg_subjects(name):
    c = cohort(name)
    if c is None or not c.has_emg:
        return []
    return sorted(set(c.trials["subject"].to_list()))


def mvc_files(name):
    """The MVC recordings of each subject in the cohort's mvc.csv: {subject: {file, ...}}."""
    key = ("mvc", name)
    if key not in _cohort_cache:
        files = {}
        path = RAW / name / "mvc.csv"
        try:
            table = read_mvc_table(path, cohort=name) if path.is_file() else None
        except ValidationError:
            table = None  # validate_cohort reports the problems
        if table is not None:
            for subject, f in table.select("subject", "emg_file").iter_rows():
                files.setdefault(subject, set()).add(f)
        _cohort_cache[key] = files
    return _cohort_cache[key]


def model_threads(wildcards):
    """Worker processes of a models job: 2 from 30 subjects on; for fewer, starting the workers
    (about 2 s of CPU each) costs more than fitting the models in one process."""
    names = VALID if wildcards.cohort == POOLED else [wildcards.cohort]
    n = sum(cohort(name).participants.height for name in names)
    return 2 if n >= 30 else 1


def emg_tables_raw(wildcards):
    """The raw tables the EMG stage reads: cohort.yaml, trials.csv and mvc.csv if present."""
    folder = RAW / wildcards.cohort
    names = ["cohort.yaml", "trials.csv", "mvc.csv"]
    return [str(folder / n) for n in names if (folder / n).exists()]


def emg_chunks(name):
    """The cohort's EMG subjects in jobs of `subjects_per_emg_job`: {chunk: [subject, ...]}."""
    size = config["subjects_per_emg_job"]
    subs = emg_subjects(name)
    return {
        f"{i // size + 1:03d}": subs[i : i + size] for i in range(0, len(subs), size)
    }


def chunk_subjects(wildcards):
    return emg_chunks(wildcards.cohort)[wildcards.chunk]


def recordings(name, subjects=None):
    """The raw EMG, events and MVC files of a cohort's subjects (default: all of them)."""
    c = cohort(name)
    if c is None or not c.has_emg:
        return []
    rows = (
        c.trials
        if subjects is None
        else c.trials.filter(c.trials["subject"].is_in(subjects))
    )
    files = set(rows["emg_file"].to_list()) | set(rows["events_file"].to_list())
    for subject, more in mvc_files(name).items():
        if subjects is None or subject in subjects:
            files |= more
    return sorted(str(RAW / name / f) for f in files)


def chunk_recordings(wildcards):
    """The raw EMG, events and MVC files of the subjects of one EMG job."""
    return recordings(wildcards.cohort, chunk_subjects(wildcards))


def cohort_recordings(wildcards):
    """Every EMG, events and MVC file of a valid cohort (none when its tables are invalid)."""
    return recordings(wildcards.cohort)


def cohort_labels(wildcards):
    """Display labels of the cohort's measures (cohort.yaml measures.*.label)."""
    names = VALID if wildcards.cohort == POOLED else [wildcards.cohort]
    labels = {}
    for name in names:
        measures = cohort(name).settings.get("measures", {})
        labels.update({k: v["label"] for k, v in measures.items() if "label" in v})
    return labels


def cohort_levels(wildcards):
    """Order of sessions (chronological, from cohort.yaml) and groups; pooled: in cohort order."""
    names = VALID if wildcards.cohort == POOLED else [wildcards.cohort]
    levels = {"session": [], "group": []}
    for name in names:
        c = cohort(name)
        groups = c.settings.get("groups") or sorted(
            set(c.participants["group"].to_list())
        )
        declared = declared_factors(
            c.settings
        )  # factors: in cohort.yaml, first level first
        for key, values in (
            ("session", c.settings["sessions"]),
            ("group", groups),
            *declared.items(),
        ):
            levels.setdefault(key, [])
            levels[key] += [v for v in values if v not in levels[key]]
    return levels


def cohort_factors(wildcards):
    """The declared trial factors of a cohort (pooled: of every cohort), in declaration order."""
    return [k for k in cohort_levels(wildcards) if k not in ("session", "group")]


def trials_input(wildcards):
    """The tidy trials table of a cohort with EMG (the source of its declared factors)."""
    c = cohort(wildcards.cohort)
    if c is None or not c.has_emg:
        return {}
    return {"trials": f"{RESULTS}/{wildcards.cohort}/tidy/trials.parquet"}


def settings(name):
    """A cohort's settings, resolved once: config + its cohort.yaml overrides + defaults
    (analysis.core.settings). The pooled analysis uses the study configuration's."""
    if ("settings", name) not in _cohort_cache:
        c = None if name == POOLED else cohort(name)
        _cohort_cache[("settings", name)] = resolve_settings(
            config, c.settings if c is not None else None
        )
    return _cohort_cache[("settings", name)]


def cohort_settings(wildcards):
    return settings(wildcards.cohort)


def chunk_emg_parts(kind):
    def inner(wildcards):
        return [
            f"{RESULTS}/{wildcards.cohort}/emg/chunks/{chunk}/{kind}.parquet"
            for chunk in emg_chunks(wildcards.cohort)
        ]

    return inner


def emg_tables(wildcards):
    c = cohort(wildcards.cohort)
    if c is None or not c.has_emg:
        return {}
    base = f"{RESULTS}/{wildcards.cohort}/emg"
    return {k: f"{base}/{k}.parquet" for k in EMG_KINDS}


EMG_KINDS = [
    "curves",
    "features",
    "qc",
    "spatiotemporal",
    "normalisation",
    "angle_curves",  # joint angles where the C3D files hold them (analysis.kinematics)
    "angle_features",
]


def has_angles(name):
    """Whether the cohort's recordings hold joint angles (its first C3D file is read)."""
    key = ("angles", name)
    if key not in _cohort_cache:
        c = cohort(name)
        files = [
            f
            for f in (
                c.trials["emg_file"].to_list() if c is not None and c.has_emg else []
            )
            if f.lower().endswith(".c3d")
        ]
        found = False
        if files:
            angles, _ = c3d_angles(RAW / name / files[0], cohort=name, file=files[0])
            found = angles is not None
        _cohort_cache[key] = found
    return _cohort_cache[key]


def families(name):
    """Outcome families a cohort provides (known before anything runs)."""
    c = cohort(name)
    fams = ["emg", "spatiotemporal"] if c.has_emg else []
    fams += ["kinematics"] if has_angles(name) else []
    return fams + sorted(set(c.measures["family"].to_list()))


FAMILY_CATEGORIES = {
    "emg": "EMG",
    "spatiotemporal": "Gait",
    "kinematics": "Joint angles",
    "balance": "Balance",
    "pain": "Pain",
}


def family_category(family):
    """Report category of an outcome family."""
    return FAMILY_CATEGORIES.get(family, family.replace("_", " ").capitalize())


def paired_families(name):
    """Families with outcomes measured per walking trial (forward and backward, or at the
    levels of a declared trial factor)."""
    c = cohort(name)
    fams = ["emg", "spatiotemporal"] if c.has_emg else []
    fams += ["kinematics"] if has_angles(name) else []
    m = c.measures.filter(c.measures["direction"].is_not_null())
    return fams + sorted(set(m["family"].to_list()))


def ordinal_families(name):
    """Families of the cohort modelled as ordinal (models.family; pain NRS by default)."""
    fams = set(cohort(name).measures["family"].to_list())
    return sorted(f for f in fams if settings(name).models.family_for(f) == "ordinal")


def session_families(name):
    """Families measured once per session (no walking direction) in two or more sessions."""
    c = cohort(name)
    if len(c.settings["sessions"]) < 2:
        return []
    m = c.measures.filter(c.measures["direction"].is_null())
    return sorted(set(m["family"].to_list()))


def text_inputs(wildcards):
    base = f"{RESULTS}/{wildcards.cohort}"
    inputs = {
        "contrasts": f"{base}/models/contrasts.parquet",
        "fits": f"{base}/models/fits.parquet",
        "variance": f"{base}/models/variance.parquet",
        "data": f"{base}/outcomes.parquet",
    }
    if cohort(wildcards.cohort).has_emg:
        inputs["clusters"] = f"{base}/spm/clusters.parquet"
        inputs["normalisation"] = f"{base}/emg/normalisation.parquet"
        inputs["qc"] = f"{base}/emg/qc.parquet"
    if has_angles(wildcards.cohort):
        inputs["angle_clusters"] = f"{base}/spm/angle_clusters.parquet"
    return inputs


def landing_inputs(wildcards):
    """What the report's landing section shows: results table, ensemble (EMG) and forest."""
    base = f"{RESULTS}/{wildcards.cohort}"
    inputs = {
        "contrasts": f"{base}/models/contrasts.parquet",
        "emmeans": f"{base}/models/emmeans.parquet",
        "forest": f"{base}/figures/forest.png",
    }
    if cohort(wildcards.cohort).has_emg:
        inputs["ensemble"] = f"{base}/figures/emg_ensemble.png"
    return inputs


def cohort_targets(name):
    """Every final output of one valid cohort."""
    c = cohort(name)
    base = f"{RESULTS}/{name}"
    fmts = STUDY.figures.formats
    figs = ["forest"] + [f"diagnostics_{f}" for f in families(name)]
    figs += [f"paired_{f}" for f in paired_families(name)]
    figs += [f"sessions_{f}" for f in session_families(name)]
    figs += [f"ordinal_{f}" for f in ordinal_families(name)]
    tabs = ["participants", "results", "variance"]
    if c.has_emg:
        figs += ["emg_ensemble", "emg_effect_size", "qc"]
        tabs += ["spm_clusters"]
    if has_angles(name):
        figs += ["joint_angles"]
    if set(c.measures["family"].to_list()) & {"balance", "pain"}:
        figs.append("trajectories")
    return (
        [f"{base}/outcomes.csv", f"{base}/tables/contrasts.csv"]
        + [f"{base}/figures/{f}.{x}" for f in figs for x in fmts]
        + [f"{base}/tables/{t}.{x}" for t in tabs for x in ("csv", "md", "tex", "html")]
        + [f"{base}/text/methods.md", f"{base}/text/results.md"]
        + ([f"{base}/text/landing.html"] if "png" in fmts else [])
    )


VALID = [name for name in COHORTS if cohort(name) is not None]
POOL = STUDY.pooling.enabled and len(VALID) >= 2


def pooled_targets():
    base = f"{RESULTS}/{POOLED}"
    return (
        [f"{base}/tables/contrasts.csv", f"{base}/tables/heterogeneity.csv"]
        + [f"{base}/tables/results.{x}" for x in ("csv", "md", "tex", "html")]
        + [f"{base}/figures/forest.{x}" for x in STUDY.figures.formats]
    )


def manifest_inputs(name):
    """Every raw file of a cohort: its tables and recordings."""
    wc = type("wc", (), {"cohort": name})
    return sorted(cohort_tables(wc) + cohort_recordings(wc))


def workflow_sources():
    """The Snakefile, rule files, scripts and report captions."""
    files = [REPO / "Snakefile"]
    for sub in ("rules", "scripts", "report"):
        files += sorted((REPO / "workflow" / sub).glob("*.*"))
    return [os.path.relpath(f) for f in files]


def final_targets():
    targets = pooled_targets() if POOL else []
    for name in COHORTS:
        if cohort(name) is None:
            # validation fails in this job and reports every problem of the cohort
            targets.append(f"{RESULTS}/{name}/validation.txt")
        else:
            targets += cohort_targets(name)
    return targets


FIG = f"{RESULTS}/{{cohort}}/figures"


def figure_outputs(stem, caption, category, labels):
    """One output per configured format; the PNG goes into the report."""
    out = {}
    for fmt in STUDY.figures.formats:
        path = f"{FIG}/{stem}.{fmt}"
        if fmt == "png":
            path = report(
                path,
                caption=f"../report/{caption}.rst",
                category=category,
                subcategory="{cohort}",
                labels={"cohort": "{cohort}", **labels},
            )
        out[fmt] = path
    return out


TAB = f"{RESULTS}/{{cohort}}/tables"


def table_outputs(stem, caption, category, label):
    """CSV, Markdown, LaTeX and HTML; the HTML goes into the report."""
    return {
        "csv": f"{TAB}/{stem}.csv",
        "md": f"{TAB}/{stem}.md",
        "tex": f"{TAB}/{stem}.tex",
        "html": report(
            f"{TAB}/{stem}.html",
            caption=f"../report/{caption}.rst",
            category=category,
            subcategory="{cohort}",
            labels={"cohort": "{cohort}", "table": label},
        ),
    }
