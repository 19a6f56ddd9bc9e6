"""Tables behind `kaizen demo`: sites, people, vendors, issue and suggestion templates.

Kept as plain data apart from the loader (`interfaces.demo.loader`) so that the story the demo tells
can be read and edited without reading any scheduling code.
"""
