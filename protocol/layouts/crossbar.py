"""Event crossbar of the SPL1 fabric: 76 populated nodes (halco order), output config and the
read-only drop and event counters."""
from __future__ import annotations

from ..container import container

CROSSBAR_NODE = container(
    "crossbar_node",
    [("mask", 14), (None, 2), ("target", 14), (None, 1), ("enable_drop_counter", 1)],
)
"""An event passes iff (label14 & mask) == target: word 0 passes all (haldls default),
mask 0 / target 1 (`DROP_ALL`) none."""

DROP_ALL = {"mask": 0, "target": 1}

CROSSBAR_OUTPUT_CONFIG = container(
    "crossbar_output_config", [("enable_slow", 4), ("enable_event_counter", 12)])
"""enable_slow per L2 output 0..3; enable_event_counter bit o for output o (0..11)."""

CROSSBAR_INPUT_DROP_COUNTER = container("crossbar_input_drop_counter", [("value", 16)])
CROSSBAR_OUTPUT_EVENT_COUNTER = container("crossbar_output_event_counter", [("value", 24)])
