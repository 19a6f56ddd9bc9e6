"""What a compliance figure counts: which SLA clocks a report `kind` means.

The compliance report splits response from resolution (`kind=response|update|resolution`);
each report kind is the internal and the vendor clock measuring the same target, so a
compliance officer reads "responded in time" once, whoever had to respond.
"""

from __future__ import annotations

from typing import Final

REPORT_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "response": ("internal_response", "vendor_response"),
    "update": ("vendor_update",),
    "resolution": ("internal_resolution", "vendor_resolution"),
}
"""Report kind -> the clock kinds (`domain.sla_clocks.CLOCK_KINDS`) it counts."""


def clock_kinds(kind: str | None) -> tuple[str, ...] | None:
    """The clock kinds a report `kind` counts; None (every clock) when no kind is asked for."""
    if kind is None:
        return None
    return REPORT_KINDS[kind]
