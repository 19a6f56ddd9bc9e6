"""The HTTP API (Flask + flask-smorest): `interfaces.http.app.create_app(settings)` builds one application.

Deliberately empty: importing one module of this package (a schema, the settings, the metrics)
must not load the app factory, every blueprint and the console with it.
"""
