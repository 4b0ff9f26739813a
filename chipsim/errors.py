"""Exceptions raised by the chip emulator; each message names the offending address or field."""


class ChipError(ValueError):
    """Base class of all errors caused by bad input to the emulated chip."""


class OmnibusError(ChipError):
    """Access to an unknown on-chip bus address, or a field value out of range."""

    def __init__(self, message: str, address: int | None = None) -> None:
        super().__init__(message)
        self.address = address


class EventError(ChipError):
    """Malformed input events (label width, negative or unsorted times)."""


class ParameterError(ChipError):
    """A physical parameter that the model cannot use (NaN, non-positive time constant)."""


class EngineError(ChipError):
    """The C engine rejected its input."""
