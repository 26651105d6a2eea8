"""The loan book's writers used only by stand-ins: the LMS simulator's ledger and the demo seed."""
