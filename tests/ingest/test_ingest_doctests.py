"""The examples in the ingest modules' docstrings run and give what they say."""

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["analysis.ingest.sheets", "analysis.ingest.cohort"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
