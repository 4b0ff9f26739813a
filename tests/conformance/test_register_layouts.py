"""Register words: the shift/mask fast path of `protocol.bitfields.Register` (used by every
omnibus access of the emulated chip and FPGA) equals the construct declaration."""
from __future__ import annotations

import numpy as np
import pytest
from bss2emu.protocol import event_label as el
from bss2emu.protocol import fpga_registers as fr
from bss2emu.protocol import omnibus as ob
from bss2emu.protocol.bitfields import FieldRangeError, Register

LAYOUTS = {v.name: v for m in (fr, el) for v in vars(m).values() if isinstance(v, Register)}
LAYOUTS.update({w.name: w for block in ob.BLOCKS for w in block.container.words})
BACKEND = ob.block("neuron_backend", 0).container


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
        BACKEND.encode(address_out=256)
    with pytest.raises(FieldRangeError, match="no field"):
        BACKEND.encode(channel=1)
    with pytest.raises(FieldRangeError, match="32 bits"):
        BACKEND.words[0].parse(2**32)
    with pytest.raises(FieldRangeError, match="unused bits"):
        BACKEND.decode_word(BACKEND.default_values(), 0, 0x100)
