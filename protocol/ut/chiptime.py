"""Reconstruction of absolute FPGA time from Systime/Sysdelta and 8-bit event timestamps.

fisch's playback decoder (bss2-facts §5.3): its current FPGA time advances by one tick for
every message received, is set by Systime and advanced by Sysdelta.  An event's time is the
current time with its low 7 bits replaced by timestamp/2, minus 128 if that lies in the
future (masked to 43 bits).
"""
from __future__ import annotations

import numpy as np

from .constants import EVENT_TIMESTAMP_BITS, FPGA_TIME_MASK, TICKS_PER_MESSAGE, TIMESTAMP_DIVIDER
from .enums import FromFPGA
from .message import Message

_LOW_BITS = EVENT_TIMESTAMP_BITS - 1
_WRAP = 1 << _LOW_BITS


def event_time(current: np.ndarray | int, timestamp: np.ndarray | int) -> np.ndarray | int:
    """Absolute time (FPGA ticks) of an event with an 8-bit chip timestamp seen at `current`."""
    now = np.asarray(current, np.int64)
    t = ((now >> _LOW_BITS) << _LOW_BITS) | (np.asarray(timestamp, np.int64) // TIMESTAMP_DIVIDER)
    t = np.where(t > now, (t - _WRAP) & FPGA_TIME_MASK, t)
    return int(t) if t.ndim == 0 else t


def event_time_int(current: int, timestamp: int) -> int:
    """Scalar twin of `event_time` for plain ints (the short-batch decoder's path)."""
    t = ((current >> _LOW_BITS) << _LOW_BITS) | (timestamp // TIMESTAMP_DIVIDER)
    return (t - _WRAP) & FPGA_TIME_MASK if t > current else t


def next_time(now: int, header: int, value: int) -> int:
    """Scalar twin of `message_times`: the current time after one message with this header
    (`value`: its payload `value` field; used by Systime and Sysdelta only)."""
    if header == FromFPGA.SYSTIME:
        return value
    now += TICKS_PER_MESSAGE
    return now + value if header == FromFPGA.SYSDELTA else now


def message_times(header: np.ndarray, value: np.ndarray, start: int
                  ) -> tuple[np.ndarray, int]:
    """Current FPGA time after each message (vectorised), and the time after the last one.

    `header` are from-FPGA headers in arrival order, `value` the payload `value` field of
    Systime/Sysdelta messages (ignored for the others), `start` the time before the first.
    """
    header = np.asarray(header)
    value = np.asarray(value, np.int64)
    if len(header) == 0:
        return np.zeros(0, np.int64), start
    # the time after each message counted from the start, as if no SYSTIME set it
    total = np.cumsum(np.where(header == FromFPGA.SYSDELTA, value + TICKS_PER_MESSAGE,
                               TICKS_PER_MESSAGE))
    is_set = header == FromFPGA.SYSTIME
    setting = np.flatnonzero(is_set)
    if not setting.size:
        times = total + start
    else:  # after the k-th SYSTIME: its value plus what was counted since it
        base = np.concatenate([[start], value[setting] - total[setting]])
        times = base[np.cumsum(is_set)] + total
    return times, int(times[-1])


class TimeTracker:
    """Scalar twin of `message_times` for the message-object path."""

    def __init__(self, start: int = 0) -> None:
        self.now = start

    def update(self, msg: Message) -> int:
        """Advance by one message; return the current time after it."""
        self.now = next_time(self.now, msg.instruction, msg.fields.get("value", 0))
        return self.now
