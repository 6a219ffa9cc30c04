"""`campuscard demo` (a demo instance with its own directory, logins and card stories) and
`campuscard seed` (bulk synthetic data for load tests)."""
