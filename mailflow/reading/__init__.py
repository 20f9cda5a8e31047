"""Reading mail: pure stages that never raise, touch no ledger and do no I/O.

headers → mime (parts, charsets, HTML, attached documents) → classify → quotes → sections,
contribution (fields, action lines, links, words, language) → validate; `prepare` runs them all on
a fetched message, in worker processes for a large poll.
"""
