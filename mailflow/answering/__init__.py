"""Answering: the mail mailflow writes and how it leaves.

i18n (catalogs, dates, numbers) → explain (issues in words) → compose (confirmation, call,
reminder) → outbox (queued mail, state machine, flush) → delivery sinks (SMTP, .eml files).
"""
