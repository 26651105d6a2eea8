"""Open banking: the customer connects a bank account; verified figures re-run the decision."""
