"""The one base class of errors caused by what a user gave (a network the chip cannot map, a
data set or checkpoint that is not what it claims, a program that is not a PPU program): the
command line prints their message as one line and exits with status 2."""
from __future__ import annotations


class InputError(Exception):
    """Bad input the user can fix; the message says what and, where possible, how."""
