"""kubectl-faithful text output: `get` tables, durations, tabwriter, yaml/json/name output.

Everything here is a pure function of API-shaped dicts (and a fixed `now`), so the CLI, the
dashboard and the tests all print the same bytes a real kubectl would.
"""
