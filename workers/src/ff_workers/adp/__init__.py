"""The ``adp`` worker: the financial data platform's daily pipeline and weekly report."""
