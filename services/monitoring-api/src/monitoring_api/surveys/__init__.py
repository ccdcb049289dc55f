"""Culture surveys: scoring of answers and disclosure control of published results (pure modules)."""
