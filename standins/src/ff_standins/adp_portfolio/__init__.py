"""A realistic two-year demo portfolio for the data platform: applications, decisions, loans with
repayment histories (late payers, arrears, defaults, write-offs) and the journeys behind them,
seeded into MongoDB, the loan book and the journey tracker by `ff dev` and the adp tests."""

from ff_standins.adp_portfolio.loans import DemoPortfolio
from ff_standins.adp_portfolio.seed import seed_demo_portfolio

__all__ = ["DemoPortfolio", "seed_demo_portfolio"]
