"""Exception for bad data or files handed to the learning code by a user."""
from __future__ import annotations

from bss2emu.errors import InputError


class LearningInputError(InputError, ValueError):
    """Invalid user-supplied data, file or checkpoint; the message is meant for the user."""
