"""The columnar ADC (CADC): 8-bit conversion of a synapse row's correlation accumulators, or,
per column switch, of the column's neuron membrane. Each channel has a fixed offset."""
from __future__ import annotations

import numpy as np
from bss2emu.protocol import omnibus as ob

CADC_BITS = 8
CADC_MAX = (1 << CADC_BITS) - 1
BASELINE_LSB = 16.0
"""Mean code of a reset correlation accumulator (the per-channel offset's mean)."""
OFFSET_SIGMA_LSB = 3.0
MEMBRANE_FULL_SCALE_V = 1.2
_SALT = 0xCADC


class Cadc:
    """Conversion of both CADCs (causal and acausal, 256 channels per hemisphere each)."""

    def __init__(self, seed: int, fpn_scale: float = 1.0) -> None:
        rng = np.random.default_rng([seed, _SALT])
        self.offset = BASELINE_LSB + rng.normal(0.0, OFFSET_SIGMA_LSB * fpn_scale,
                                                (2, ob.HEMISPHERES, ob.COLUMNS))
        #: last conversion per (causal/acausal, hemisphere, row, column), for buffered reads
        self.buffer = np.zeros((2, ob.HEMISPHERES, ob.SYNAPSE_ROWS, ob.COLUMNS), np.uint8)

    def convert(self, which: int, hemisphere: int, row: int, columns: np.ndarray,
                correlation: np.ndarray, membrane: np.ndarray,
                neuron_readout: np.ndarray) -> np.ndarray:
        """Codes of the given columns of one row: the correlation accumulator plus the channel
        offset, or the membrane (1.2 V full scale) where the column reads its neuron."""
        offset = self.offset[which, hemisphere, columns]
        corr = np.floor(offset + correlation)
        mem = np.round(membrane / MEMBRANE_FULL_SCALE_V * CADC_MAX + offset - BASELINE_LSB)
        codes = np.clip(np.where(neuron_readout, mem, corr), 0, CADC_MAX).astype(np.uint8)
        self.buffer[which, hemisphere, row, columns] = codes
        return codes
