"""bss2emu's emulated BrainScaleS-2 (HICANN-X v3) chip."""
from .chip import Chip, RunResult
from .errors import ChipError, EngineError, EventError, OmnibusError, ParameterError
from .events import INPUT_EVENT_DTYPE, OUTPUT_EVENT_DTYPE, SPIKE_DTYPE, input_events

__all__ = [
    "INPUT_EVENT_DTYPE", "OUTPUT_EVENT_DTYPE", "SPIKE_DTYPE", "Chip", "ChipError",
    "EngineError", "EventError", "OmnibusError", "ParameterError", "RunResult", "input_events",
]
