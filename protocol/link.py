"""Link framing: 64-bit words in CRC-protected, self-synchronising frames over byte streams.

Modelled on the HostARQ frame of sctrltp (bss2-facts §5.4: ACK 32, SEQ 32, PTYPE 16, LEN 16
in 64-bit words, big-endian, then LEN payload words) with a sync word in front and two
CRC-32s, so a receiver on a byte stream (TCP, pty, serial) can find the next good frame
after garbage, truncation or flipped bits:

    offset  size     field
    0       4        SYNC         0xE71DB52C
    4       4        ACK          last SEQ the sender has received (informational)
    8       4        SEQ          frame counter of the sender, +1 per frame, wraps at 2**32
    12      2        PTYPE        packet type (PacketType)
    14      2        LEN          payload length in 64-bit words
    16      4        HEADER_CRC   CRC-32 (zlib) of bytes 0..15
    20      8*LEN    PAYLOAD      LEN big-endian 64-bit words
    20+8LEN 4        FRAME_CRC    CRC-32 (zlib) of bytes 0..20+8LEN-1 (header and payload)

The header CRC rejects a corrupted LEN or PTYPE before the reader waits for a payload; on any
error the reader resumes the sync search one byte after the rejected sync, so no later good
frame is lost.
"""
from __future__ import annotations

import struct
from collections import Counter, deque
from dataclasses import dataclass
from enum import IntEnum
from functools import cache, partial
from typing import NamedTuple

import construct as cs
import numpy as np

# zlib's CRC-32, folded with carry-less multiplication where the CPU has it (13x zlib 1.2's
# speed on a bulk program's frames), the cheaper call on short ones too
from zlib_ng.zlib_ng import crc32

SYNC = 0xE71D_B52C

#: the frame header, declared once; the fast `struct` format below is derived from it
HEADER = cs.Struct(
    "sync" / cs.Const(SYNC, cs.Int32ub),
    "ack" / cs.Int32ub,
    "seq" / cs.Int32ub,
    "ptype" / cs.Int16ub,
    "length" / cs.Int16ub,
    "header_crc" / cs.Int32ub,
)
TRAILER = cs.Struct("frame_crc" / cs.Int32ub)


def _format(subcons: list[cs.Subconstruct]) -> struct.Struct:
    """The `struct` format of big-endian integer fields of a Struct (fast path, same layout)."""
    codes = []
    for sub in subcons:
        field = sub.subcon.subcon if isinstance(sub.subcon, cs.Const) else sub.subcon
        codes.append(field.fmtstr.lstrip("<>=!"))
    return struct.Struct(">" + "".join(codes))


_HEADER_FMT = _format(HEADER.subcons)
#: the header without its CRC: what the header CRC covers
_COVERED_FMT = _format(HEADER.subcons[:-1])
#: the header's own CRC field
_HEADER_CRC_FMT = _format(HEADER.subcons[-1:])
_TRAILER_FMT = _format(TRAILER.subcons)
HEADER_BYTES = HEADER.sizeof()
CRC_COVERED = _COVERED_FMT.size
TRAILER_BYTES = TRAILER.sizeof()
SYNC_BYTES = SYNC.to_bytes(4, "big")
WORD_BYTES = 8
#: largest LEN this link accepts (sctrltp's UDP frames stop at 180; a byte stream allows more)
MAX_PAYLOAD_WORDS = 4096
SEQ_MODULUS = 1 << 32


class PacketType(IntEnum):
    """PTYPE values (sctrltp_defines.h, hxcomm arqconnection.h)."""

    ARQ_STAT = 0x0002
    UT = 0x0010
    ARQ_RESET = 0x5000
    FLUSH = 0x8000
    LOOPBACK = 0x8001
    CFG = 0x8002
    STATS = 0x8004
    PERFTEST = 0x8006


#: allowed payload lengths (min, max words) per type; None = up to the reader's maximum
LENGTHS: dict[PacketType, tuple[int, int | None]] = {
    PacketType.ARQ_STAT: (0, None),
    PacketType.UT: (1, None),
    PacketType.ARQ_RESET: (1, 1),   # one word carrying the magic 0xABABABAB
    PacketType.FLUSH: (0, 0),
    PacketType.LOOPBACK: (0, None),
    PacketType.CFG: (0, None),
    PacketType.STATS: (0, None),
    PacketType.PERFTEST: (0, None),
}


@cache
def frame_limits(max_words: int) -> dict[int, tuple[PacketType, int, int]]:
    """PTYPE value -> (packet type, fewest payload words, most payload words) on a link whose
    frames carry at most `max_words`: the one table behind the writer's refusal, the reader's
    quick header check and its explanation of a rejected header (LENGTHS capped by the
    link's maximum)."""
    return {int(t): (t, low, max_words if high is None else min(high, max_words))
            for t, (low, high) in LENGTHS.items()}


ARQ_RESET_MAGIC = 0xABAB_ABAB
"""The one payload word of an ARQ_RESET frame (the whole 64-bit word; a frame with any other
word is not a reset and is ignored)."""


class LinkError(ValueError):
    """A frame that cannot be built (bad type or length)."""


class Frame(NamedTuple):
    """One received or to-be-sent frame (immutable; a named tuple is the cheapest to make, one
    per frame on both sides of the link)."""

    ptype: PacketType
    seq: int
    ack: int
    words: np.ndarray  # uint64 payload

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Frame) and (self.ptype, self.seq, self.ack)
                == (other.ptype, other.seq, other.ack)
                and np.array_equal(self.words, other.words))

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]


#: `Frame` made from a tuple of its fields without the named tuple's Python-level __new__
#: (the reader makes one per frame)
_new_frame = partial(tuple.__new__, Frame)


def encode_frame(ptype: PacketType, words: np.ndarray | list[int], seq: int = 0,
                 ack: int = 0, max_words: int = MAX_PAYLOAD_WORDS) -> bytes:
    """Serialise one frame; raises `LinkError` for a length its type or the link forbids."""
    return _frame(ptype, np.asarray(words, ">u8").tobytes(), seq, ack, frame_limits(max_words))


def _header(ptype: PacketType, length: int, seq: int, ack: int,
            limits: dict[int, tuple[PacketType, int, int]]) -> bytes:
    """The header of a frame of `length` payload words (`LinkError` if `limits`, a
    `frame_limits` table, forbids it)."""
    known = limits.get(ptype)
    if known is None:
        raise LinkError(f"{ptype!r} is not a packet type")
    if not known[1] <= length <= known[2]:
        raise LinkError(f"{known[0].name} frame cannot carry {length} words")
    covered = _COVERED_FMT.pack(SYNC, ack % SEQ_MODULUS, seq % SEQ_MODULUS, ptype, length)
    return covered + _HEADER_CRC_FMT.pack(crc32(covered))


def _frame(ptype: PacketType, payload: bytes, seq: int, ack: int,
           limits: dict[int, tuple[PacketType, int, int]]) -> bytes:
    """One frame as one bytes object (payload: its big-endian words): header and payload
    joined once, the frame CRC over the joined bytes."""
    body = _header(ptype, len(payload) // WORD_BYTES, seq, ack, limits) + payload
    return body + _TRAILER_FMT.pack(crc32(body))


def _frame_parts(ptype: PacketType, payload: memoryview, seq: int, ack: int,
                 limits: dict[int, tuple[PacketType, int, int]]
                 ) -> tuple[bytes, memoryview, bytes]:
    """Header, payload (big-endian words, as given) and trailer of one frame; joined they are
    the frame. Long programs are framed from one byte-swapped copy of their words this way."""
    head = _header(ptype, len(payload) // WORD_BYTES, seq, ack, limits)
    return head, payload, _TRAILER_FMT.pack(crc32(payload, crc32(head)))


class FrameWriter:
    """Numbers outgoing frames and splits long word arrays into maximal frames. With a
    `reader` (the same peer's incoming side), each frame's ACK is the last SEQ it received."""

    def __init__(self, max_words: int = MAX_PAYLOAD_WORDS,
                 reader: FrameReader | None = None) -> None:
        self.max_words = max_words
        self.seq = 0
        self.reader = reader
        self._limits = frame_limits(max_words)

    @property
    def ack(self) -> int:
        """The last SEQ received from the peer (0 before any frame)."""
        last = self.reader.last_seq if self.reader is not None else None
        return 0 if last is None else last

    def frame(self, ptype: PacketType, words: np.ndarray | list[int]) -> bytes:
        """One frame with the next sequence number."""
        out = _frame(ptype, np.asarray(words, ">u8").tobytes(), self.seq, self.ack,
                     self._limits)
        self.seq = (self.seq + 1) % SEQ_MODULUS
        return out

    def frames(self, words: np.ndarray, ptype: PacketType = PacketType.UT) -> bytes:
        """All words in as few frames as the maximum length allows (the same bytes as one
        `frame` call per slice; words that fit one frame are framed as one bytes object)."""
        if 0 < len(words) <= self.max_words:
            return self.frame(ptype, words)
        return b"".join(self.frame_parts(words, ptype))

    def frame_parts(self, words: np.ndarray, ptype: PacketType = PacketType.UT
                    ) -> list[bytes | memoryview]:
        """`frames` as the pieces that joined give its bytes: per frame its header, a view of
        its payload in one byte-swapped copy of the words, its trailer (for a scatter-gather
        send that copies the payload no further)."""
        payload = memoryview(np.asarray(words, ">u8")).cast("B")
        step = self.max_words * WORD_BYTES
        parts: list[bytes | memoryview] = []
        for i in range(0, len(payload), step):
            parts.extend(_frame_parts(ptype, payload[i:i + step], self.seq, self.ack,
                                      self._limits))
            self.seq = (self.seq + 1) % SEQ_MODULUS
        return parts


#: error kinds counted by the reader
ERROR_KINDS = ("bad_crc", "bad_length", "unknown_type", "oversize", "truncated",
               "sequence_gap")


@dataclass(frozen=True)
class FrameError:
    """One rejected frame: what was wrong and where (byte offset in the whole stream)."""

    kind: str
    offset: int
    detail: str


class FrameReader:
    """Incremental byte stream -> frames decoder that resynchronises after any damage.

    `feed(data)` returns the frames completed so far.  `flush()` declares that the bytes of a
    pending partial frame will never be completed (call it after a receive timeout): the
    partial frame counts as `truncated` and any frames behind it are released.
    """

    def __init__(self, max_words: int = MAX_PAYLOAD_WORDS, keep_errors: int = 64) -> None:
        self.max_words = max_words
        self._limits = frame_limits(max_words)
        self.errors: Counter[str] = Counter({k: 0 for k in ERROR_KINDS})
        self.recent: deque[FrameError] = deque(maxlen=keep_errors)
        self.garbage_bytes = 0
        self.frames_ok = 0
        self._buf = bytearray()
        self._offset = 0          # stream offset of _buf[0]
        self._next_seq: int | None = None
        self.last_seq: int | None = None  # SEQ of the last frame accepted

    @property
    def pending_bytes(self) -> int:
        """Bytes held back (a partial frame or a partial sync word)."""
        return len(self._buf)

    def restart_sequence(self) -> None:
        """Accept any SEQ on the next frame (a new peer, or after an ARQ_RESET frame)."""
        self._next_seq = None

    def report(self) -> str:
        """One line summarising frames and errors."""
        errs = ", ".join(f"{k} {v}" for k, v in self.errors.items() if v) or "no errors"
        return f"{self.frames_ok} frames, {self.garbage_bytes} garbage bytes, {errs}"

    def feed(self, data: bytes) -> list[Frame]:
        """Consume bytes; return every frame they complete. The bytes are scanned where they
        are: only those completing a held-back frame are appended to it, and only an
        incomplete rest is kept (a bulk program's frames are not copied into the buffer)."""
        if not self._buf:
            return self._scan(data, final=False)
        taken = self._completing(len(data))
        self._buf += data[:taken] if taken < len(data) else data
        frames = self._scan(self._buf, final=False)
        if taken < len(data):
            if self._buf:  # the held frame was rejected: the search goes on inside it
                self._buf += data[taken:]
                return frames + self._scan(self._buf, final=False)
            self._offset -= taken  # the stream offset of data[0]
            frames += self._scan(data, final=False, start=taken)
        return frames

    def _completing(self, available: int) -> int:
        """How many of `available` new bytes complete the held-back frame: all of them unless
        its header is complete (the scan that held it back has checked that header)."""
        buf = self._buf
        if len(buf) < HEADER_BYTES or not buf.startswith(SYNC_BYTES):
            return available
        length = _HEADER_FMT.unpack_from(buf)[4]
        return min(available, HEADER_BYTES + length * WORD_BYTES + TRAILER_BYTES - len(buf))

    def flush(self) -> list[Frame]:
        """Give up on a pending partial frame and release what follows it."""
        return self._scan(self._buf, final=True)

    def _error(self, kind: str, pos: int, detail: str) -> None:
        self.errors[kind] += 1
        self.recent.append(FrameError(kind, self._offset + pos, detail))

    def _scan(self, buf: bytes | bytearray, final: bool, start: int = 0) -> list[Frame]:
        """Frames in `buf` from index `start` on (the held-back bytes, or newly received ones
        when none are held); what is not consumed is held back afterwards."""
        out: list[Frame] = []
        pos = start
        while True:
            at = buf.find(SYNC_BYTES, pos)
            if at < 0:
                keep = len(buf) if final else max(pos, len(buf) - (len(SYNC_BYTES) - 1))
                self.garbage_bytes += keep - pos
                pos = keep
                break
            self.garbage_bytes += at - pos
            pos = at
            end = self._try_frame(buf, pos, final, out)
            if end > 0:
                pos = end
            elif end == 0:
                break  # wait for more bytes
            else:
                self.garbage_bytes += 1  # the rejected sync's first byte
                pos += 1
        if buf is self._buf:
            del buf[:pos]
        elif pos < len(buf):  # nothing is held when new bytes are scanned in place
            self._buf = bytearray(buf[pos:])
        self._offset += pos
        return out

    def _try_frame(self, buf: bytes | bytearray, pos: int, final: bool, out: list[Frame]
                   ) -> int:
        """A frame starting at a sync word: appended to `out`, its end returned; -1 if it must
        be rejected (the error counted), 0 if more bytes are needed."""
        if len(buf) - pos < HEADER_BYTES:
            return self._reject("truncated", pos, "stream ends inside a header") if final else 0
        _, ack, seq, ptype, length, hcrc = _HEADER_FMT.unpack_from(buf, pos)
        view = memoryview(buf)
        known = self._limits.get(ptype)
        if (known is None or not known[1] <= length <= known[2]
                or crc32(view[pos:pos + CRC_COVERED]) != hcrc):
            return self._reject(*self._check_header(view, pos, ptype, length, hcrc))
        end = pos + HEADER_BYTES + length * WORD_BYTES + TRAILER_BYTES
        if len(buf) < end:
            return self._reject("truncated", pos, f"{end - len(buf)} bytes missing") if final else 0
        (crc,) = _TRAILER_FMT.unpack_from(buf, end - TRAILER_BYTES)
        covered = view[pos:end - TRAILER_BYTES]
        if crc32(covered) != crc:
            return self._reject("bad_crc", pos, "frame CRC mismatch")
        words = np.frombuffer(buf, ">u8", length, pos + HEADER_BYTES).astype(np.uint64)
        if self._next_seq is not None and seq != self._next_seq:
            self._error("sequence_gap", pos, f"SEQ {seq}, expected {self._next_seq}")
        self._next_seq = (seq + 1) % SEQ_MODULUS
        self.last_seq = seq
        self.frames_ok += 1
        out.append(_new_frame((known[0], seq, ack, words)))
        return end

    def _reject(self, kind: str, pos: int, detail: str) -> int:
        """Count a rejected frame; -1 (`_try_frame`'s answer for it)."""
        self._error(kind, pos, detail)
        return -1

    def _check_header(self, view: memoryview, pos: int, ptype: int, length: int, hcrc: int
                      ) -> tuple[str, int, str]:
        """Why a header that failed the reader's quick check is rejected (the checks in their
        order of precedence, against the same limits table)."""
        if crc32(view[pos:pos + CRC_COVERED]) != hcrc:
            return "bad_crc", pos, "header CRC mismatch"
        known = self._limits.get(ptype)
        if known is None:
            return "unknown_type", pos, f"PTYPE {ptype:#06x}"
        if length > self.max_words:
            return "oversize", pos, f"LEN {length} > {self.max_words}"
        return "bad_length", pos, f"{known[0].name} with LEN {length}"


#: device notices: CFG frames whose payload starts with a 4-byte kind, then a UTF-8 reason
#: (zero-padded to whole words). BUSY: the server serves another host and closes this
#: connection; LIMT: the running program went over a server limit and was abandoned.
NOTICE_KINDS = {"busy": b"BUSY", "limit": b"LIMT"}


def notice(kind: str, reason: str) -> np.ndarray:
    """Payload words of a device notice of `kind` ("busy" or "limit")."""
    raw = NOTICE_KINDS[kind] + reason.encode("utf-8")[:1024]
    raw += bytes(-len(raw) % WORD_BYTES)
    return np.frombuffer(raw, ">u8").astype(np.uint64)


def read_notice(frame: Frame) -> tuple[str, str] | None:
    """(kind, reason) of a device notice, or None if the frame is not one."""
    if frame.ptype is not PacketType.CFG or not len(frame.words):
        return None
    raw = frame.words.astype(">u8").tobytes()
    for kind, magic in NOTICE_KINDS.items():
        if raw.startswith(magic):
            return kind, raw[len(magic):].rstrip(b"\0").decode("utf-8", "replace")
    return None
