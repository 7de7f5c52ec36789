"""``process_subject``: one subject's trials from raw EMG and events to tidy tables."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from analysis.core.settings import EmgSettings, merge_params
from analysis.core.signal import EMG
from analysis.emg.normalise import _normalisation_frame, _references
from analysis.emg.recording import EMGResult, Recording
from analysis.emg.sides import process_by_side
from analysis.emg.tables import (
    CURVE_SCHEMA,
    FEATURE_SCHEMA,
    QC_SCHEMA,
    SPATIOTEMPORAL_SCHEMA,
    Table,
    rows_frame,
)
from analysis.emg.timing import stage
from analysis.emg.trial_features import _add_trial, _spatiotemporal_rows
from analysis.emg.trials import _exclusions, _prepare, _severity_excluded


def process_subject(
    recordings: list[Recording],
    params: EmgSettings | Mapping | None,
    *,
    cohort: str,
    subject: str,
    mvc: dict[str, EMG | list[EMG]] | None = None,
) -> EMGResult:
    """Run the whole EMG stage for one subject's trials.

    Parameters
    ----------
    recordings : list of Recording
        All the subject's trials (every session and direction: the amplitude reference is shared
        across them).
    params : EmgSettings or mapping
        The cohort's resolved EMG settings (:class:`analysis.core.settings.EmgSettings`), or a
        partial ``emg:`` mapping whose missing keys take the defaults.
    cohort, subject : str
    mvc : dict, optional
        Muscle code -> MVC recording(s) (:class:`EMG` or list of them, raw microvolts).

    Returns
    -------
    EMGResult
        ``curves``, ``features``, ``qc``, ``spatiotemporal`` and ``normalisation`` tables
        (columns in docs/emg.md). Every cycle is kept; ``excluded`` marks what the statistics
        leave out, with the reasons in ``qc``. Each table has a ``side`` column: channels coded
        ``L_``/``R_`` (or all channels, by ``emg.side``) are processed with the gait cycles of
        their own leg (:mod:`analysis.emg.sides`).

    Examples
    --------
    >>> import numpy as np, polars as pl
    >>> from analysis.core.signal import EMG
    >>> from analysis.emg.recording import Recording
    >>> from analysis.simulate import activation_profile
    >>> rng = np.random.default_rng(0)
    >>> rate, stride = 1000.0, 1.0
    >>> t = np.arange(int(8 * rate)) / rate
    >>> pct = (t % stride) / stride * 100
    >>> ta = activation_profile([(5.0, 5.0, 50.0)], pct) * rng.standard_normal(t.size)
    >>> emg = EMG(ta, rate, ("TA",))
    >>> contacts = np.arange(0.0, 8.0, stride)
    >>> events = pl.DataFrame({"side": "right", "event": ["foot_contact"] * 8 + ["foot_off"] * 8,
    ...                        "time_s": np.r_[contacts, contacts + 0.62]}).sort("time_s")
    >>> out = process_subject([Recording("baseline", "forward", 1, emg, events)], {},
    ...                       cohort="demo", subject="S01")
    >>> out.normalisation["method"].item()
    'reference: peak of mean forward envelope'
    >>> curve = out.curves.group_by("pct").agg(pl.col("value").mean()).sort("value")
    >>> curve["pct"][-1] < 15 or curve["pct"][-1] > 95
    True
    """
    tables = process_by_side(
        recordings, params, cohort=cohort, subject=subject, mvc=mvc, one_side=process_side
    )
    return EMGResult(**tables)


def process_side(
    recordings: list[Recording],
    params: EmgSettings | Mapping | None,
    *,
    cohort: str,
    subject: str,
    mvc: dict[str, EMG | list[EMG]] | None = None,
) -> EMGResult:
    """The EMG stage for the channels of one leg, cycles from that leg's contacts.

    ``params["cycles"]["side"]`` names the leg; :func:`process_subject` calls it once per leg
    (:mod:`analysis.emg.sides`) and adds the ``side`` column. Same parameters and tables.
    """
    p = merge_params(params)
    exclude_flagged = bool(p["qc"]["exclude_flagged"])
    pair_muscles = {m for pair in p["cocontraction_pairs"] for m in pair}
    trials = [_prepare(rec, p, pair_muscles) for rec in recordings]
    with stage("cycles"):
        for t in trials:
            t.excluded = _exclusions(t, exclude_flagged)
        refs = _references(trials, p, mvc)
    tables = {"curves": Table(CURVE_SCHEMA), "features": Table(FEATURE_SCHEMA)}
    qc_rows: list[tuple] = []
    st_rows: list[tuple] = []
    for t in trials:
        rec = t.rec
        keys = {"cohort": cohort, "subject": subject, "session": rec.session,
                "direction": rec.direction, "trial": int(rec.trial)}  # fmt: skip
        _add_trial(tables, t, refs, p, keys)
        with stage("tables"):
            key = tuple(keys.values())
            qc_rows += [(*key, m, c, fl, r, _severity_excluded(s, exclude_flagged))
                        for m, c, fl, r, s in t.qc]  # fmt: skip
            st_rows += [(*key, *row) for row in _spatiotemporal_rows(t, exclude_flagged)]
        t.kept_env = {}  # free the envelopes before the next trial's rows
    with stage("tables"):
        return EMGResult(
            curves=tables["curves"].frame(),
            features=tables["features"].frame(),
            qc=rows_frame(qc_rows, QC_SCHEMA) if trials else pl.DataFrame(),
            spatiotemporal=rows_frame(st_rows, SPATIOTEMPORAL_SCHEMA) if trials else pl.DataFrame(),
            normalisation=_normalisation_frame(refs, cohort, subject),
        )
