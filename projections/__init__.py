"""Read models: projections follow the ordered event log and keep views in the same database.

Each view commits its rows and its tracking position in one transaction, so every event is
applied exactly once, and any view can be dropped and rebuilt from the log.
"""
