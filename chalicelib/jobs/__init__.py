"""Scheduled work: expiry, birthdays, tier review. Each job calls services."""
