"""The application layer: one method per command, over the eventsourcing Application."""
