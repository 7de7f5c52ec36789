"""Structured results: contrast rows carry their levels in columns, the pooled model is built
as a ModelSpec, and nothing in the package parses a label or formula the toolkit wrote."""

from __future__ import annotations

import ast
from pathlib import Path

import polars as pl
import pytest
from synthetic import FORMULA, LEVELS

from analysis.models import analyse_outcomes
from analysis.models.emmeans import BY_COLUMNS, LEVEL_COLUMNS
from analysis.models.formula import parse_formula
from analysis.models.pooling import pooled_spec
from analysis.report.tables import results_table

REPO = Path(__file__).resolve().parents[2]

# -- 1. level columns agree with the display labels --------------------------------------------


def _label(row: dict) -> str:
    """The label of a contrast row, written here from its level columns (independently of
    analysis.models.emmeans.contrast_label)."""
    pair = f"{row['contrast_level']} - {row['contrast_reference']}"
    if row["contrast_type"] == "interaction":
        f = row["factor"]
        return f"({pair}) | {f} = {row['level']} - ({pair}) | {f} = {row['reference']}"
    if row["contrast_type"] == "simple":
        return f"{pair} | {row['at_factor']} = {row['at_level']}"
    return pair


@pytest.fixture(scope="module")
def runs(outcomes) -> dict[str, dict[str, pl.DataFrame]]:
    """Real analyse_outcomes runs with every primary factor and contrast type."""
    bbs = outcomes.filter(pl.col("outcome") == "bbs")
    levels = {"session": ["baseline", "post"], "group": ["control", "retro"]}
    balance = "value ~ session * group + (1 | subject)"
    return {
        # direction: main, within each session, change between sessions; balance: session main
        "direction": analyse_outcomes(outcomes, FORMULA, levels=LEVELS, crosscheck=False),
        # session: main, within each group, change between groups
        "session": analyse_outcomes(
            bbs, balance, levels=levels, primary="session", crosscheck=False
        ),
        # group: main, within each session, change between sessions
        "group": analyse_outcomes(bbs, balance, levels=levels, crosscheck=False),
    }


@pytest.mark.parametrize("primary", ["direction", "session", "group"])
def test_level_columns_agree_with_the_labels(runs, primary):
    con = runs[primary]["contrasts"]
    assert set(LEVEL_COLUMNS + BY_COLUMNS) <= set(con.columns)
    assert set(con["contrast_type"]) == {"main", "simple", "interaction"}
    assert primary in set(con["contrast_factor"])
    for row in con.iter_rows(named=True):
        assert row["contrast"] == _label(row), row
        kind = row["contrast_type"]
        # at_* only on simple rows, and equal to the conditioning column's value
        assert (row["at_factor"] is not None) == (kind == "simple"), row
        if kind == "simple":
            assert row[row["at_factor"]] == row["at_level"]
            assert row["at_factor"] != row["contrast_factor"]
        # factor/level/reference only on interaction rows
        assert all((row[c] is not None) == (kind == "interaction") for c in BY_COLUMNS), row
        if kind == "interaction":
            assert row["factor"] not in (row["contrast_factor"], None)


def test_level_columns_of_each_primary_factor(runs):
    def pairs(res):
        con = res["contrasts"].filter(pl.col("contrast_type") == "main")
        return set(con.select("contrast_factor", "contrast_level", "contrast_reference").rows())

    assert pairs(runs["direction"]) == {
        ("direction", "backward", "forward"),
        ("session", "post", "baseline"),  # balance: no walking direction
    }
    assert pairs(runs["session"]) == {("session", "post", "baseline")}
    assert pairs(runs["group"]) == {("group", "control", "retro")}
    inter = runs["group"]["contrasts"].filter(pl.col("contrast_type") == "interaction")
    assert inter.select(BY_COLUMNS).rows() == [("session", "post", "baseline")]


@pytest.mark.parametrize("primary", ["direction", "session", "group"])
def test_emm_level_columns_hold_each_contrast_level(runs, primary):
    res = runs[primary]
    emm = res["emmeans"]
    for row in (
        res["contrasts"].filter(pl.col("contrast_type") != "interaction").iter_rows(named=True)
    ):
        cell = emm.filter(pl.col("outcome") == row["outcome"])
        if row["at_factor"]:
            cell = cell.filter(pl.col(row["at_factor"]) == row["at_level"])
        factor = row["contrast_factor"]
        for level in (row["contrast_level"], row["contrast_reference"]):
            assert cell.filter(pl.col(factor) == level).height, (row["contrast"], level)
    table = results_table(res["contrasts"], emm)
    pairs = table.filter(pl.col("contrast_type") != "interaction")
    assert pairs["reference_emmean"].is_not_null().all()
    # the results table carries the same level columns (its rows sorted for display)
    cols = ["outcome", *LEVEL_COLUMNS, *BY_COLUMNS]
    assert sorted(table.select(cols).rows(), key=str) == sorted(
        res["contrasts"].select(cols).rows(), key=str
    )


# -- 2. pooled ModelSpec -------------------------------------------------------------------------

# formula, cohort effect, what the former regex pooled_formula produced
POOLED = [
    ("value ~ direction + (1 + direction | subject)", "fixed",
     "value ~ direction + cohort + (1 + direction | subject)"),
    ("value ~ direction + (1 + direction | subject)", "random",
     "value ~ direction + (1 | cohort) + (1 | cohort:subject)"),
    ("value ~ direction * session + (1 | subject) + (1 | subject:session)", "fixed",
     "value ~ direction * session + cohort + (1 | subject) + (1 | subject:session)"),
    ("value ~ direction * session + (1 | subject) + (1 | subject:session)", "random",
     "value ~ direction * session + (1 | cohort) + (1 | cohort:subject)"),
    ("value ~ direction * session * group + (1 + direction | subject) + (1 | subject:session)",
     "fixed", "value ~ direction * session * group + cohort + (1 + direction | subject) + "
     "(1 | subject:session)"),
    ("value ~ direction * session * group + (1 + direction | subject) + (1 | subject:session)",
     "random", "value ~ direction * session * group + (1 | cohort) + (1 | cohort:subject)"),
    ("value ~ session * group + (1 | subject)", "fixed",
     "value ~ session * group + cohort + (1 | subject)"),
    ("value ~ (1 | subject)", "fixed", "value ~ cohort + (1 | subject)"),
    ("value ~ (1 | subject)", "random", "value ~ (1 | cohort) + (1 | cohort:subject)"),
    ("value ~ 0 + direction + (0 + direction | subject)", "fixed",
     "value ~ 0 + direction + cohort + (0 + direction | subject)"),
    ("value ~ 0 + direction + (0 + direction | subject)", "random",
     "value ~ 0 + direction + (1 | cohort) + (1 | cohort:subject)"),
    ("value ~ direction + speed + (1 | subject/session)", "fixed",
     "value ~ direction + speed + cohort + (1 | subject/session)"),
    ("value ~ direction + speed + (1 | subject/session)", "random",
     "value ~ direction + speed + (1 | cohort) + (1 | cohort:subject)"),
]  # fmt: skip


@pytest.mark.parametrize(("formula", "effect", "before"), POOLED)
def test_pooled_spec_equals_the_former_pooled_formula(formula, effect, before):
    spec = pooled_spec(parse_formula(formula), effect)
    assert spec == parse_formula(before)  # the same terms in the same order
    assert pooled_spec(formula, effect) == spec


def test_pooled_spec_keeps_a_cohort_term_and_refuses_unknown_effects():
    spec = parse_formula("value ~ direction + cohort + (1 | subject)")
    assert pooled_spec(spec) == spec
    with pytest.raises(ValueError, match="cohort_effect"):
        pooled_spec(spec, "mixed")


# -- 3. nothing parses what the toolkit wrote ----------------------------------------------------

# modules that may use the re module, and why: each reads text from outside the toolkit or
# writes output text, none reads back a label or formula the toolkit wrote
REGEX_ALLOWED = {
    "analysis/models/formula.py": "the one parser of model formulas (user configuration)",
    "analysis/report/tables/formats.py": "escapes minus signs when writing LaTeX",
    "analysis/report/figures/style.py": "renumbers SVG element ids when writing figures",
}
REGEX_ALLOWED_UNDER = ("analysis/ingest/",)  # raw input files and sheets of the cohorts
LABEL_COLUMNS = {"contrast", "formula", "formula_used", "formula_requested", "model"}
BANNED_NAMES = {"parse_contrast", "_INTERACTION", "_RANDOM"}


def _sources() -> list[Path]:
    files = sorted((REPO / "analysis").rglob("*.py"))
    return files + sorted((REPO / "workflow" / "scripts").glob("*.py"))


def _uses_re(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "re" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "re":
            return True
    return False


def _string_ops_on_labels(tree: ast.AST) -> list[int]:
    """Lines with ``pl.col(<label column>).str...`` (a label or formula read as text)."""
    lines = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr == "str"):
            continue
        call = node.value
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "col"
            and call.args
            and isinstance(call.args[0], ast.Constant)
            and call.args[0].value in LABEL_COLUMNS
        ):
            lines.append(node.lineno)
    return lines


def test_no_regex_parsing_outside_the_allowed_modules():
    offenders = []
    for path in _sources():
        rel = path.relative_to(REPO).as_posix()
        if rel in REGEX_ALLOWED or rel.startswith(REGEX_ALLOWED_UNDER):
            continue
        if _uses_re(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(rel)
    assert offenders == [], f"regular expressions outside {sorted(REGEX_ALLOWED)}: {offenders}"


def test_no_label_or_formula_is_read_back():
    offenders = []
    for path in _sources():
        rel = path.relative_to(REPO).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            n.id if isinstance(n, ast.Name) else n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Name | ast.FunctionDef | ast.ClassDef)
        }
        offenders += [f"{rel}: {name}" for name in sorted(names & BANNED_NAMES)]
        offenders += [f"{rel}:{line} string operation" for line in _string_ops_on_labels(tree)]
    assert offenders == []


def test_the_scan_finds_a_reintroduced_label_parser(tmp_path):
    source = (
        "import re\nimport polars as pl\n"
        "_INTERACTION = re.compile(r'^\\((.+)\\)')\n"
        "def parse_contrast(row):\n    return _INTERACTION.match(row['contrast'])\n"
        "pl.col('contrast').str.contains('|')\n"
    )
    tree = ast.parse(source)
    assert _uses_re(tree) and _string_ops_on_labels(tree) == [6]
