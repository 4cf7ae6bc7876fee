"""``alliance stats``: outputs against hand-computed values, and malformed input."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from alliance import cli
from alliance.core.signals import CheckinPoint, SignalKind, SignalSettings, detect
from alliance.stats_cli import main


def write(tmp_path: Path, text: str, name: str = "scores.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, str]]]:
    status = main(argv)
    out = capsys.readouterr().out
    return status, list(csv.DictReader(io.StringIO(out)))


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    return captured.err.strip()


# --- change --------------------------------------------------------------------------------------

# SD 5 and reliability .5 give S_diff = 5·√(2·0.5) = 5 exactly: RCI = change / 5.
WIDE = "id,1,2,3\nA,20,14,8\nB,15,,19\nC,12,,\n"
LONG = "id,session,score\nA,3,8\nB,3,19\nA,1,20\nA,2,14\nB,1,15\nC,1,12\n"


def test_change_first_against_last_in_a_wide_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, rows = run(
        ["change", write(tmp_path, WIDE), "--sd", "5", "--reliability", "0.5", "--cutoff", "10"],
        capsys,
    )
    assert status == 0
    # A: 20 → 8, change −12, RCI −12/5 = −2.4 (reliable), crossed c = 10: recovered.
    # B: 15 → 19 (session 2 missing), RCI 4/5 = 0.8: unchanged.
    # C: one score only.
    assert rows == [
        {
            "id": "A",
            "baseline_session": "1",
            "baseline": "20",
            "latest_session": "3",
            "latest": "8",
            "change": "-12",
            "rci": "-2.4",
            "reliable": "true",
            "category": "recovered",
            "note": "",
        },
        {
            "id": "B",
            "baseline_session": "1",
            "baseline": "15",
            "latest_session": "3",
            "latest": "19",
            "change": "4",
            "rci": "0.8",
            "reliable": "false",
            "category": "unchanged",
            "note": "",
        },
        {
            "id": "C",
            "baseline_session": "1",
            "baseline": "12",
            "latest_session": "1",
            "latest": "12",
            "change": "",
            "rci": "",
            "reliable": "",
            "category": "",
            "note": "fewer than two scored sessions",
        },
    ]


def test_long_file_gives_the_same_rows_as_the_wide_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--sd", "5", "--reliability", "0.5", "--cutoff", "10"]
    _, wide = run(["change", write(tmp_path, WIDE), *options], capsys)
    _, long = run(["change", write(tmp_path, LONG, "long.csv"), *options], capsys)
    assert long == wide


def test_change_with_the_phq9_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # PHQ-9: SD 5.0, r .84, S_diff = 5·√0.32 = 2.8284; 20 → 8 gives −12 / 2.8284 = −4.2426.
    _, rows = run(["change", write(tmp_path, WIDE), "--instrument", "phq9"], capsys)
    assert (rows[0]["rci"], rows[0]["category"]) == ("-4.2426", "recovered")
    # 15 → 19: 4 / 2.8284 = 1.4142, not reliable.
    assert (rows[1]["rci"], rows[1]["category"]) == ("1.4142", "unchanged")


def test_change_between_named_sessions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, rows = run(
        [
            "change",
            write(tmp_path, WIDE),
            "--sd",
            "5",
            "--reliability",
            "0.5",
            "--baseline-col",
            "1",
            "--latest-col",
            "2",
        ],
        capsys,
    )
    # A: 20 → 14, RCI −6/5 = −1.2: unchanged. B has no score at session 2.
    assert (rows[0]["latest"], rows[0]["rci"], rows[0]["category"]) == ("14", "-1.2", "unchanged")
    assert rows[1]["note"] == "no score at the latest session"


def test_cutoff_from_clinical_and_functional_norms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # c = (s0·M1 + s1·M0) / (s0 + s1) = (3·15 + 5·5) / 8 = 8.75: A ends at 8 < 8.75, recovered.
    path = write(tmp_path, "id,1,2\nA,20,8\nB,20,9\n")
    norms = ["--clinical-mean", "15", "--clinical-sd", "5"]
    norms += ["--functional-mean", "5", "--functional-sd", "3"]
    _, rows = run(["change", path, "--sd", "5", "--reliability", "0.5", *norms], capsys)
    assert [row["category"] for row in rows] == ["recovered", "improved"]


def test_higher_is_better(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "id,1,2\nA,2,5\nB,5,2\n")
    options = ["--sd", "1", "--reliability", "0.5", "--higher-is-better"]
    _, rows = run(["change", path, *options], capsys)
    # S_diff = 1: +3 is a reliable improvement, −3 a reliable deterioration.
    assert [row["category"] for row in rows] == ["improved", "deteriorated"]


def test_output_file_instead_of_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    status = main(
        ["change", write(tmp_path, WIDE), "--instrument", "gad7", "--output", str(target)]
    )
    assert status == 0
    assert capsys.readouterr().out == ""
    assert target.read_text().splitlines()[0].startswith("id,baseline_session,baseline,")


def test_change_without_sd_or_reliability_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert error_of(["change", write(tmp_path, WIDE), "--sd", "5"], capsys) == (
        "alliance stats change: error: give --sd and --reliability, or --instrument / --definition"
    )


def test_scores_outside_the_instrument_range_are_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "id,1,2\nA,20,28\n")
    assert error_of(["change", path, "--instrument", "phq9"], capsys) == (
        "alliance stats change: error: line 2, column 3: 28 is outside the PHQ-9 (Patient "
        "Health Questionnaire-9) range (0 to 27)"
    )


def test_definition_file_gives_the_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from alliance.core.definitions import builtin_json

    definition = write(tmp_path, builtin_json("phq9"), "phq9.json")
    _, rows = run(["change", write(tmp_path, WIDE), "--definition", definition], capsys)
    assert rows[0]["rci"] == "-4.2426"


# --- sudden --------------------------------------------------------------------------------------

# Sessions 1-6: 19, 21, 20 then 10, 12, 11. Between 3 and 4 the score falls by 10:
# (1) 10 ≥ cutoff 5; (2) 10 ≥ 0.25 · 20 = 5; (3) pre 19, 21, 20 mean 20 SD 1; post 10, 12, 11
# mean 11 SD 1; pooled SD √((2·1 + 2·1) / 4) = 1; 20 − 11 = 9 > 2.776 · 1 (df 4).
SUDDEN = "id,1,2,3,4,5,6\nA,19,21,20,10,12,11\n"


def test_sudden_gain_with_every_number_behind_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, rows = run(["sudden", write(tmp_path, SUDDEN), "--cutoff", "5"], capsys)
    assert status == 0
    assert rows == [
        {
            "id": "A",
            "kind": "gain",
            "session_before": "3",
            "session_after": "4",
            "score_before": "20",
            "score_after": "10",
            "change": "10",
            "crit1_cutoff": "5",
            "crit1": "true",
            "crit2_threshold": "5",
            "crit2": "true",
            "pre_sessions": "1 2 3",
            "post_sessions": "4 5 6",
            "pre_mean": "20",
            "post_mean": "11",
            "pre_sd": "1",
            "post_sd": "1",
            "pooled_sd": "1",
            "df": "4",
            "critical_t": "2.776",
            "crit3_difference": "9",
            "crit3_threshold": "2.776",
            "crit3": "true",
            "sudden": "true",
        }
    ]


def test_missing_session_lowers_df_and_raises_the_critical_t(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Session 1 missing: pre 21, 20 (mean 20.5, SD 0.7071); post as before. Pooled SD
    # √((1·0.5 + 2·1) / 3) = √(2.5/3) = 0.9129; df 3, t 3.182; threshold 2.9047.
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,,21,20,10,12,11\n")
    _, rows = run(["sudden", path, "--cutoff", "5"], capsys)
    row = rows[0]
    assert (row["pre_sessions"], row["df"], row["critical_t"]) == ("2 3", "3", "3.182")
    assert row["pooled_sd"] == f"{math.sqrt(2.5 / 3):.4f}"
    assert row["crit3_threshold"] == f"{3.182 * math.sqrt(2.5 / 3):.4f}"
    assert row["crit3_difference"] == "9.5"


def test_fewer_than_two_sessions_on_a_side_is_no_sudden_gain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,,,20,10,12,11\n")
    _, rows = run(["sudden", path, "--cutoff", "5"], capsys)
    assert rows == []
    _, rows = run(["sudden", path, "--cutoff", "5", "--all-pairs"], capsys)
    first = rows[0]
    assert (first["session_before"], first["pre_sessions"], first["df"]) == ("3", "3", "")
    assert (first["crit1"], first["crit2"], first["crit3"], first["sudden"]) == (
        "true",
        "true",
        "false",
        "false",
    )


def test_each_pair_of_adjacent_sessions_is_listed_with_all_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, rows = run(["sudden", write(tmp_path, SUDDEN), "--cutoff", "5", "--all-pairs"], capsys)
    assert [(row["session_before"], row["sudden"]) for row in rows] == [
        ("1", "false"),
        ("2", "false"),
        ("3", "true"),
        ("4", "false"),
        ("5", "false"),
    ]


def test_fraction_criterion_can_fail_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 27 → 21 is 6 points, but 25 % of 27 is 6.75.
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,27,27,27,21,21,21\n")
    _, rows = run(["sudden", path, "--cutoff", "5", "--all-pairs"], capsys)
    row = rows[2]
    assert (row["crit1"], row["crit2_threshold"], row["crit2"], row["crit3"]) == (
        "true",
        "6.75",
        "false",
        "true",
    )
    _, rows = run(["sudden", path, "--cutoff", "5", "--fraction", "0.2"], capsys)
    assert len(rows) == 1


def test_losses_on_a_symptom_score_are_increases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,10,12,11,20,21,19\n")
    _, gains = run(["sudden", path, "--cutoff", "5"], capsys)
    _, losses = run(["sudden", path, "--cutoff", "5", "--direction", "losses"], capsys)
    assert gains == []
    assert [(row["kind"], row["change"], row["crit3_difference"]) for row in losses] == [
        ("loss", "9", "9")
    ]


def test_alliance_losses_are_decreases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,6,6.5,6,3,3.5,3\n")
    options = ["--cutoff", "1", "--direction", "losses", "--score-type", "alliance"]
    _, rows = run(["sudden", path, *options], capsys)
    assert [(row["session_before"], row["change"]) for row in rows] == [("3", "3")]


def test_critical_t_can_be_fixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, rows = run(
        ["sudden", write(tmp_path, SUDDEN), "--cutoff", "5", "--critical-t", "9.5"], capsys
    )
    assert rows == []  # 9 is not above 9.5 · 1


def test_criterion_one_defaults_to_the_reliable_change_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 1.96 · 5 · √0.32 = 5.5437 for the PHQ-9.
    _, rows = run(["sudden", write(tmp_path, SUDDEN), "--instrument", "phq9"], capsys)
    assert rows[0]["crit1_cutoff"] == "5.5437"


def test_sudden_without_a_cutoff_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert error_of(["sudden", write(tmp_path, SUDDEN)], capsys).startswith(
        "alliance stats sudden: error: criterion 1 needs --cutoff"
    )


# --- ruptures ------------------------------------------------------------------------------------


def test_retrospective_rupture_repair_by_hand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Scores 6, 6, 6, 6, 3, 6: mean 33/6 = 5.5; deviations 0.5 (×5) and −2.5, so the SD is
    # √((5·0.25 + 6.25)/5) = √1.5 = 1.2247 (above the reference 0.5). 1 SD line 4.2753,
    # 2 SD line 3.0505: session 5 (3) is a 2 SD dip, repaired at session 6.
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,6,6,6,6,3,6\n")
    status, rows = run(["ruptures", path, "--reference-sd", "0.5"], capsys)
    assert status == 0
    sd = math.sqrt(1.5)
    expected = {
        "id": "A",
        "method": "retrospective",
        "first_session": "5",
        "last_session": "5",
        "lowest_session": "5",
        "lowest_score": "3",
        "mean": "5.5",
        "sd_within": f"{sd:.4f}",
        "reference_sd": "0.5",
        "sd_used": f"{sd:.4f}",
        "depth_sd": f"{2.5 / sd:.4f}",
        "repair_line": f"{5.5 - sd:.4f}",
        "repaired_session": "6",
        "status": "repaired",
        "sessions_in_mean": "6",
    }
    assert rows == [expected | {"threshold": "1sd"}, expected | {"threshold": "2sd"}]


def test_multi_session_decline_is_one_episode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Mean 40/8 = 5.0; a reference SD of 2 exceeds the within SD (√(18/7) = 1.6036), so the
    # 1 SD line is 3.0: sessions 5 and 6 (3, 2) are one episode, back at session 7 (5).
    path = write(tmp_path, "id,1,2,3,4,5,6,7,8\nA,6,6,6,6,3,2,5,6\n")
    _, rows = run(["ruptures", path, "--reference-sd", "2"], capsys)
    assert [
        (row["threshold"], row["first_session"], row["last_session"], row["lowest_session"])
        for row in rows
    ] == [("1sd", "5", "6", "6")]
    assert (rows[0]["sd_used"], rows[0]["repaired_session"]) == ("2", "7")


def test_episode_still_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Mean of 6, 6, 6, 6, 6, 2 is 5.3333, within SD 1.633 < reference 2: the 1 SD line is
    # 3.3333. Session 6 dips and the series ends before the window (to session 12) has passed.
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,6,6,6,6,6,2\n")
    _, rows = run(["ruptures", path, "--reference-sd", "2"], capsys)
    assert [(row["threshold"], row["status"], row["repaired_session"]) for row in rows] == [
        ("1sd", "open", "")
    ]


def test_episode_not_repaired_within_the_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Mean of 6 (×5) and 2 (×3) is 4.5; within SD √(30/7) = 2.0702, 1 SD line 2.4298. The dip
    # at session 6 has no return by session 6 + 2 = 8, the last session.
    path = write(tmp_path, "id,1,2,3,4,5,6,7,8\nA,6,6,6,6,6,2,2,2\n")
    _, rows = run(["ruptures", path, "--reference-sd", "0.5", "--repair-window", "2"], capsys)
    assert [(row["threshold"], row["last_session"], row["status"]) for row in rows] == [
        ("1sd", "8", "not_repaired")
    ]


def test_repair_window_of_zero_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "id,1,2\nA,6,6\n")
    assert main(["ruptures", path, "--repair-window", "0"]) == 2
    assert "argument --repair-window: expected a whole number from 1, got 0" in (
        capsys.readouterr().err
    )


def test_realtime_method_agrees_with_the_signal_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scores = [6.0, 6.0, 5.5, 6.5, 6.0, 3.0, 6.0]
    path = write(tmp_path, "id,1,2,3,4,5,6,7\nA," + ",".join(str(s) for s in scores) + "\n")
    _, rows = run(["ruptures", path, "--method", "realtime", "--reference-sd", "1"], capsys)
    points = [CheckinPoint(key=i, index=i, alliance=a) for i, a in enumerate(scores, 1)]
    signals = [
        signal
        for signal in detect(points, SignalSettings(reference_sd=1.0))
        if signal.kind in (SignalKind.RUPTURE_REPAIR_1SD, SignalKind.RUPTURE_REPAIR_2SD)
    ]
    assert [signal.index for signal in signals] == [6]
    assert signals[0].kind is SignalKind.RUPTURE_REPAIR_2SD
    assert [row["threshold"] for row in rows] == ["1sd", "2sd"]
    assert rows[0]["mean"] == "6"  # (6 + 6 + 5.5 + 6.5 + 6) / 5
    assert rows[0]["repaired_session"] == "7"
    assert rows[0]["depth_sd"] == "3"  # (6 − 3) / max(SD 0.3536, reference 1)


def test_realtime_on_another_scale_maps_to_the_checkin_scale_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same series on 12-60 (x' = 12 + 8(x − 1)), with the reference SD scaled by 8.
    scores = [6.0, 6.0, 5.5, 6.5, 6.0, 3.0, 6.0]
    wide = ",".join(f"{12 + 8 * (s - 1):g}" for s in scores)
    path = write(tmp_path, "id,1,2,3,4,5,6,7\nA," + wide + "\n")
    options = ["--method", "realtime", "--reference-sd", "8", "--scale-min", "12"]
    _, rows = run(["ruptures", path, *options, "--scale-max", "60"], capsys)
    assert [(row["threshold"], row["mean"], row["sd_used"]) for row in rows] == [
        ("1sd", "52", "8"),
        ("2sd", "52", "8"),
    ]


def test_reference_sd_is_estimated_from_first_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # First scores 6 and 5: SD √0.5 = 0.7071.
    path = write(tmp_path, "id,1,2,3,4,5,6\nA,6,6,6,6,3,6\nB,5,5,5,5,5,5\n")
    _, rows = run(["ruptures", path], capsys)
    assert {row["reference_sd"] for row in rows} == {"0.7071"}


def test_ruptures_reject_scores_outside_the_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "id,1,2\nA,6,8\n")
    assert error_of(["ruptures", path, "--reference-sd", "1"], capsys) == (
        "alliance stats ruptures: error: line 2, column 3: 8 is outside the scale (1 to 7; set "
        "--scale-min and --scale-max)"
    )


# --- Malformed input -----------------------------------------------------------------------------

MALFORMED = [
    ("", "the file is empty; expected a header row"),
    ("id\nA\n", "line 1: a wide file needs an id column and at least one session column"),
    ("id,1,2\nA,3\n", "line 2: expected 3 columns like the header, got 2"),
    ("id,1,2\nA,3,4\n\nB,3,4,5\n", "line 4: expected 3 columns like the header, got 4"),
    ("id,1,2\nA,3,x\n", "line 2, column 3 (2): expected a number, an empty cell or NA, got 'x'"),
    (
        "id,1,2\nA,3,nan\n",
        "line 2, column 3 (2): expected a number, an empty cell or NA, got 'nan'",
    ),
    (
        "id,1,2\nA,3,inf\n",
        "line 2, column 3 (2): expected a number, an empty cell or NA, got 'inf'",
    ),
    ("id,1,2\n,3,4\n", "line 2, column 1: the id is empty"),
    ("id,1,2\nA,3,4\nA,5,6\n", "line 3, column 1: id 'A' is already on line 2"),
    ("id,1,1\nA,3,4\n", "line 1, column 3: '1' repeats the name of column 2"),
    ("id,1,\nA,3,4\n", "line 1, column 3: the session column has no name"),
    (
        "id,session,score\nA,1,3\nA,1,4\n",
        "line 3: session 1 of id 'A' is already on line 2",
    ),
    (
        "id,session,score\nA,1.5,3\n",
        "line 2, column 2 (session): expected a whole number from 0, got '1.5'",
    ),
    (
        "id,session,score\nA,-1,3\n",
        "line 2, column 2 (session): expected a whole number from 0, got '-1'",
    ),
    (
        "id,session,score\nA,1,abc\n",
        "line 2, column 3 (score): expected a number, an empty cell or NA, got 'abc'",
    ),
    ('id,1,2\nA,"3,4\n', "line 2: expected 3 columns like the header, got 2"),
]


@pytest.mark.parametrize(("text", "message"), MALFORMED)
def test_malformed_file_is_reported_with_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = write(tmp_path, text)
    options = ["--sd", "5", "--reliability", "0.5"]
    assert error_of(["change", path, *options], capsys) == (
        f"alliance stats change: error: {path}: {message}"
    )


def test_nothing_is_written_on_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    path = write(tmp_path, "id,1,2\nA,3,4\nB,x,4\n")
    status = main(["change", path, "--sd", "5", "--reliability", "0.5", "--output", str(target)])
    assert status == 2
    assert not target.exists()
    assert capsys.readouterr().out == ""


def test_long_format_forced_on_a_wide_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, WIDE)
    assert error_of(
        ["change", path, "--sd", "5", "--reliability", "0.5", "--format", "long"], capsys
    ) == (
        f"alliance stats change: error: {path}: line 1: a long file needs exactly the columns "
        "id, session and score, got id, 1, 2, 3"
    )


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tmp_path / "nope.csv")
    assert error_of(["change", path, "--sd", "5", "--reliability", "0.5"], capsys) == (
        f"alliance stats change: error: {path}: no such file"
    )


def test_bad_option_value_exits_with_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["change", write(tmp_path, WIDE), "--sd", "5", "--reliability", "1.5"])
    captured = capsys.readouterr()
    assert status == 2
    assert "argument --reliability: must be between 0 and 1 (exclusive), got 1.5" in captured.err


def test_unknown_session_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    options = ["--sd", "5", "--reliability", "0.5", "--baseline-col", "s9"]
    assert error_of(["change", write(tmp_path, WIDE), *options], capsys) == (
        "alliance stats change: error: --baseline-col: no session 's9' in the file "
        "(sessions: 1, 2, 3)"
    )


def test_na_cells_and_a_byte_order_mark_are_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "\ufeffid,s1,s2,s3\nA,20,NA,8\n")
    _, rows = run(["change", path, "--sd", "5", "--reliability", "0.5"], capsys)
    assert (rows[0]["baseline_session"], rows[0]["latest_session"]) == ("s1", "s3")


def test_wide_headers_ending_in_numbers_give_session_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Weeks 1, 2, 4: weeks 2 and 4 are not adjacent sessions, so no pair is tested across them.
    path = write(tmp_path, "id,week 1,week 2,week 4\nA,20,20,5\n")
    _, rows = run(["sudden", path, "--cutoff", "1", "--all-pairs"], capsys)
    assert [(row["session_before"], row["session_after"]) for row in rows] == [("week 1", "week 2")]


def test_alliance_console_command_dispatches_to_stats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # cli.main sets ALLIANCE_DATA_DIR; monkeypatch restores it after the test.
    monkeypatch.setenv("ALLIANCE_DATA_DIR", str(tmp_path))
    status = cli.main(["stats", "change", write(tmp_path, WIDE), "--instrument", "phq9"])
    assert status == 0
    assert capsys.readouterr().out.startswith("id,baseline_session,")
