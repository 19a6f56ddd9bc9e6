"""Kaizen Desk's domain: aggregates, their events, value objects and pure rules.

Nothing here performs I/O; the application layer loads and saves what is defined here.
"""
