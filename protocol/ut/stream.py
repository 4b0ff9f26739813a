"""Packing messages MSB-first into 64-bit words, and the streaming word -> message decoder.

Rules (hxcomm encoder/decoder, bss2-facts §5.3): messages are concatenated back to back,
most significant bit first, into 64-bit words.  A flush that leaves a partly filled word sets
the bit right after the last message (a comma) and zeroes the rest.  The decoder drops a
word whose first bit is a comma when it needs a new header, and after each message drops the
rest of the current word if its next bit is a comma.  This is the scalar reference; the numpy
paths in `bulk.py` must agree with it.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .constants import HEADER_BITS, WORD_BITS, WORD_MASK
from .dictionary import DICTIONARIES
from .enums import Direction
from .message import Message, UTError, decode_message, encode_message


class Encoder:
    """Accumulates messages of one direction into 64-bit words."""

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self._acc = 0
        self._fill = 0
        self._words: list[int] = []

    def add(self, msg: Message) -> None:
        """Append one message (it must belong to this encoder's direction)."""
        if msg.spec.direction is not self.direction:
            raise UTError(f"{msg!r} is not a {self.direction.name} message")
        raw = encode_message(msg)
        self._acc = (self._acc << (8 * len(raw))) | int.from_bytes(raw, "big")
        self._fill += 8 * len(raw)
        while self._fill >= WORD_BITS:
            self._fill -= WORD_BITS
            self._words.append(self._acc >> self._fill)
            self._acc &= (1 << self._fill) - 1

    def flush(self) -> None:
        """Complete a partly filled word with a comma bit followed by zeros."""
        if self._fill:
            pad = WORD_BITS - self._fill
            self._words.append((self._acc << pad) | (1 << (pad - 1)))
            self._acc = 0
            self._fill = 0

    def take(self) -> np.ndarray:
        """Remove and return the completed words (uint64)."""
        words = np.array(self._words, dtype=np.uint64)
        self._words = []
        return words


def encode(messages: Iterable[Message], direction: Direction) -> np.ndarray:
    """Encode and flush a message sequence into uint64 words."""
    enc = Encoder(direction)
    for msg in messages:
        enc.add(msg)
    enc.flush()
    return enc.take()


class StreamDecoder:
    """Incremental words -> messages decoder for one direction.

    After it raises `UTError` (unknown header) its state is undefined: call `reset()`.
    """

    def __init__(self, direction: Direction) -> None:
        self.direction = direction
        self._widths = [row.word_width for row in DICTIONARIES[direction]]
        self.reset()

    def reset(self) -> None:
        """Forget any partly received message."""
        self._buf = 0
        self._fill = 0

    @property
    def pending_bits(self) -> int:
        """Bits of an incomplete message held back until more words arrive."""
        return self._fill

    def feed(self, words: Iterable[int]) -> list[Message]:
        """Decode as many whole messages as the words complete."""
        out: list[Message] = []
        for word in words:
            word = int(word) & WORD_MASK
            if self._fill < HEADER_BITS and word >> (WORD_BITS - 1):
                continue  # padding / idle word
            self._buf = (self._buf << WORD_BITS) | word
            self._fill += WORD_BITS
            self._drain(out)
        return out

    def _drain(self, out: list[Message]) -> None:
        """Cut whole messages off the front of the buffer."""
        while self._fill >= HEADER_BITS:
            header = (self._buf >> (self._fill - HEADER_BITS)) & 0xFF
            if header >= len(self._widths):
                raise UTError(f"unknown {self.direction.name} header {header}")
            width = self._widths[header]
            if self._fill < width:
                return
            self._fill -= width
            bits = self._buf >> self._fill
            self._buf &= (1 << self._fill) - 1
            out.append(decode_message(self.direction, bits.to_bytes(width // 8, "big")))
            if self._fill and (self._buf >> (self._fill - 1)) & 1:
                self._fill -= self._fill % WORD_BITS
                self._buf &= (1 << self._fill) - 1


def decode(words: Iterable[int], direction: Direction) -> list[Message]:
    """Decode a complete word stream; a trailing incomplete message is an error."""
    dec = StreamDecoder(direction)
    out = dec.feed(words)
    if dec.pending_bits:
        raise UTError(f"stream ends inside a message ({dec.pending_bits} bits pending)")
    return out


def words_to_bytes(words: np.ndarray) -> bytes:
    """64-bit words as big-endian bytes (the order they travel on the wire)."""
    return np.asarray(words, dtype=np.uint64).astype(">u8").tobytes()


def bytes_to_words(data: bytes) -> np.ndarray:
    """Big-endian bytes (a multiple of 8) back to uint64 words."""
    if len(data) % 8:
        raise UTError(f"{len(data)} bytes is not a whole number of 64-bit words")
    return np.frombuffer(data, dtype=">u8").astype(np.uint64)
