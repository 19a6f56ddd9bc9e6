"""Fault drills (`make faults`): each prints its figures and PASS or FAIL, and exits non-zero on FAIL.

Short versions of drills 1-3 run in `make test` (tests/faults/); the full ones here.
"""
