"""Stage 1, ingest: a cohort folder in ``data/raw/`` -> validated tidy tables.

``cohort`` checks the tables and ``cohort.yaml``; ``validate`` also reads every recording they
name; ``readers`` reads EMG, events and MVC files (reading only, no processing); ``sheets``
reads CSV tables and YAML strictly. Nothing here writes to the cohort folder.
"""

from analysis.ingest.cohort import Cohort, discover_cohorts, load_cohort, survey_cohort
from analysis.ingest.validate import validate_cohort_folder, validated_cohort

__all__ = [
    "Cohort",
    "discover_cohorts",
    "load_cohort",
    "survey_cohort",
    "validate_cohort_folder",
    "validated_cohort",
]
