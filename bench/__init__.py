"""Benchmarks (`make bench`) and fault drills (`make faults`): figures a reviewer can rerun.

Every figure is printed as a table and as one `BENCH_JSON {...}` line, next to a baseline
measured in the same run, so the ratio (not the absolute number) is what a reviewer compares.
"""
