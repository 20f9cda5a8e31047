"""Real mail servers on loopback, for mailflow's tests and its benchmark.

`dovecot` starts a Dovecot (IMAP + LMTP) from a config of its own; `postfix` runs the machine's
Postfix as a loopback MTA delivering to it. Both are shipped in the package, as aiosmtpd ships
``aiosmtpd.testing`` and Mailman ``mailman.testing``, so that ``bench/run.py`` can start them
after a plain ``pip install .`` (no pytest, no path to ``tests/``). They need the Debian packages
of ``.ci/install-servers`` and root, and never run in production code: nothing else in mailflow
imports them. The pytest fixtures over them, the in-process SMTP test server (aiosmtpd) and the
PostgreSQL cluster stay in ``tests/support/``: only the tests use those.
"""
