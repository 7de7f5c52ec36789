"""retrowalk: reproducible analysis of retro-walking (backward walking) studies.

Data flow (each arrow is a pure function in this package)::

    data/raw/<cohort>/ -> validated tidy tables (analysis.cohort)
                       -> EMG curves and features (analysis.emg)
                       -> outcome table (analysis.outcomes)
                       -> models and contrasts (analysis.models / analysis.stats)
                       -> figures, tables, report (analysis.figures, analysis.tables)
"""

from analysis.errors import Problem, ValidationError
from analysis.signal import EMG

__all__ = ["EMG", "Problem", "ValidationError"]
__version__ = "0.1.0"
