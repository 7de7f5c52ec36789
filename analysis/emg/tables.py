"""The EMG stage's output tables, each built once per subject from per-trial arrays.

Trials add NumPy columns (string columns as integer codes into a list of categories) and the
table is made in one step at the end, instead of one polars frame per trial concatenated: fewer
polars calls and no second copy of the table while concatenating.

Examples
--------
>>> t = Table({"cycle": pl.Int64, "muscle": pl.String})
>>> t.add_trial({"cohort": "c", "subject": "S01", "session": "a", "direction": "forward",
...              "trial": 1}, 2)
>>> t.values("cycle", np.array([1, 2]))
>>> t.strings("muscle", ["TA", "VL"], np.array([1, 0]))
>>> t.frame().rows()
[('c', 'S01', 'a', 'forward', 1, 1, 'VL'), ('c', 'S01', 'a', 'forward', 1, 2, 'TA')]
"""

from __future__ import annotations

import numpy as np
import polars as pl

KEY_SCHEMA = {
    "cohort": pl.String,
    "subject": pl.String,
    "session": pl.String,
    "direction": pl.String,
    "trial": pl.Int64,
}
CONSTANT_KEYS = ("cohort", "subject")  # one value per subject: literal columns, not per row
CURVE_SCHEMA = {
    "cycle": pl.Int64,
    "muscle": pl.String,
    "pct": pl.Int64,
    "value": pl.Float64,
    "norm_unit": pl.String,
    "excluded": pl.Boolean,
}
FEATURE_SCHEMA = {
    "cycle": pl.Int64,
    "muscle": pl.String,
    "phase": pl.String,
    "feature": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "excluded": pl.Boolean,
}
QC_SCHEMA = {
    "muscle": pl.String,
    "cycle": pl.Int64,
    "flag": pl.String,
    "reason": pl.String,
    "excluded": pl.Boolean,
}
SPATIOTEMPORAL_SCHEMA = {
    "cycle": pl.Int64,
    "parameter": pl.String,
    "value": pl.Float64,
    "unit": pl.String,
    "excluded": pl.Boolean,
}


def strings(categories: list[str], codes: np.ndarray) -> pl.Series:
    """A String column from category codes, built in polars (fast for millions of rows).

    The codes go in as a ``UInt32`` Series (polars' index type): a NumPy array of indices
    takes a much slower path.

    Examples
    --------
    >>> strings(["a", "b"], np.array([1, 0, 1])).to_list()
    ['b', 'a', 'b']
    """
    index = pl.Series(np.asarray(codes).astype(np.uint32, copy=False))
    return pl.Series(categories, dtype=pl.String).gather(index)


class Table:
    """A table with the trial keys first, filled trial by trial (:meth:`add_trial` first)."""

    def __init__(self, schema: dict) -> None:
        self.schema = schema
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in schema}
        self.categories: dict[str, dict[str, int]] = {}
        self.keys: list[dict] = []
        self.rows: list[int] = []

    def add_trial(self, keys: dict, n_rows: int) -> None:
        """The keys of the next ``n_rows`` rows."""
        self.keys.append(keys)
        self.rows.append(int(n_rows))

    def values(self, column: str, array: np.ndarray) -> None:
        self.parts[column].append(np.asarray(array))

    def strings(self, column: str, categories: list[str], codes: np.ndarray) -> None:
        """String values as ``codes`` into this trial's ``categories``."""
        index = self.categories.setdefault(column, {})
        remap = np.array([index.setdefault(c, len(index)) for c in categories], dtype=np.int64)
        codes = np.asarray(codes, dtype=np.int64)
        # small codes while the trials accumulate; int64 only when the column is made
        self.parts[column].append(
            (remap[codes] if codes.size else codes).astype(_code_dtype(index))
        )

    def frame(self) -> pl.DataFrame:
        """The whole table (no columns at all when no trial was added)."""
        if not self.keys:
            return pl.DataFrame()
        columns = [*self._key_columns()]
        for name, dtype in self.schema.items():
            parts = self.parts.pop(name)
            if not parts:
                columns.append(pl.Series(name, [], dtype=dtype))
                continue
            data = np.concatenate(parts)
            del parts
            if name in self.categories:
                columns.append(strings(list(self.categories[name]), data).alias(name))
            else:
                columns.append(pl.Series(name, data, dtype=dtype))
        constant = {n: self.keys[0][n] for n in KEY_SCHEMA if n in CONSTANT_KEYS}
        lits = [pl.lit(v, dtype=KEY_SCHEMA[n]).alias(n) for n, v in constant.items()]
        return pl.DataFrame(columns).with_columns(lits).select([*KEY_SCHEMA, *self.schema])

    def _key_columns(self) -> list[pl.Series]:
        counts = np.array(self.rows, dtype=np.int64)
        out = []
        for name, dtype in KEY_SCHEMA.items():
            values = [k[name] for k in self.keys]
            if name in CONSTANT_KEYS:
                continue
            if dtype == pl.Int64:
                out.append(pl.Series(name, np.repeat(np.array(values, np.int64), counts)))
                continue
            cats = list(dict.fromkeys(values))
            codes = np.repeat(np.array([cats.index(v) for v in values], np.int64), counts)
            out.append(strings(cats, codes).alias(name))
        return out


def _code_dtype(index: dict) -> type:
    return np.uint8 if len(index) <= 256 else np.uint16 if len(index) <= 65536 else np.int64


def rows_frame(rows: list[tuple], schema: dict) -> pl.DataFrame:
    """A table from rows that start with the trial keys (no columns when there is no trial)."""
    return pl.DataFrame(rows, schema={**KEY_SCHEMA, **schema}, orient="row")
