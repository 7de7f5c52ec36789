"""The examples in the EMG stage's docstrings run and give what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "analysis.ingest.readers.channels",
    "analysis.ingest.readers.emg",
    "analysis.ingest.readers.events",
    "analysis.ingest.readers.timebase",
    "analysis.ingest.readers.mvc",
    "analysis.core.settings",
    "analysis.emg.filters",
    "analysis.emg.features",
    "analysis.emg.gait",
    "analysis.emg.qc",
    "analysis.emg.pipeline",
    "analysis.emg.normalise",
    "analysis.emg.methods",
    "analysis.emg.timing",
    "analysis.emg.tables",
    "analysis.kinematics.angles",
    "analysis.outcomes.table",
    "analysis.ingest.cohort",
    "analysis.ingest.cohort_yaml",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
