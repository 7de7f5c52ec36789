"""Simulator of a realistic synthetic retro-walking study, written in the cohort data contract.

The demo cohort in ``data/raw/demo/`` is this simulator's output and regenerates bit for bit::

    python -m analysis simulate data/raw/demo

The built-in effects are drawn from published retro-walking findings and written into the
cohort's ``cohort.yaml`` (``simulation:``) so that tests can check the pipeline recovers them:

- EMG: backward walking raises quadriceps activity (Flynn & Soutas-Little 1993; Cipriani et al.
  1995) and tibialis anterior activity, shifts the quadriceps burst into mid stance where it
  drives the body backward, moves calf activity to the toe-first contact (Grasso et al. 1998;
  Thorstensson 1986) and lowers hamstring activity.
- Spatiotemporal: backward walking is slower, with shorter strides, a higher stance percentage
  and more double support (Laufer 2005).
- Balance: a backward-walking programme improves the Berg Balance Scale and the Timed Up and Go
  more than the control programme (Hao & Chen 2011; Wang et al. 2019).
- Knee pain: walking backward hurts less than walking forward for painful knees (lower
  patellofemoral load; Alghadir et al. 2019), and pain falls after the backward programme.

Variability (``VARIABILITY``, written into ``cohort.yaml`` as ``simulation.variability``) is of
the size published gait studies report, so that the demo's standardised effects look like a real
study's: large for the spatiotemporal direction effects (d_z of about 1-4), moderate for EMG
amplitude ratios. Each parameter, with its value and where its size comes from:

========================================  ========  ==============================================
parameter                                 value     size of the order reported by
========================================  ========  ==============================================
speed: subject SD (both directions)       0.12 m/s  Laufer 2005; Winter 1991 (SD of self-selected
                                                    speed among healthy adults about 0.1-0.2 m/s)
speed: subject x backward SD              0.12 m/s  Laufer 2005 (spread of backward speed in young
                                                    and older adults)
speed: subject x session SD               0.03 m/s  test-retest of gait speed (ICC about 0.9)
speed: trial SD                           0.03 m/s  repeated treadmill trials of one session
stride time: subject CV (both)            5 %       Winter 1991; Laufer 2005
stride time: subject x backward CV        5 %       Laufer 2005
stride time: stride-to-stride CV          2.5 %     Hausdorff et al. 1995 (1-3 % in healthy adults)
stance %: subject SD (both)               1.5 %     Winter 1991; Laufer 2005
stance %: subject x backward SD           1.5 %     Laufer 2005; Thorstensson 1986
stance %: trial SD                        0.7 %     within-subject trial-to-trial variability
EMG: electrode gain, subject x muscle     log 0.30  skin, fat and electrode site (cancels in the
                                                    amplitude normalisation)
EMG: electrode re-application, session    log 0.15  Kadaba et al. 1985 (day-to-day repeatability)
EMG: subject backward/forward log-ratio   0.25      Grasso et al. 1998 (between-subject spread
                                                    of the direction effect on amplitude);
                                                    Winter & Yack 1987
EMG: burst timing, subject x direction    3 %       Winter & Yack 1987 (inter-subject spread of
                                                    EMG profiles); Grasso et al. 1998
EMG: burst amplitude, subject x direction log 0.15  Winter & Yack 1987 (inter-subject CV of the
                                                    normalised linear envelope)
EMG: cycle-to-cycle gain, log SD          0.15      Winter & Yack 1987 (stride-to-stride CV of
                                                    the linear envelope)
========================================  ========  ==============================================

The numbers are of the order these studies report, not copied from one table: the studies
differ in age, speed and processing, and none reports every parameter for one design. The
population means (``SPATIOTEMPORAL``, the bursts, the clinical effects) are unchanged by the
variability: every subject-level deviation has mean zero (log-scale gains have median 1). A
subject's backward/forward ratio of a muscle's cycle mean is its own multiplier times the ratio of
its own (shifted, rescaled) bursts (:meth:`SubjectDraws.cycle_mean_ratio`): its log scatters by
about 0.3 around the population ratio, whose log it matches on average within 0.03.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from scipy import signal as sps

MUSCLES: tuple[str, ...] = ("VL", "VM", "RF", "BF", "ST", "GMAX", "GM", "SO", "TA")
DIRECTIONS: tuple[str, ...] = ("forward", "backward")
SESSIONS: tuple[str, ...] = ("baseline", "post")
GROUPS: tuple[str, ...] = ("retro", "control")
RATE_HZ = 1000.0

# Bursts per muscle as (centre % of gait cycle, SD % of cycle, amplitude uV RMS); the cycle starts
# at foot contact of the instrumented (right) leg: heel first forward, toe first backward.
FORWARD_BURSTS: dict[str, list[tuple[float, float, float]]] = {
    "VL": [(8, 6, 60), (96, 3, 20)],
    "VM": [(8, 6, 55), (96, 3, 18)],
    "RF": [(6, 5, 25), (58, 5, 22)],
    "BF": [(92, 5, 45), (4, 5, 30)],
    "ST": [(90, 5, 50), (3, 5, 30)],
    "GMAX": [(4, 6, 35), (97, 3, 20)],
    "GM": [(42, 8, 90)],
    "SO": [(40, 9, 80)],
    "TA": [(4, 5, 70), (72, 8, 30)],
}
BACKWARD_BURSTS: dict[str, list[tuple[float, float, float]]] = {
    "VL": [(22, 10, 80), (95, 4, 15)],
    "VM": [(22, 10, 72), (95, 4, 14)],
    "RF": [(20, 9, 30), (70, 6, 18)],
    "BF": [(80, 6, 30), (5, 5, 22)],
    "ST": [(80, 6, 34), (5, 5, 22)],
    "GMAX": [(6, 6, 25)],
    "GM": [(8, 6, 70), (35, 8, 30)],
    "SO": [(8, 7, 65), (38, 8, 30)],
    "TA": [(10, 7, 80), (65, 9, 45)],
}
TONIC_UV = 3.0
BASELINE_NOISE_UV = 1.0

SPATIOTEMPORAL = {
    # speed m/s, stride time s, stance % of the cycle (population means)
    "forward": {"speed": 1.20, "stride_time": 1.08, "stance_pct": 61.0},
    "backward": {"speed": 0.75, "stride_time": 1.00, "stance_pct": 67.0},
}

# Between-subject, between-session, between-trial and cycle-to-cycle variability (SDs); the table
# in the module docstring gives each one's source. "backward" entries are subject-specific
# deviations of backward walking only, so that the direction effect itself varies by subject.
VARIABILITY: dict[str, dict[str, float]] = {
    "speed_m_s": {
        "subject_sd": 0.12,
        "subject_backward_sd": 0.12,
        "session_sd": 0.03,
        "trial_sd": 0.03,
    },
    "stride_time": {"subject_cv": 0.05, "subject_backward_cv": 0.05, "stride_cv": 0.025},
    "stance_pct": {"subject_sd": 1.5, "subject_backward_sd": 1.5, "trial_sd": 0.7},
    "emg": {
        "electrode_gain_log_sd": 0.30,
        "session_gain_log_sd": 0.15,
        "subject_log_ratio_sd": 0.25,
        "burst_shift_sd_pct": 3.0,
        "burst_amplitude_log_sd": 0.15,
        "cycle_gain_log_sd": 0.15,
    },
}
# Where each variability's size comes from, as cohort.yaml cites it (sizes "of the order
# reported by": see the module docstring).
VARIABILITY_SOURCES: dict[str, str] = {
    "speed_m_s": "Laufer 2005; Winter 1991 (between-subject SD of self-selected speed)",
    "stride_time": "Laufer 2005; Winter 1991; Hausdorff et al. 1995 (stride-to-stride CV)",
    "stance_pct": "Laufer 2005; Thorstensson 1986; Winter 1991",
    "emg": (
        "Winter & Yack 1987 (inter-subject and stride-to-stride EMG variability); Kadaba et al. "
        "1985 (day-to-day repeatability); Grasso et al. 1998 (backward versus forward)"
    ),
}
REFERENCES: tuple[str, ...] = (
    "Grasso R, Bianchi L, Lacquaniti F (1998) Motor patterns for human gait: backward versus "
    "forward locomotion. J Neurophysiol 80:1868-1885",
    "Hausdorff JM et al. (1995) Is walking a random walk? Evidence for long-range correlations "
    "in stride interval of human gait. J Appl Physiol 78:349-358",
    "Kadaba MP et al. (1985) Repeatability of phasic muscle activity: performance of surface "
    "and intramuscular wire electrodes in gait analysis. J Orthop Res 3:350-359",
    "Laufer Y (2005) Effect of age on characteristics of forward and backward gait at preferred "
    "and accelerated walking speed. J Gerontol A Biol Sci Med Sci 60:627-632",
    "Thorstensson A (1986) How is the normal locomotor program modified to produce backward "
    "walking? Exp Brain Res 61:664-668",
    "Winter DA (1991) The Biomechanics and Motor Control of Human Gait: Normal, Elderly and "
    "Pathological. 2nd ed. University of Waterloo Press",
    "Winter DA, Yack HJ (1987) EMG profiles during normal human walking: stride-to-stride and "
    "inter-subject variability. Electroencephalogr Clin Neurophysiol 67:402-411",
)


@dataclass(frozen=True)
class DemoDesign:
    """Size and seed of a simulated study."""

    n_subjects: int = 12
    n_trials: int = 3
    n_strides: int = 5
    seed: int = 20261125
    name: str = "demo"


def activation_profile(bursts: list[tuple[float, float, float]], pct: np.ndarray) -> np.ndarray:
    """Noise-free activation (uV RMS) at gait-cycle percentages ``pct`` (wraps at 100 %).

    Examples
    --------
    >>> import numpy as np
    >>> a = activation_profile([(50.0, 5.0, 10.0)], np.array([50.0, 0.0]))
    >>> round(float(a[0]), 3), round(float(a[1]), 3)
    (13.0, 3.0)
    """
    pct = np.asarray(pct, dtype=float) % 100.0
    out = np.full(pct.shape, TONIC_UV)
    for centre, sd, amp in bursts:
        d = np.abs(pct - centre)
        d = np.minimum(d, 100.0 - d)
        out += amp * np.exp(-0.5 * (d / sd) ** 2)
    return out


def true_cycle_mean_ratio(muscle: str) -> float:
    """Built-in backward/forward ratio of the cycle-mean activation of ``muscle``."""
    pct = np.linspace(0, 100, 10001)[:-1]
    fwd = activation_profile(FORWARD_BURSTS[muscle], pct).mean()
    bwd = activation_profile(BACKWARD_BURSTS[muscle], pct).mean()
    return float(bwd / fwd)


def _rng(seed: int, *keys: object) -> np.random.Generator:
    """A generator seeded from the study seed and a tuple of keys (stable across runs)."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


@dataclass(frozen=True)
class SubjectDraws:
    """One simulated subject's own parameters (all drawn from the study seed and the subject).

    ``effect`` is the subject's multiplier of every muscle's population backward/forward ratio;
    ``bursts`` the subject's burst timings per direction; ``speed`` the subject's mean speed per
    (session, direction); ``stride_time`` and ``stance_pct`` the subject's means per direction.
    """

    muscle_scale: dict[str, dict[str, float]]
    effect: dict[str, float]
    bursts: dict[str, dict[str, list[tuple[float, float, float]]]]
    speed: dict[tuple[str, str], float]
    stride_time: dict[str, float]
    stance_pct: dict[str, float]

    def cycle_mean_ratio(self, muscle: str) -> float:
        """This subject's true backward/forward ratio of the cycle-mean activation of ``muscle``.

        Examples
        --------
        >>> d = subject_draws(DemoDesign(), "S03")
        >>> round(true_cycle_mean_ratio("VL"), 2), round(d.cycle_mean_ratio("VL"), 2)
        (1.82, 1.39)
        """
        pct = np.linspace(0, 100, 10001)[:-1]
        fwd = activation_profile(self.bursts["forward"][muscle], pct).mean()
        bwd = activation_profile(self.bursts["backward"][muscle], pct).mean()
        return float(bwd / fwd * self.effect[muscle])


def subject_draws(design: DemoDesign, subject: str) -> SubjectDraws:
    """The subject's own parameters (``VARIABILITY`` around the population means).

    Examples
    --------
    >>> d = subject_draws(DemoDesign(), "S01")
    >>> d == subject_draws(DemoDesign(), "S01"), sorted(d.stride_time)
    (True, ['backward', 'forward'])
    """
    rs = _rng(design.seed, "subject", subject)
    v_emg, v_speed = VARIABILITY["emg"], VARIABILITY["speed_m_s"]
    v_stride, v_stance = VARIABILITY["stride_time"], VARIABILITY["stance_pct"]
    electrode = {m: float(rs.lognormal(0.0, v_emg["electrode_gain_log_sd"])) for m in MUSCLES}
    muscle_scale = {
        session: {
            m: electrode[m] * float(rs.lognormal(0.0, v_emg["session_gain_log_sd"]))
            for m in MUSCLES
        }
        for session in SESSIONS
    }
    # each subject's own backward/forward ratio scatters around the population ratio
    effect = {m: float(np.exp(rs.normal(0.0, v_emg["subject_log_ratio_sd"]))) for m in MUSCLES}
    population = {"forward": FORWARD_BURSTS, "backward": BACKWARD_BURSTS}
    bursts = {
        direction: {
            m: [
                (
                    c + float(rs.normal(0.0, v_emg["burst_shift_sd_pct"])),
                    sd,
                    amp * float(rs.lognormal(0.0, v_emg["burst_amplitude_log_sd"])),
                )
                for c, sd, amp in population[direction][m]
            ]
            for m in MUSCLES
        }
        for direction in DIRECTIONS
    }
    speed_common = rs.normal(0.0, v_speed["subject_sd"])
    speed_backward = rs.normal(0.0, v_speed["subject_backward_sd"])
    speed = {
        (session, direction): float(
            SPATIOTEMPORAL[direction]["speed"]
            + speed_common
            + (speed_backward if direction == "backward" else 0.0)
            + rs.normal(0.0, v_speed["session_sd"])
        )
        for session in SESSIONS
        for direction in DIRECTIONS
    }
    stride_common = rs.normal(1.0, v_stride["subject_cv"])
    stride_backward = rs.normal(1.0, v_stride["subject_backward_cv"])
    stride_time = {
        d: float(
            SPATIOTEMPORAL[d]["stride_time"]
            * stride_common
            * (stride_backward if d == "backward" else 1.0)
        )
        for d in DIRECTIONS
    }
    stance_common = rs.normal(0.0, v_stance["subject_sd"])
    stance_backward = rs.normal(0.0, v_stance["subject_backward_sd"])
    stance_pct = {
        d: float(
            SPATIOTEMPORAL[d]["stance_pct"]
            + stance_common
            + (stance_backward if d == "backward" else 0.0)
        )
        for d in DIRECTIONS
    }
    return SubjectDraws(muscle_scale, effect, bursts, speed, stride_time, stance_pct)


def simulate_participants(design: DemoDesign) -> pl.DataFrame:
    """Participants table: half in the backward-walking programme, half in the control group."""
    rng = _rng(design.seed, "participants")
    n = design.n_subjects
    subjects = [f"S{i + 1:02d}" for i in range(n)]
    group = [GROUPS[i % 2] for i in range(n)]
    sex = ["F" if (i // 2) % 2 == 0 else "M" for i in range(n)]
    # knee pain in subjects 1-4 and 9-12: 8 of 12, in both groups
    knee_pain = [(i // 4) % 2 == 0 for i in range(n)]
    height = [round(float(rng.normal(165 if s == "F" else 178, 6)), 1) for s in sex]
    bmi = rng.normal(26.0, 3.0, n)
    mass = [round(float(b * (h / 100) ** 2), 1) for b, h in zip(bmi, height, strict=True)]
    age = rng.integers(52, 76, n).tolist()
    return pl.DataFrame(
        {
            "subject": subjects,
            "group": group,
            "age_years": age,
            "sex": sex,
            "height_cm": height,
            "mass_kg": mass,
            "knee_pain": ["yes" if k else "no" for k in knee_pain],
        }
    )


def _gait_events(
    rng: np.random.Generator, direction: str, n_strides: int, stride_time: float, stance_pct: float
) -> tuple[pl.DataFrame, np.ndarray, float]:
    """Events for both feet; returns the table, right contacts and the recording length (s)."""
    cv = VARIABILITY["stride_time"]["stride_cv"]
    stride = rng.normal(stride_time, cv * stride_time, n_strides + 1).clip(0.7 * stride_time)
    start = 0.3 + rng.uniform(0, 0.15)
    right_fc = start + np.concatenate([[0.0], np.cumsum(stride)])
    rows = []
    contact = "heel" if direction == "forward" else "toe"
    for k in range(n_strides + 1):
        t_fc = right_fc[k]
        rows.append(("right", "foot_contact", t_fc, contact))
        if k < n_strides:
            st = stance_pct / 100 * stride[k] * rng.normal(1.0, 0.01)
            rows.append(("right", "foot_off", t_fc + st, ""))
            t_lfc = t_fc + stride[k] * rng.normal(0.5, 0.01)
            rows.append(("left", "foot_contact", t_lfc, contact))
            # the left foot is still on the ground at the right contact (double support)
            t_lfo_prev = t_fc + (stance_pct / 100 - 0.5) * stride[k] * rng.normal(1.0, 0.02)
            rows.append(("left", "foot_off", t_lfo_prev, ""))
    duration = right_fc[-1] + 0.3
    events = (
        pl.DataFrame(rows, schema=["side", "event", "time_s", "contact"], orient="row")
        .with_columns(pl.col("time_s").round(3))
        .sort("time_s")
    )
    return events, right_fc, float(duration)


def _carrier(rng: np.random.Generator, n: int) -> np.ndarray:
    """Unit-variance band-limited noise with a surface-EMG-like spectrum (20-250 Hz)."""
    sos = sps.butter(2, [20.0, 250.0], btype="bandpass", fs=RATE_HZ, output="sos")
    x = sps.sosfiltfilt(sos, rng.standard_normal(n + 400))[200:-200]
    return x / x.std()


def _trial_emg(
    rng: np.random.Generator,
    direction: str,
    right_fc: np.ndarray,
    duration: float,
    bursts: dict[str, list[tuple[float, float, float]]],
    muscle_scale: dict[str, float],
    effect: dict[str, float],
    faults: dict[str, str],
) -> pl.DataFrame:
    n = int(round(duration * RATE_HZ))
    t = np.arange(n) / RATE_HZ
    # gait-cycle percentage at every sample, extrapolated before the first and after the last
    # contact with the neighbouring stride's duration
    edges = right_fc
    k = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, len(edges) - 2)
    pct = (t - edges[k]) / (edges[k + 1] - edges[k]) * 100.0
    cycle_gain = rng.lognormal(0.0, VARIABILITY["emg"]["cycle_gain_log_sd"], len(edges) + 1)
    gain_per_sample = cycle_gain[k + 1]
    cols: dict[str, np.ndarray] = {}
    for m in MUSCLES:
        act = activation_profile(bursts[m], pct) * muscle_scale[m] * gain_per_sample
        if direction == "backward":
            act = act * effect[m]
        x = act * _carrier(rng, n)
        x += BASELINE_NOISE_UV * rng.standard_normal(n)
        x += rng.uniform(-8, 8) + 4.0 * np.sin(2 * np.pi * rng.uniform(0.5, 2.0) * t)
        x += 0.6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi))
        fault = faults.get(m)
        if fault == "disconnected":
            x = 0.2 * rng.standard_normal(n)
        elif fault == "mains":
            x += 60.0 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi))
        # a 16-bit amplifier at 1 uV per bit
        cols[m] = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return pl.DataFrame(cols)


# Deliberate recording faults, so that the quality-control stage has something real to catch.
FAULTS: dict[tuple[str, str, str, int], dict[str, str]] = {
    ("S05", "baseline", "backward", 2): {"ST": "disconnected"},
    ("S09", "post", "forward", 1): {"RF": "mains"},
}


def simulate_cohort(out_dir: str | Path, design: DemoDesign | None = None) -> Path:
    """Write a complete synthetic cohort in the data contract (version 1) to ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Cohort folder to create (e.g. ``data/raw/demo``). Existing files are overwritten.
    design : DemoDesign, optional
        Number of subjects, trials and strides, and the seed.

    Returns
    -------
    Path
        The cohort folder.
    """
    design = design or DemoDesign()
    out = Path(out_dir)
    (out / "emg").mkdir(parents=True, exist_ok=True)
    (out / "events").mkdir(parents=True, exist_ok=True)

    participants = simulate_participants(design)
    subjects = participants["subject"].to_list()
    groups = dict(zip(subjects, participants["group"].to_list(), strict=True))
    pain_status = dict(zip(subjects, participants["knee_pain"].to_list(), strict=True))

    mean_ratio = {m: true_cycle_mean_ratio(m) for m in MUSCLES}
    trial_rows = []
    for subject in subjects:
        sd = subject_draws(design, subject)
        for session in SESSIONS:
            for direction in DIRECTIONS:
                for trial in range(1, design.n_trials + 1):
                    rt = _rng(design.seed, "trial", subject, session, direction, trial)
                    stance = sd.stance_pct[direction] + rt.normal(
                        0.0, VARIABILITY["stance_pct"]["trial_sd"]
                    )
                    speed = sd.speed[session, direction] + rt.normal(
                        0.0, VARIABILITY["speed_m_s"]["trial_sd"]
                    )
                    events, right_fc, duration = _gait_events(
                        rt, direction, design.n_strides, sd.stride_time[direction], stance
                    )
                    faults = FAULTS.get((subject, session, direction, trial), {})
                    emg = _trial_emg(
                        rt,
                        direction,
                        right_fc,
                        duration,
                        sd.bursts[direction],
                        sd.muscle_scale[session],
                        sd.effect,
                        faults,
                    )
                    stem = f"{subject}_{session}_{direction}_{trial}"
                    emg_file = f"emg/{stem}.parquet"
                    ev_file = f"events/{stem}.csv"
                    emg.write_parquet(out / emg_file, compression="zstd", compression_level=19)
                    events.write_csv(out / ev_file, float_precision=3)
                    trial_rows.append(
                        (
                            subject,
                            session,
                            direction,
                            trial,
                            round(float(speed), 2),
                            "treadmill",
                            emg_file,
                            ev_file,
                        )
                    )
    trials = pl.DataFrame(
        trial_rows,
        schema=[
            "subject",
            "session",
            "direction",
            "trial",
            "speed_m_s",
            "surface",
            "emg_file",
            "events_file",
        ],
        orient="row",
    )

    balance, pain, effects = _simulate_clinical(design, subjects, groups, pain_status)

    participants.write_csv(out / "participants.csv")
    trials.write_csv(out / "trials.csv")
    balance.write_csv(out / "balance.csv", float_precision=1)
    pain.write_csv(out / "pain.csv")
    n_pain = participants["knee_pain"].to_list().count("yes")
    cohort = _cohort_yaml(design, mean_ratio, effects, n_pain)
    (out / "cohort.yaml").write_text(cohort, encoding="utf-8")
    return out


# Built-in clinical effects (population means).
BBS_BASELINE, BBS_GAIN = {"retro": 48.0, "control": 48.0}, {"retro": 4.0, "control": 1.0}
TUG_BASELINE, TUG_GAIN = {"retro": 10.0, "control": 10.0}, {"retro": -1.5, "control": -0.3}
PAIN_FORWARD, PAIN_BACKWARD_DIFF = 5.0, -1.5
PAIN_POST_CHANGE = {"retro": -2.0, "control": -0.5}


def _simulate_clinical(
    design: DemoDesign, subjects: list[str], groups: dict[str, str], pain_status: dict[str, str]
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    rng = _rng(design.seed, "clinical")
    bal_rows, pain_rows = [], []
    for subject in subjects:
        g = groups[subject]
        u_bbs, u_tug, u_pain = rng.normal(0, 3.0), rng.normal(0, 1.2), rng.normal(0, 1.0)
        for s_idx, session in enumerate(SESSIONS):
            bbs = BBS_BASELINE[g] + u_bbs + s_idx * BBS_GAIN[g] + rng.normal(0, 1.0)
            tug = TUG_BASELINE[g] + u_tug + s_idx * TUG_GAIN[g] + rng.normal(0, 0.4)
            bal_rows.append((subject, session, "", "BBS", float(np.clip(np.rint(bbs), 0, 56))))
            bal_rows.append((subject, session, "", "TUG", round(float(tug), 1)))
            for direction in DIRECTIONS:
                if pain_status[subject] == "yes":
                    mu = PAIN_FORWARD + u_pain + s_idx * PAIN_POST_CHANGE[g]
                    if direction == "backward":
                        mu += PAIN_BACKWARD_DIFF
                    value = float(np.clip(np.rint(mu + rng.normal(0, 0.6)), 0, 10))
                else:
                    value = float(np.clip(np.rint(rng.normal(0.3, 0.5)), 0, 10))
                pain_rows.append((subject, session, direction, "knee_pain_walking", value))
    balance = pl.DataFrame(
        bal_rows, schema=["subject", "session", "direction", "measure", "value"], orient="row"
    ).with_columns(pl.col("direction").replace("", None))
    pain = pl.DataFrame(
        pain_rows, schema=["subject", "session", "direction", "measure", "value"], orient="row"
    ).with_columns(pl.col("value").cast(pl.Int64))
    effects = {
        "BBS_post_minus_baseline": dict(BBS_GAIN),
        "TUG_post_minus_baseline_s": dict(TUG_GAIN),
        "knee_pain_backward_minus_forward_painful_knees": PAIN_BACKWARD_DIFF,
        "knee_pain_post_minus_baseline_painful_knees": dict(PAIN_POST_CHANGE),
    }
    return balance, pain, effects


def _cohort_yaml(
    design: DemoDesign, mean_ratio: dict[str, float], clinical: dict, n_knee_pain: int
) -> str:
    """The cohort's ``cohort.yaml``; its description counts the participants it simulated."""
    doc = {
        "contract_version": 1,
        "name": design.name,
        "description": (
            f"Synthetic retro-walking study: {design.n_subjects} adults ({n_knee_pain} with knee "
            "pain) "
            "in a backward-walking programme or a control programme; treadmill walking forward "
            "and backward at baseline and after the programme; surface EMG of 9 right-leg "
            "muscles, Berg Balance Scale, Timed Up and Go and knee pain while walking "
            "(NRS 0-10). Generated by `python -m analysis simulate`."
        ),
        "sessions": list(SESSIONS),
        "groups": list(GROUPS),
        "emg": {
            "sampling_rate_hz": RATE_HZ,
            "units": "uV",
            "side": "right",
            "mains_hz": 50,
            "muscles": list(MUSCLES),
            "channel_map": {},
            # the hardware a study of this kind reports (ISEK, CEDE), written into the methods
            "electrodes": {
                "type": "bipolar Ag/AgCl",
                "inter_electrode_distance_mm": 20,
                "placement": "SENIAM",
            },
            "amplifier": {"cmrr_db": 80, "input_impedance_mohm": 100, "gain": 1000},
        },
        "protocol": {"speed": {"mode": "self-selected", "surface": "treadmill"}},
        "units": {"height": "cm", "mass": "kg"},
        "pain_scale": {"name": "NRS", "min": 0, "max": 10},
        "measures": {
            "BBS": {
                "family": "balance",
                "unit": "points",
                "min": 0,
                "max": 56,
                "label": "Berg Balance Scale",
            },
            "TUG": {
                "family": "balance",
                "unit": "s",
                "min": 0,
                "max": 120,
                "label": "Timed Up and Go",
            },
            "knee_pain_walking": {
                "family": "pain",
                "unit": "NRS",
                "min": 0,
                "max": 10,
                "label": "Knee pain while walking",
            },
        },
        "simulation": {
            "command": f"python -m analysis simulate data/raw/{design.name}",
            "seed": design.seed,
            "n_subjects": design.n_subjects,
            "n_trials": design.n_trials,
            "n_strides": design.n_strides,
            "true_effects": {
                "emg_cycle_mean_ratio_backward_over_forward": {
                    m: round(v, 4) for m, v in mean_ratio.items()
                },
                "spatiotemporal": SPATIOTEMPORAL,
                **clinical,
            },
            "variability": _BlockDict(
                {k: _BlockDict(v) if len(v) > 4 else v for k, v in VARIABILITY.items()}
            ),
            "variability_sources": _BlockDict(VARIABILITY_SOURCES),
            "references": _BlockList(REFERENCES),
            "faults": [
                {"subject": s, "session": se, "direction": d, "trial": t, "channels": f}
                for (s, se, d, t), f in FAULTS.items()
            ],
        },
    }
    return "# Written by analysis.simulate; do not edit by hand.\n" + yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100
    )


class _BlockDict(dict):
    """A mapping that cohort.yaml writes one item per line."""


class _BlockList(list):
    """A list that cohort.yaml writes one item per line."""


class _Dumper(yaml.SafeDumper):
    """The safe dumper, with :class:`_BlockDict` and :class:`_BlockList` in block style."""


_Dumper.add_representer(
    _BlockDict,
    lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", dict(v), flow_style=False),
)
_Dumper.add_representer(
    _BlockList,
    lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", list(v), flow_style=False),
)
