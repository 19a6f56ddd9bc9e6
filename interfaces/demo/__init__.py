"""`kaizen demo`: the loader (`loader.py`) and the tables of the story it tells (`data/`).

It lives with the entry points, not in `application/`, because it is a client of the use
cases like the CLI and the HTTP API: it issues ordinary commands through `KaizenDesk`.
"""
