"""Budgeted selectors (whole dataset -> subset)."""
