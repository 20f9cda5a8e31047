"""Answering: the mail mailflow writes and how it leaves.

i18n (catalogs, dates, numbers) → explain (issues in words) → compose (confirmation, call,
reminder; its RFC 5322 writer is `wire`, its data types `model`) → outbox (queued mail, state
machine, flush) → sinks (SMTP, .eml files). Text from strangers is made inert by
`mailflow.untrusted`, which the reading and report stages use too.
"""
