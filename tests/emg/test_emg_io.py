"""Readers: every format, channel mapping, units, rates and clear errors."""

import ezc3d
import numpy as np
import polars as pl
import pyedflib
import pytest
from pyedflib import highlevel

from analysis.core.errors import ValidationError
from analysis.ingest.readers import map_channels, read_emg, read_events, read_mvc_table

RATE = 1000.0


@pytest.fixture
def signals():
    rng = np.random.default_rng(7)
    return rng.normal(0, 100, (2, 3000)).round(3)


def write_csv(path, header, rows, sep=","):
    path.write_text("\n".join([sep.join(header), *[sep.join(map(str, r)) for r in rows]]) + "\n")
    return path


def problems(exc: pytest.ExceptionInfo) -> list:
    return exc.value.problems


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_tables_with_time_column_and_channel_map(tmp_path, signals, suffix):
    t = 2.0 + np.arange(signals.shape[1]) / RATE
    df = pl.DataFrame({"time_s": t, "Vastus Lat.": signals[0], "TibAnt_R": signals[1]})
    path = tmp_path / f"trial{suffix}"
    if suffix == ".parquet":
        df.write_parquet(path)
    else:
        df.write_csv(path, separator="\t" if suffix == ".tsv" else ",")
    emg = read_emg(path, channel_map={"vastus lat.": "VL", "TibAnt_R": "TA"}, units="mV")
    assert emg.channels == ("VL", "TA")
    assert emg.rate == 1000.0 and emg.t0 == pytest.approx(2.0)
    assert emg.units == "uV"
    assert emg.data == pytest.approx(signals * 1000.0)


def test_declared_rate_without_time_column(tmp_path, signals):
    path = tmp_path / "t.parquet"
    pl.DataFrame({"VL": signals[0].astype(np.float32)}).write_parquet(path)
    emg = read_emg(path, rate=2000.0, units="V")
    assert emg.rate == 2000.0 and emg.t0 == 0.0
    expected = signals[0].astype(np.float32).astype(float) * 1e6
    assert emg.data[0] == pytest.approx(expected, rel=1e-6, abs=1e-6 * np.abs(expected).max())


def test_rate_disagreement_beyond_half_percent_is_an_error(tmp_path, signals):
    t = np.arange(signals.shape[1]) / RATE
    path = tmp_path / "t.csv"
    pl.DataFrame({"time_s": t, "VL": signals[0]}).write_csv(path)
    assert read_emg(path, rate=1004.0).rate == 1004.0  # 0.4 %: fine, declared rate wins
    with pytest.raises(ValidationError) as exc:
        read_emg(path, rate=1010.0, cohort="demo", file="emg/t.csv")
    (p,) = problems(exc)
    assert (p.cohort, p.file, p.column) == ("demo", "emg/t.csv", "time_s")
    assert "1000" in p.message and "1010" in p.message


@pytest.mark.parametrize("rate", [0.0, -5.0, float("nan")])
def test_impossible_declared_rate(tmp_path, rate):
    path = tmp_path / "t.csv"
    path.write_text("VL\n1\n2\n")
    with pytest.raises(ValidationError) as exc:
        read_emg(path, rate=rate, cohort="c", file="t.csv")
    assert problems(exc)[0].fix == "set emg.sampling_rate_hz to the sampling rate in Hz"


def test_no_time_and_no_rate(tmp_path, signals):
    path = tmp_path / "t.csv"
    pl.DataFrame({"VL": signals[0]}).write_csv(path)
    with pytest.raises(ValidationError, match="no time column"):
        read_emg(path)


def test_non_monotonic_and_negative_time_name_the_row(tmp_path):
    path = write_csv(
        tmp_path / "t.csv",
        ["time_s", "VL"],
        [(0.000, 1), (0.001, 2), (0.002, 3), (0.002, 4), (0.004, 5)],
    )
    with pytest.raises(ValidationError) as exc:
        read_emg(path, cohort="c", file="t.csv")
    (p,) = problems(exc)
    assert (p.row, p.column) == (4, "time_s") and "does not increase" in p.message
    path = write_csv(tmp_path / "n.csv", ["time_s", "VL"], [(-0.001, 1), (0.0, 2), (0.001, 3)])
    with pytest.raises(ValidationError) as exc:
        read_emg(path)
    assert problems(exc)[0].row == 1 and "negative" in problems(exc)[0].message


def test_non_numeric_cell_names_row_and_column(tmp_path):
    path = write_csv(
        tmp_path / "t.csv", ["time_s", "VL", "TA"], [(0.0, 1, 2), (0.001, "x1", 2), (0.002, 3, "")]
    )
    with pytest.raises(ValidationError) as exc:
        read_emg(path, cohort="demo", file="emg/t.csv")
    (p,) = problems(exc)
    assert (p.cohort, p.file, p.row, p.column) == ("demo", "emg/t.csv", 2, "VL")
    assert "'x1' is not a number" in p.message
    assert "row 2" in str(exc.value) and "column 'VL'" in str(exc.value)


def test_decimal_commas_are_a_clear_error(tmp_path):
    path = write_csv(
        tmp_path / "t.csv", ["time_s", "VL"], [("0,000", "1,5"), ("0,001", "2,5")], sep=";"
    )
    with pytest.raises(ValidationError) as exc:
        read_emg(path)
    # an undeclared semicolon/decimal-comma export: one problem naming the cohort.yaml fix
    (p,) = problems(exc)
    assert "separated by semicolons" in p.message
    assert 'csv: {separator: ";", decimal: ","}' in p.fix
    path = write_csv(tmp_path / "c.csv", ["time_s", "VL"], [("0.000", "1,5")])
    with pytest.raises(ValidationError) as exc:
        read_emg(path)
    (p,) = problems(exc)
    assert p.row == 1 and "fields" in p.message and "decimal" in p.fix


def test_empty_and_header_only_files(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValidationError, match="empty"):
        read_emg(tmp_path / "empty.csv", rate=1000)
    (tmp_path / "head.csv").write_text("time_s,VL\n")
    with pytest.raises(ValidationError, match="no data rows"):
        read_emg(tmp_path / "head.csv")
    (tmp_path / "nohead.csv").write_text("0.0,1.0\n0.001,2.0\n")
    with pytest.raises(ValidationError, match="header"):
        read_emg(tmp_path / "nohead.csv")
    pl.DataFrame({"VL": []}, schema={"VL": pl.Float64}).write_parquet(tmp_path / "e.parquet")
    with pytest.raises(ValidationError, match="no data rows"):
        read_emg(tmp_path / "e.parquet", rate=1000)
    with pytest.raises(ValidationError, match="not found"):
        read_emg(tmp_path / "missing.csv")


def test_missing_rows_in_time_become_nan_gaps(tmp_path):
    t = np.arange(100) / RATE
    keep = np.ones(100, bool)
    keep[40:45] = False
    path = tmp_path / "t.csv"
    pl.DataFrame({"time_s": t[keep], "VL": np.arange(100.0)[keep]}).write_csv(path)
    emg = read_emg(path)
    assert emg.n_samples == 100
    assert np.isnan(emg.data[0, 40:45]).all() and emg.data[0, 45] == 45.0
    assert emg.meta["filled_gaps"] == [(pytest.approx(0.040), 5)]


def test_empty_cells_are_gaps(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["time_s", "VL"], [(0.0, 1), (0.001, ""), (0.002, 3)])
    assert np.isnan(read_emg(path).data[0, 1])


def test_channel_map_rules():
    names = ["Delsys:EMG VL", "Sensor 2: TA", "ta", "Trigger", "Gastroc Med"]
    out, probs = map_channels(
        names,
        {
            "Delsys:EMG VL": "VL",
            "Sensor 2: TA": "TA",
            "ta": None,
            "gastroc  med": "GM",
            "Trigger": None,
        },
    )
    assert out == ["VL", "TA", None, None, "GM"] and probs == []
    out, probs = map_channels(["x"], {"TA": "TA", "ta": None})
    assert "twice" in probs[0].message
    out, probs = map_channels(["a", "b"], {"a": "VL", "b": "vl"}, cohort="c", file="f")
    assert len(probs) == 1 and "both map to 'VL'" in probs[0].message
    out, probs = map_channels(["a"], {"a": "Quads"}, cohort="c", file="f")
    assert probs[0].column == "a" and "not a canonical" in probs[0].message


def test_c3d_analog_channels_by_label_at_analog_rate(tmp_path, signals):
    c = ezc3d.c3d()
    c["parameters"]["POINT"]["RATE"]["value"] = [100]
    c["parameters"]["POINT"]["LABELS"]["value"] = ("M1",)
    c["parameters"]["ANALOG"]["RATE"]["value"] = [RATE]
    c["parameters"]["ANALOG"]["LABELS"]["value"] = ("Delsys:EMG VL", "Sensor 2: Tib Ant")
    c["parameters"]["ANALOG"]["UNITS"]["value"] = ("mV", "mV")
    c["data"]["points"] = np.ones((4, 1, 300))
    c["data"]["analogs"] = signals[np.newaxis] / 1000.0
    c.add_event(time=[0, 0.5], context="Right", label="Foot Strike")
    c.add_event(time=[0, 1.1], context="Right", label="Foot Off")
    c.add_event(time=[0, 1.5], context="Right", label="Foot Strike")
    path = tmp_path / "trial.c3d"
    c.write(str(path))
    emg = read_emg(path, channel_map={"EMG VL": "VL", "Tib Ant": "TA"}, rate=1000.0)
    assert emg.channels == ("VL", "TA") and emg.rate == 1000.0
    assert emg.data == pytest.approx(signals, abs=1e-3)  # stored in mV, read in uV
    with pytest.raises(ValidationError, match="100 Hz was declared"):
        read_emg(path, rate=100.0)  # the point rate is not the EMG rate
    ev = read_events(path)
    assert ev["event"].to_list() == ["foot_contact", "foot_off", "foot_contact"]
    assert ev["time_s"].to_list() == pytest.approx([0.5, 1.1, 1.5])


@pytest.mark.parametrize("kind", ["edf", "bdf"])
def test_edf_and_bdf(tmp_path, signals, kind):
    headers = highlevel.make_signal_headers(
        ["EMG VL", "Tib Ant"],
        dimension="uV",
        sample_frequency=RATE,
        physical_min=-1000,
        physical_max=1000,
    )
    path = tmp_path / f"t.{kind}"
    ftype = pyedflib.FILETYPE_EDFPLUS if kind == "edf" else pyedflib.FILETYPE_BDFPLUS
    highlevel.write_edf(str(path), signals, headers, file_type=ftype)
    emg = read_emg(path, channel_map={"EMG VL": "VL", "Tib Ant": "TA"})
    assert emg.channels == ("VL", "TA") and emg.rate == RATE
    assert emg.data == pytest.approx(signals, abs=0.05)


def test_unknown_units_and_suffix(tmp_path, signals):
    path = tmp_path / "t.csv"
    pl.DataFrame({"VL": signals[0]}).write_csv(path)
    with pytest.raises(ValidationError, match="unknown EMG units"):
        read_emg(path, rate=1000, units="mv/s")
    other = tmp_path / "t.xlsx"
    other.write_text("x")
    with pytest.raises(ValidationError, match="unknown EMG file type"):
        read_emg(other)


def test_read_events_valid_and_in_time_order(tmp_path):
    rows = [
        ("Right", "foot_contact", 0.5, "toe"),
        ("left", "foot_contact", 1.0, "flat"),
        ("right", "foot_off", 1.2, ""),
    ]
    path = write_csv(tmp_path / "e.csv", ["side", "event", "time_s", "contact"], rows)
    ev = read_events(path)
    assert ev.columns == ["side", "event", "time_s", "contact"]
    assert ev["time_s"].to_list() == [0.5, 1.0, 1.2]
    assert ev["contact"].to_list() == ["toe", "flat", None]
    no_contact = write_csv(
        tmp_path / "n.csv", ["side", "event", "time_s"], [("left", "foot_off", 1)]
    )
    assert read_events(no_contact)["contact"].to_list() == [None]
    shuffled = write_csv(
        tmp_path / "s.csv", ["side", "event", "time_s", "contact"], [rows[2], rows[0], rows[1]]
    )
    with pytest.raises(ValidationError) as info:
        read_events(shuffled, cohort="c", file="s.csv")
    [problem] = info.value.problems
    assert (problem.row, problem.column) == (2, "time_s")
    assert "out of time order" in problem.message


def test_read_events_errors_name_rows_and_columns(tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        ["side", "event", "time_s", "contact"],
        [
            ("right", "heel_strike", 0.5, ""),
            ("middle", "foot_off", '"1,2"', ""),
            ("left", "foot_off", -1, "heel"),
        ],
    )
    with pytest.raises(ValidationError) as exc:
        read_events(path, cohort="demo", file="events/e.csv")
    where = {(p.row, p.column) for p in problems(exc)}
    assert where == {(1, "event"), (2, "side"), (2, "time_s"), (3, "time_s"), (3, "contact")}
    comma = write_csv(
        tmp_path / "c.csv", ["side", "event", "time_s"], [("left", "foot_off", "1,2")]
    )
    with pytest.raises(ValidationError) as exc:
        read_events(comma)
    assert problems(exc)[0].row == 1 and "decimal" in problems(exc)[0].fix
    missing = write_csv(tmp_path / "m.csv", ["side", "time_s"], [("left", 1)])
    with pytest.raises(ValidationError, match="missing column"):
        read_events(missing)


def test_mvc_table(tmp_path):
    path = write_csv(
        tmp_path / "mvc.csv",
        ["subject", "muscle", "emg_file"],
        [("S01", "vl", "mvc/S01_VL.csv"), ("S01", "XX", "../x.csv")],
    )
    with pytest.raises(ValidationError) as exc:
        read_mvc_table(path, cohort="c", file="mvc.csv")
    assert {(p.row, p.column) for p in problems(exc)} == {(2, "muscle"), (2, "emg_file")}
    ok = write_csv(
        tmp_path / "ok.csv", ["subject", "muscle", "emg_file"], [("S01", "vl", "mvc/S01_VL.csv")]
    )
    assert read_mvc_table(ok).row(0) == ("S01", "VL", "mvc/S01_VL.csv")
