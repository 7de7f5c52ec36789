"""The examples in the ingest modules' docstrings run and give what they say."""

import doctest
import importlib
import pkgutil

import pytest

import analysis.ingest

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(analysis.ingest.__path__, "analysis.ingest.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_readers_and_checks_have_examples():
    attempted = {
        name: doctest.testmod(importlib.import_module(name), report=False).attempted
        for name in ("analysis.ingest.sheets", "analysis.ingest.references")
    }
    assert all(n > 0 for n in attempted.values()), attempted
