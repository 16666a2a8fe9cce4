"""Compiled execution (issue 17): a validated query document compiled once into a plan (plan.py)
whose fields know where their values come from (sources.py), run without graphql-core's
per-field execution (run.py), hooked into Strawberry's execution (hook.py)."""
