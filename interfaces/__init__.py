"""Entry points into the application: the HTTP API (`interfaces.http`) and the `kaizen` command line."""
