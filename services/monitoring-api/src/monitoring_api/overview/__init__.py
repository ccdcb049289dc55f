"""My organisation in one read: the token's organisation's plan, indicator summary and culture headline."""
