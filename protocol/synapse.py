"""Synapse quad words: column <-> (quad, entry) mapping and the host-view weight bit permutation.

Column s of a row lives in quad q = (s mod 2)*32 + s div 8 at entry e = (s div 2) mod 4, so
quads 0..31 hold the even columns and 32..63 the odd ones. The weight DAC's bits are wired
permuted: stored bit 5 is weight bit 5, stored bits 4..0 are weight bits 0..4 reversed.
The field positions come from the construct declarations in protocol.layouts.synram.
"""
from __future__ import annotations

import numpy as np

from .bitfields import Register
from .layouts.synram import SYNAPSE_LABEL_QUAD, SYNAPSE_WEIGHT_QUAD
from .omnibus import COLUMNS, QUADS_PER_ROW

_WEIGHT = SYNAPSE_WEIGHT_QUAD.words[0]
_LABEL = SYNAPSE_LABEL_QUAD.words[0]


def _permute(w: int) -> int:
    out = w & 0x20
    for bit in range(5):
        if w >> bit & 1:
            out |= 1 << (4 - bit)
    return out


WEIGHT_TO_STORED = np.array([_permute(w) for w in range(64)], np.uint32)
STORED_TO_WEIGHT = np.argsort(WEIGHT_TO_STORED).astype(np.uint32)

_cols = np.arange(COLUMNS)
COLUMN_QUAD = (_cols % 2) * 32 + _cols // 8
COLUMN_ENTRY = (_cols // 2) % 4
# QUAD_COLUMNS[q, e] = column stored at entry e of quad q
QUAD_COLUMNS = np.empty((QUADS_PER_ROW, 4), np.int64)
QUAD_COLUMNS[COLUMN_QUAD, COLUMN_ENTRY] = _cols


def encode_rows(layout: Register, prefix: str, values: np.ndarray) -> np.ndarray:
    """Per-column values (..., 256) -> quad words (..., 64) of a one-field quad layout (the
    field `prefix_e` of entry e); values must fit the field."""
    values = np.asarray(values, np.uint32)[..., QUAD_COLUMNS]
    words = np.zeros(values.shape[:-1], np.uint32)
    for e in range(4):
        shift, _ = layout.fields[f"{prefix}_{e}"]
        words |= values[..., e] << np.uint32(shift)
    return words


def decode_rows(layout: Register, prefix: str, words: np.ndarray) -> np.ndarray:
    """Quad words (..., 64) -> per-column values (..., 256) of one field."""
    words = np.asarray(words, np.uint32)
    out = np.zeros(words.shape[:-1] + (COLUMNS,), np.uint32)
    for e in range(4):
        shift, width = layout.fields[f"{prefix}_{e}"]
        out[..., QUAD_COLUMNS[:, e]] = (words >> np.uint32(shift)) & np.uint32((1 << width) - 1)
    return out


def encode_weight_rows(weights: np.ndarray) -> np.ndarray:
    """Weights (..., 256) in 0..63 -> weight-plane quad words (..., 64), bits permuted."""
    return encode_weight_quads(np.asarray(weights)[..., QUAD_COLUMNS])


#: ENTRY_WEIGHT_BITS[e, w]: the bits of weight w (0..63) at entry e of a weight quad word
ENTRY_WEIGHT_BITS = np.stack([WEIGHT_TO_STORED << np.uint32(_WEIGHT.fields[f"weight_{e}"][0])
                              for e in range(4)])


def encode_weight_quads(weights: np.ndarray) -> np.ndarray:
    """Weights of the entries of quads (..., 4), entry order, in 0..63 -> weight-plane quad
    words (...), bits permuted (what `encode_weight_rows` does for the quads of whole rows,
    for any selection of quads)."""
    weights = np.asarray(weights, np.int64)
    words = ENTRY_WEIGHT_BITS[0][weights[..., 0]]
    for e in range(1, 4):
        words |= ENTRY_WEIGHT_BITS[e][weights[..., e]]
    return words


def decode_weight_rows(words: np.ndarray) -> np.ndarray:
    """Weight-plane quad words (..., 64) -> weights (..., 256)."""
    return STORED_TO_WEIGHT[decode_rows(_WEIGHT, "weight", words)]


def encode_label_rows(labels: np.ndarray) -> np.ndarray:
    """Labels (..., 256) in 0..63 -> label-plane quad words (..., 64)."""
    return encode_rows(_LABEL, "label", labels)


def decode_label_rows(words: np.ndarray) -> np.ndarray:
    """Label-plane quad words (..., 64) -> labels (..., 256)."""
    return decode_rows(_LABEL, "label", words)
