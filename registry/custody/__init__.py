"""Custody: parties, items and their events (acquisitions, dispositions, transfers, status changes,
corrections): the electronic bound book. Writes go through `service`; tables are projections."""
