"""Accounts tests: the throttling's counts live in the database, so every test starts with none."""
