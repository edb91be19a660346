"""Recall campaigns: a population found by forward trace and frozen when the campaign opens, each
unit's remedy state, and the campaign's close. Writes go through `service`; the tables are
projections of `recall.*` events."""
