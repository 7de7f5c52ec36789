"""p-value adjustment against statsmodels' independent implementation."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from analysis.models import adjust_pvalues


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [("holm", "holm"), ("fdr_bh", "fdr_bh"), ("bonferroni", "bonferroni"), ("sidak", "sidak")],
)
def test_matches_statsmodels(ours, theirs):
    rng = np.random.default_rng(11)
    for _ in range(20):
        p = rng.uniform(size=rng.integers(1, 30)) ** 3
        np.testing.assert_allclose(
            adjust_pvalues(p, ours), multipletests(p, method=theirs)[1], rtol=1e-7, atol=1e-15
        )


def test_missing_p_values_do_not_count():
    p = np.array([0.01, np.nan, 0.02])
    out = adjust_pvalues(p, "holm")
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2]], [0.02, 0.02], rtol=1e-12, atol=1e-15)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="holm"):
        adjust_pvalues([0.1], "bonferroni-ish")
