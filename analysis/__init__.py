"""retrowalk: reproducible analysis of retro-walking (backward walking) studies.

Data flow (each arrow is a pure function in this package)::

    data/raw/<cohort>/ -> validated tidy tables (analysis.ingest)
                       -> EMG curves and features (analysis.emg)
                       -> outcome table (analysis.outcomes)
                       -> models and contrasts, waveform SPM (analysis.models)
                       -> figures, tables, text, report (analysis.report)

Every stage reads its settings from one resolved object (analysis.core.settings).
"""

from analysis.check_python import check as _check_python

_check_python()

from analysis.core.errors import Problem, ValidationError  # noqa: E402
from analysis.core.signal import EMG  # noqa: E402

__all__ = ["EMG", "Problem", "ValidationError"]
__version__ = "0.1.0"
