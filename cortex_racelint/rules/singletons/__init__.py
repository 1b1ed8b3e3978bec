"""CRL1xx: lazy singletons and lazy caches initialised without a lock.

All five rules look at the same shape, `if <state missing>: <create state>`, through
`analysis.lazyinit`; `lazy_init_site` classifies each `if` once per visit (memoised on
the context) and each rule reports only its own kind, so a site is reported once.
"""
