"""Stage 3, outcomes: EMG features, spatiotemporal parameters and clinical measures -> one long
outcome table per cohort (docs/architecture.md)."""

from analysis.outcomes.table import (
    OUTCOME_COLUMNS,
    apply_qc,
    emg_outcomes,
    measure_outcomes,
    outcome_table,
    spatiotemporal_outcomes,
)

__all__ = [
    "OUTCOME_COLUMNS",
    "apply_qc",
    "emg_outcomes",
    "measure_outcomes",
    "outcome_table",
    "spatiotemporal_outcomes",
]
