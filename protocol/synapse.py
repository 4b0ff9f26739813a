"""Synapse quad words: column <-> (quad, entry) mapping and the host-view weight bit permutation.

Column s of a row lives in quad q = (s mod 2)*32 + s div 8 at entry e = (s div 2) mod 4, so
quads 0..31 hold the even columns and 32..63 the odd ones. The weight DAC's bits are wired
permuted: stored bit 5 is weight bit 5, stored bits 4..0 are weight bits 0..4 reversed.
The field positions come from the construct declarations in protocol.omnibus.
"""
from __future__ import annotations

import numpy as np

from .omnibus import COLUMNS, QUADS_PER_ROW, SYNAPSE_LABEL_QUAD, SYNAPSE_WEIGHT_QUAD


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


def _planes(register, value_field: str, calib_field: str):
    return ([register.fields[f"{value_field}_{e}"] for e in range(4)],
            [register.fields[f"{calib_field}_{e}"] for e in range(4)])


_WEIGHT_FIELDS = _planes(SYNAPSE_WEIGHT_QUAD, "weight", "time_calib")
_LABEL_FIELDS = _planes(SYNAPSE_LABEL_QUAD, "label", "amp_calib")


def _encode(values: np.ndarray, calib: np.ndarray, fields) -> np.ndarray:
    values = np.asarray(values, np.uint32)[..., QUAD_COLUMNS]
    calib = np.asarray(calib, np.uint32)[..., QUAD_COLUMNS]
    words = np.zeros(values.shape[:-1], np.uint32)
    for e in range(4):
        (vs, _), (cs_, _) = fields[0][e], fields[1][e]
        words |= values[..., e] << np.uint32(vs)
        words |= calib[..., e] << np.uint32(cs_)
    return words


def _decode(words: np.ndarray, fields) -> tuple[np.ndarray, np.ndarray]:
    words = np.asarray(words, np.uint32)
    shape = words.shape[:-1] + (COLUMNS,)
    values = np.zeros(shape, np.uint32)
    calib = np.zeros(shape, np.uint32)
    for e in range(4):
        (vs, vw), (cs_, cw) = fields[0][e], fields[1][e]
        values[..., QUAD_COLUMNS[:, e]] = (words >> np.uint32(vs)) & np.uint32((1 << vw) - 1)
        calib[..., QUAD_COLUMNS[:, e]] = (words >> np.uint32(cs_)) & np.uint32((1 << cw) - 1)
    return values, calib


def encode_weight_rows(weights: np.ndarray, time_calib: np.ndarray) -> np.ndarray:
    """Weights (..., 256) in 0..63 and 2-bit calib -> quad words (..., 64), permuted bits."""
    return _encode(WEIGHT_TO_STORED[np.asarray(weights, np.int64)], time_calib, _WEIGHT_FIELDS)


def decode_weight_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quad words (..., 64) -> (weights (..., 256), time_calib (..., 256))."""
    stored, calib = _decode(words, _WEIGHT_FIELDS)
    return STORED_TO_WEIGHT[stored], calib


def encode_label_rows(labels: np.ndarray, amp_calib: np.ndarray) -> np.ndarray:
    """Labels (..., 256) in 0..63 and 2-bit calib -> quad words (..., 64)."""
    return _encode(labels, amp_calib, _LABEL_FIELDS)


def decode_label_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quad words (..., 64) -> (labels (..., 256), amp_calib (..., 256))."""
    return _decode(words, _LABEL_FIELDS)
