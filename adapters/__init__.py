"""Everything that talks to the outside world: the event store's recorders and locks, the
projection election, DNS, and the HTTP, SMTP and chat transports of notifications.

The use cases (`application/`) and the views (`projections/`) name what they need as ports
(`application/ports.py`, `projections/ports.py`); the modules here implement those ports and
are wired in at the composition points (`interfaces/`), or selected by topic string in
`application/config.py` as the library's persistence module.
"""
