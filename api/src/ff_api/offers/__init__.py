"""The customer's answers to a decision: accept or decline the offer, provide information."""
