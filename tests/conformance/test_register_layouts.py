"""Register words: the shift/mask fast path of `protocol.bitfields.Register` (used by every
omnibus access of the emulated chip and FPGA) equals the construct declaration."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.bitfields import FieldRangeError, Register

LAYOUTS = {v.name: v for m in (ob, fr) for v in vars(m).values() if isinstance(v, Register)}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_fast_parse_and_build_equal_construct(name):
    layout = LAYOUTS[name]
    rng = np.random.default_rng(len(name))
    for word in rng.integers(0, 2**32, 300).tolist() + [0, 2**32 - 1]:
        parsed = layout.struct.parse(word.to_bytes(4, "big"))
        expect = {k: int(v) for k, v in parsed.items() if not k.startswith("_")}
        assert layout.parse(word) == expect
        assert layout.build(**expect) == int.from_bytes(layout.struct.build(expect), "big")


def test_build_rejects_what_construct_cannot_hold():
    with pytest.raises(FieldRangeError, match="out of range"):
        fr.MADC_SOURCE_WORD.build(neuron=512)
    with pytest.raises(FieldRangeError, match="no field"):
        fr.MADC_SOURCE_WORD.build(channel=1)
    with pytest.raises(FieldRangeError, match="32 bits"):
        fr.MADC_SOURCE_WORD.parse(2**32)
