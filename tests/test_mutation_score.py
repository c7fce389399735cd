"""The mutation score printed by `make mutation` (tests/mutation_score.py)."""

from __future__ import annotations

import mutation_score
import pytest

RESULTS = [
    "    mini.covariance.x_ewma__mutmut_1: killed",
    "    mini.covariance.x_ewma__mutmut_2: survived",
    "    mini.covariance.x_ewma__mutmut_3: timeout",
    "    mini.covariance.x_ewma__mutmut_4: not checked",
    "    mini.risk_model.xǁRiskModelǁcovariance__mutmut_1: no tests",
    "    mini.risk_model.xǁRiskModelǁcovariance__mutmut_2: killed",
]


def test_score_counts_timeouts_as_killed_and_leaves_unrun_mutants_out(capsys):
    assert mutation_score.main(RESULTS) == 0
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines() if line}
    # covariance: 2 of the 3 tried mutants killed (the timeout counts), 1 not run yet
    assert rows["mini.covariance"] == ["2", "3", "66.7%", "1"]
    # a mutant no test reaches counts as surviving
    assert rows["mini.risk_model"] == ["1", "2", "50.0%", "0"]
    assert rows["all"] == ["3", "5", "60.0%", "1"]


def test_survivor_names_are_the_tried_mutants_no_test_killed():
    assert mutation_score.survivor_names(RESULTS) == [
        "mini.covariance.x_ewma__mutmut_2",
        "mini.risk_model.xǁRiskModelǁcovariance__mutmut_1",
    ]


def test_one_module_only():
    assert mutation_score.main(RESULTS, "covariance") == 0
    assert mutation_score.main(RESULTS, "alpha") == 1  # no results for it


def test_a_sample_is_reproducible_and_scored_alone(tmp_path, capsys):
    drawn = mutation_score.sample_names(RESULTS, 3, seed=1)
    assert drawn == mutation_score.sample_names(RESULTS, 3, seed=1) and len(set(drawn)) == 3
    assert set(drawn) <= {name for name, _ in mutation_score.parse(RESULTS)}
    with pytest.raises(ValueError, match="^sample size must be between 1 and 6"):
        mutation_score.sample_names(RESULTS, 7)
    within = {"mini.covariance.x_ewma__mutmut_1", "mini.covariance.x_ewma__mutmut_2"}
    assert mutation_score.main(RESULTS, within=within) == 0
    out = capsys.readouterr().out
    assert "all                                1       2    50.0%        0" in out
    # ±2·√(p(1−p)/n) = ±2·√(0.25/2) = ±70.7 points for two mutants
    assert "a sample of 2 tried mutants: the full score is 50.0% ± 70.7 (95%)" in out
