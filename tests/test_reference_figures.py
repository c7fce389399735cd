"""Every figure of the reference output, at the precision printed, read from the data file.

The expected values come from ``mini/data/reference_figures.csv`` (one row per figure:
key, value as printed, format, source, where it appears), the same file every chapter's
pin cell reads. Section numbers follow the reference output. Rows whose value carries a
percent sign ("5.42%") are compared as decimals; rows the reference prints in percent
without the sign (the contribution tables, the factor returns) are compared with
100 × the value.

The last tests check the file itself: unique keys, values that re-print with their
format, and every row used by a chapter or a test, exactly where its ``appears`` says.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import printed_all_as, printed_as

from mini.attribution import carino_link, compound
from mini.book import REFERENCE_FIGURES, reference_figure, reference_figures
from mini.decomposition import block_contributions, decompose_exposures, decompose_risk, stock_contributions
from mini.examples import five_stock_example
from mini.hedging import beta, exposure_hedge, hedged_exposures, minimum_variance_hedge
from mini.minimodel import FACTOR_BLOCKS, FACTORS, STOCKS
from mini.optimisation import exposure_constraints, minimum_tracking_error, turnover
from mini.stress import conditional_factor_shock, shock_impact, sigma_shock, single_factor_shock

PCT = 100.0
STYLES = ["VALUE", "MOM", "SIZE"]
ROOT = Path(__file__).resolve().parents[1]


def keys(template: str, labels) -> list[str]:
    """``keys("pure.{}.AXIOM", FACTORS)``: one key per label."""
    return [template.format(label) for label in labels]


# 1. Universe ------------------------------------------------------------------------
def test_universe_table(mm):
    printed_all_as(PCT * mm.benchmark[STOCKS], keys("universe.{}.cap_weight_pct", STOCKS))
    printed_all_as(mm.descriptors["SIZE"][STOCKS], keys("universe.{}.log_cap", STOCKS))
    printed_all_as(mm.benchmark[STOCKS], keys("universe.{}.benchmark_weight", STOCKS))
    printed_all_as(mm.active[STOCKS], keys("universe.{}.active_weight", STOCKS))


def test_industry_cap_weights(mm):
    industries = ["TECH", "FIN", "CONS"]
    printed_all_as(mm.universe.industry_weights[industries], keys("universe.industry_weight.{}", industries))


# 2. Standardised exposures ----------------------------------------------------------
def test_standardised_exposures(mm):
    x = mm.exposures
    assert list(x.columns) == FACTORS
    for stock in STOCKS:
        printed_all_as(x.loc[stock, STYLES], keys(f"exposures.{stock}.{{}}", STYLES))
    industry_of = mm.universe.industry
    for stock in STOCKS:
        assert x.loc[stock, "MKT"] == 1.0
        assert x.loc[stock, ["TECH", "FIN", "CONS"]].to_dict() == {
            name: float(name == industry_of[stock]) for name in ["TECH", "FIN", "CONS"]
        }


def test_style_moments(mm):
    styles = mm.exposures[STYLES]
    printed_all_as(mm.benchmark @ styles, keys("exposures.cap_weighted_mean.{}", STYLES))
    printed_all_as(styles.std(ddof=0), keys("exposures.std.{}", STYLES))


# 3. Month-1 constrained WLS ---------------------------------------------------------
def test_regression_weights(mm):
    printed_all_as(mm.regression_weights[STOCKS], keys("regression.weight.{}", STOCKS))


def test_month1_factor_returns(mm):
    printed_all_as(PCT * mm.month1.factor_returns[FACTORS], keys("regression.factor_return.{}", FACTORS))


def test_month1_constraint_holds(mm):
    f = mm.month1.factor_returns
    assert abs(mm.universe.industry_weights @ f[["TECH", "FIN", "CONS"]]) < 1e-15


def test_month1_residuals(mm):
    printed_all_as(PCT * mm.month1.residuals[STOCKS], keys("regression.residual.{}", STOCKS))


def test_weighted_r2(mm):
    printed_as(mm.month1.r2_uncentred, "regression.r2_uncentred")
    printed_as(mm.month1.r2_centred, "regression.r2_centred")


# 3b. Pure factor portfolios ---------------------------------------------------------
def test_pure_factor_portfolios(mm):
    p = mm.month1.pure_portfolios
    for factor in FACTORS:
        printed_all_as(p.loc[factor, STOCKS], keys(f"pure.{factor}.{{}}", STOCKS))


def test_p_times_x(mm):
    px = mm.month1.pure_portfolios @ mm.exposures
    for factor in FACTORS:
        printed_all_as(px.loc[factor, FACTORS], keys(f"pure.PX.{factor}.{{}}", FACTORS))


def test_f_equals_p_r(mm):
    pr = PCT * (mm.month1.pure_portfolios @ mm.returns)[FACTORS]
    printed_all_as(pr, keys("regression.factor_return.{}", FACTORS))


def test_value_portfolio_leverage(mm):
    value = mm.month1.pure_portfolios.loc["VALUE"]
    assert abs(value.sum()) < 1e-12
    printed_as(value.abs().sum(), "pure.VALUE.gross_leverage_12dp")


# 4. Risk model ----------------------------------------------------------------------
def test_factor_vols_and_eigenvalues(mm):
    # The vols are the model's inputs: held to 10 places, tighter than printed.
    vols = PCT * np.sqrt(np.diag(mm.risk_model.factor_cov))
    printed_all_as(vols, keys("risk.factor_vol.{}", FACTORS), decimals=10)
    printed_all_as(np.linalg.eigvalsh(mm.factor_corr), keys("risk.corr_eigenvalue.{}", range(1, 8)))


@pytest.mark.parametrize("which", ["portfolio", "benchmark", "active"])
def test_risk_report(mm, which):
    weights = {"portfolio": mm.portfolio, "benchmark": mm.benchmark, "active": mm.active}[which]
    d = decompose_risk(mm.risk_model, weights)
    printed_all_as(d.exposures[FACTORS], keys(f"risk.{which}.exposure.{{}}", FACTORS))
    variances = [d.factor_variance, d.specific_variance, d.total_variance]
    printed_all_as(variances, keys(f"risk.{which}.{{}}_var", ["factor", "specific", "total"]))
    vols = [d.factor_vol, d.specific_vol, d.total_vol]
    printed_all_as(vols, keys(f"risk.{which}.{{}}_vol", ["factor", "specific", "total"]))
    printed_all_as(PCT * d.shares[FACTORS], keys(f"risk.{which}.contribution.{{}}", FACTORS))
    printed_as(d.shares["Specific"], f"risk.{which}.specific_share")


# 4b. Stock-level contributions to tracking error ------------------------------------
def test_stock_contributions(mm):
    table = stock_contributions(mm.risk_model, mm.active)
    ordered = table.reindex(table["CTR"].abs().sort_values(ascending=False).index)
    assert list(ordered.index) == [
        "AXIOM",
        "BINARY",
        "FIDELIS",
        "GUARDIAN",
        "INDIGO",
        "JUNIPER",
        "EVERGREEN",
        "CIPHER",
        "DIGIT",
        "HARVEST",
    ]
    printed_all_as(ordered["MCR"], keys("contributions.{}.mcr", ordered.index))
    printed_all_as(ordered["CTR"], keys("contributions.{}.ctr", ordered.index))
    printed_all_as(PCT * ordered["share"], keys("contributions.{}.ctr_pct", ordered.index))
    printed_as(table["CTR"].sum(), "contributions.ctr_sum")


def test_block_decomposition(mm):
    d = decompose_risk(mm.risk_model, mm.active)
    blocks = block_contributions(d, FACTOR_BLOCKS)[["Market", "Industries", "Styles", "Specific"]]
    printed_all_as(blocks, keys("blocks.{}.variance", blocks.index))
    printed_all_as(blocks / d.total_variance, keys("blocks.{}.share", blocks.index))


# 5. Stress test ---------------------------------------------------------------------
def test_stress(mm):
    f = mm.risk_model.factor_cov
    shock = sigma_shock(f, "VALUE", -2)
    printed_as(shock, "stress.value_shock")
    moves = conditional_factor_shock(f, "VALUE", shock)
    printed_all_as(PCT * moves[FACTORS], keys("stress.move.{}", FACTORS))
    active = decompose_risk(mm.risk_model, mm.active).exposures
    total = decompose_risk(mm.risk_model, mm.portfolio).exposures
    printed_as(shock_impact(active, single_factor_shock(mm.factors, "VALUE", shock)), "stress.naive_active")
    printed_as(shock_impact(active, moves), "stress.conditional_active")
    printed_as(shock_impact(total, moves), "stress.conditional_portfolio")


# 6. Attribution ---------------------------------------------------------------------
def _attribution(mm):
    a = mm.attribution
    return a.contributions, a.portfolio, a.benchmark


def test_later_factor_returns(mm):
    f = mm.factor_returns
    for n in (2, 3):
        printed_all_as(
            PCT * f.loc[f"month {n}", FACTORS], keys(f"attribution.month{n}.factor_return.{{}}", FACTORS)
        )


def test_monthly_attribution(mm):
    contributions, portfolio, benchmark = _attribution(mm)
    factor = contributions[FACTORS].sum(axis=1)
    months = [1, 2, 3]
    printed_all_as(portfolio - benchmark, keys("attribution.month{}.active", months))
    printed_all_as(factor, keys("attribution.month{}.factor", months))
    printed_all_as(contributions["Specific"], keys("attribution.month{}.specific", months))
    for n in months:
        printed_all_as(
            PCT * contributions.loc[f"month {n}", FACTORS],
            keys(f"attribution.month{n}.contribution.{{}}", FACTORS),
        )
    printed_as(float(mm.portfolio @ mm.returns), "attribution.month1.portfolio_return")
    printed_as(benchmark["month 1"], "attribution.month1.benchmark_return")


def test_linking(mm):
    contributions, portfolio, benchmark = _attribution(mm)
    printed_as(compound(portfolio), "attribution.cumulative.portfolio")
    printed_as(compound(benchmark), "attribution.cumulative.benchmark")
    printed_as(compound(portfolio) - compound(benchmark), "attribution.cumulative.active")
    printed_as((portfolio - benchmark).sum(), "attribution.sum_of_monthly_active")
    linked = carino_link(contributions, portfolio, benchmark)
    printed_all_as(PCT * linked[FACTORS], keys("attribution.carino.{}", FACTORS))
    printed_as(linked["Specific"], "attribution.carino.Specific")
    printed_as(linked.sum(), "attribution.carino.total")


# 7. Hedging -------------------------------------------------------------------------
def test_hedging(mm):
    instruments = mm.hedge_instruments
    printed_all_as(instruments["index future"][FACTORS], keys("hedging.index_future.{}", FACTORS))
    portfolio = decompose_risk(mm.risk_model, mm.portfolio)
    notionals = exposure_hedge(portfolio.exposures, instruments, ["MKT", "SIZE"])
    printed_all_as(
        notionals[["index future", "small-cap future"]],
        ["hedging.notional.index_future", "hedging.notional.small_cap_future"],
    )
    hedged = hedged_exposures(portfolio.exposures, instruments, notionals)
    printed_all_as(hedged[FACTORS], keys("hedging.hedged.{}", FACTORS))
    after = decompose_exposures(mm.risk_model.factor_cov, hedged, portfolio.specific_variance)
    printed_as(portfolio.total_vol, "risk.portfolio.total_vol")
    printed_all_as(
        pd.Series([after.total_vol, after.factor_vol, after.specific_vol]),
        keys("hedging.hedged.{}_vol", ["total", "factor", "specific"]),
    )


def test_minimum_variance_hedge(mm):
    index_future = mm.hedge_instruments[["index future"]]
    portfolio = decompose_risk(mm.risk_model, mm.portfolio)
    h = minimum_variance_hedge(portfolio.exposures, index_future, mm.risk_model.factor_cov)
    printed_as(h["index future"], "hedging.min_variance.notional")
    after = decompose_exposures(
        mm.risk_model.factor_cov,
        hedged_exposures(portfolio.exposures, index_future, h),
        portfolio.specific_variance,
    )
    printed_as(after.total_vol, "hedging.min_variance.total_vol")
    printed_as(
        beta(portfolio.exposures, index_future["index future"], mm.risk_model.factor_cov), "hedging.beta"
    )


# 8. Optimisation --------------------------------------------------------------------
def test_minimum_tracking_error(mm):
    active = decompose_risk(mm.risk_model, mm.active)
    rows, targets = exposure_constraints(mm.exposures, {"MOM": 0.0, "VALUE": active.exposures["VALUE"]})
    w = minimum_tracking_error(mm.risk_model.covariance(), rows, targets)
    printed_all_as(w[STOCKS], keys("optimisation.optimal_active.{}", STOCKS))
    holdings = mm.benchmark + w
    printed_all_as(holdings[STOCKS], keys("optimisation.holding.{}", STOCKS))
    printed_as(holdings.min(), "optimisation.min_holding_12dp")
    optimal = decompose_risk(mm.risk_model, w)
    printed_all_as(optimal.exposures[FACTORS], keys("optimisation.optimal.exposure.{}", FACTORS))
    printed_as(active.total_vol, "risk.active.total_vol")
    printed_as(optimal.total_vol, "optimisation.optimal.total_vol")
    printed_as(turnover(mm.active, w), "optimisation.turnover")


# 9. Chapter-2 five-stock example ----------------------------------------------------
def test_five_stock_example():
    example = five_stock_example()
    d = decompose_risk(example.model, example.weights)
    printed_all_as(d.exposures, ["five_stock.exposure.MKT", "five_stock.exposure.VALUE"])
    printed_as(d.factor_variance, "five_stock.factor_var")
    printed_as(d.specific_variance, "five_stock.specific_var")
    printed_as(d.total_vol, "five_stock.total_vol")
    printed_as(d.factor_vol, "five_stock.factor_vol")
    printed_as(d.specific_vol, "five_stock.specific_vol")
    printed_as(d.factor_variance / d.total_variance, "five_stock.factor_share")


# The data file itself ---------------------------------------------------------------
def _rows() -> list[dict[str, str]]:
    with (ROOT / REFERENCE_FIGURES).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_file_is_the_one_the_package_reads():
    rows = _rows()
    assert [row["key"] for row in rows] == list(reference_figures())
    assert [row["value"] for row in rows] == [figure.value for figure in reference_figures().values()]


def test_keys_are_unique_and_readable():
    found = [row["key"] for row in _rows()]
    assert len(found) == len(set(found)), sorted({k for k in found if found.count(k) > 1})
    for key in found:
        assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[A-Za-z0-9_]+)+", key), key


def test_every_value_reprints_with_its_format():
    for row in _rows():
        number = float(row["value"].removesuffix("%")) / (100 if row["value"].endswith("%") else 1)
        assert format(number, row["format"]) == row["value"], row["key"]
        assert row["source"] == "pinned by the book" or re.fullmatch(
            r"reference output §\d+b?|primer appendix", row["source"]
        )


def _key_patterns(path: Path) -> list[re.Pattern[str]]:
    """Each string literal in the file that looks like a key, as a pattern.

    An f-string's replacement fields match one key segment, so the loop
    ``for stock in STOCKS: pinned(..., f"regression.weight.{stock}")`` uses every
    ``regression.weight.*`` row.
    """
    patterns = []
    for literal in re.findall(r"\"([^\"\n]*)\"", path.read_text(encoding="utf-8")):
        literal = literal.replace("{{", "{").replace("}}", "}")  # f"x.{s}.{{}}" is "x.{s}.{}"
        parts = re.split(r"(\{[^{}]*\})", literal)
        if not re.fullmatch(r"[a-z][a-z0-9_]*\.", parts[0][: parts[0].find(".") + 1] or "-"):
            continue
        regex = "".join(r"[^.]+" if part.startswith("{") else re.escape(part) for part in parts)
        patterns.append(re.compile(regex))
    return patterns


def test_every_row_is_used_where_it_says():
    sources = sorted(ROOT.glob("chapters/*.md")) + sorted(ROOT.glob("tests/**/test_*.py"))
    patterns = {path.relative_to(ROOT).as_posix(): _key_patterns(path) for path in sources}
    problems = []
    for row in _rows():
        users = {name for name, found in patterns.items() if any(p.fullmatch(row["key"]) for p in found)}
        if not users:
            problems.append(f"{row['key']}: used by no chapter or test")
        elif users != set(reference_figure(row["key"]).appears):
            problems.append(f"{row['key']}: used in {sorted(users)}, appears says {row['appears']!r}")
    assert not problems, "\n".join(problems)
