"""Formula parsing, printing, and the refusal messages for structures MixedLM cannot fit."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.models import FormulaError, fit_lmm, parse_formula
from analysis.models.design import build_design
from analysis.models.formula import drop_variable


def test_parse_expands_star_and_nesting():
    spec = parse_formula("value ~ direction * session + age + (1 + direction | subject/session)")
    assert spec.fixed == (("direction",), ("session",), ("age",), ("direction", "session"))
    assert [str(r) for r in spec.random] == [
        "(1 + direction | subject)",
        "(1 + direction | subject:session)",
    ]
    assert spec.formula.startswith("value ~ age + direction*session")


def test_implied_intercept_in_random_term():
    (term,) = parse_formula("y ~ x + (x | g)").random
    assert term.intercept and term.slopes == ("x",)


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        ("y ~ x", "no random-effects term"),
        ("y ~ x + (1 + x || g)", "separate terms"),
        ("log(y) ~ x + (1 | g)", "plain column name"),
        ("y ~ log(x) + (1 | g)", "add the transformed column"),
        ("y ~ x - 1 + (1|g) - x", "not supported"),
        ("y ~ x + (1 + a:b | g)", "grouping factor instead"),
    ],
)
def test_refusals_say_what_to_write(formula, hint):
    with pytest.raises(FormulaError, match=hint):
        parse_formula(formula)


def _long() -> pl.DataFrame:
    rows = []
    for s in range(6):
        for sess in ("pre", "post"):
            for d in ("forward", "backward"):
                for item in range(2):
                    rows.append((f"s{s}", sess, d, f"i{item}", float(s + item + (d == "backward"))))
    return pl.DataFrame(rows, schema=["subject", "session", "direction", "item", "y"], orient="row")


def test_crossed_random_effects_are_fitted_and_refused_only_by_statsmodels():
    d = build_design(_long(), parse_formula("y ~ direction + (1 | subject) + (1 | item)"))
    assert d.group == ("subject",) and d.crossed
    assert [b.crossed for b in d.blocks] == [False, True]
    assert d.blocks[1].level_names == ("i0", "i1")
    with pytest.raises(FormulaError, match=r"crossed.*\(1 \| subject:item\)"):
        d.translation  # noqa: B018


def test_correlated_nested_effects_are_refused_by_statsmodels_with_a_fix():
    d = build_design(
        _long(),
        parse_formula("y ~ direction + (1 | subject) + (1 + direction | subject:session)"),
    )
    with pytest.raises(FormulaError, match=r"subject:session:direction"):
        d.translation  # noqa: B018


def test_two_correlated_blocks_for_one_group_are_refused_by_statsmodels():
    df = _long().with_columns(x=pl.col("y") * 0.3 + 1, z=pl.col("y").cos())
    d = build_design(df, parse_formula("y ~ direction + (1 + x | subject) + (1 + z | subject)"))
    with pytest.raises(FormulaError, match="one covariance matrix per group"):
        d.translation  # noqa: B018


def test_translation_to_mixedlm_arguments():
    d = build_design(
        _long(),
        parse_formula("y ~ direction*session + (1 + direction | subject) + (1 | subject:session)"),
        levels={"session": ["pre", "post"]},
    )
    tr = d.translation
    assert tr.groups == "subject"
    assert tr.re_formula == "1 + direction"
    assert tr.vc_formula == {"(1 | subject:session)": "0 + C(session)"}
    assert d.x_names == ("(Intercept)", "direction1", "session1", "direction1:session1")


def test_sum_to_zero_coding_matches_r():
    d = build_design(_long(), parse_formula("y ~ direction + (1 | subject)"))
    x = d.x[:, 1]
    forward = d.data["direction"].to_numpy() == "forward"
    assert set(x[forward]) == {1.0} and set(x[~forward]) == {-1.0}


def test_residual_confounded_term_is_refused():
    df = _long().group_by(["subject", "session"]).agg(pl.col("y").mean())
    with pytest.raises(FormulaError, match="cannot be told apart from the residual"):
        fit_lmm(df, "y ~ session + (1 | subject) + (1 | subject:session)")


def test_drop_variable_removes_terms_and_grouping():
    spec = parse_formula("y ~ direction*session + (1 + session | subject) + (1 | subject:session)")
    new, notes = drop_variable(spec, "session")
    assert new.formula == "y ~ direction + (1 | subject)"
    assert len(notes) == 3
