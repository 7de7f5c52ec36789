"""The bad-input corpus, written once per session under a temporary ``raw/`` folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from bad_cases import CASES
from corpus_support import digest, make_base, make_case  # noqa: E402,F401


@dataclass
class Corpus:
    root: Path
    raw: Path
    base: Path
    digests: dict[str, dict[str, str]]
    outside_digest: dict[str, str]

    def folder(self, case) -> Path:
        return self.raw / case.folder


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Corpus:
    """Every case of ``bad_cases.CASES`` as a cohort folder, with its checksums."""
    root = tmp_path_factory.mktemp("bad_input")
    base = make_base(root / "base" / "base")
    raw = root / "raw"
    raw.mkdir()
    digests = {}
    for case in CASES:
        digests[case.name] = digest(make_case(base, raw, case))
    return Corpus(root, raw, base, digests, digest(root / "outside"))
