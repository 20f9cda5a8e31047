"""Reading mail: pure stages that never raise, touch no ledger and do no I/O.

headers → mime (parts, charsets, html, documents) → classify (bounces) → quotes → contribution
(sections, action_lines, links, words, language; names and labels in wsis) → validate; `prepare`
runs them all on a fetched message, in worker processes for a large poll.
"""
