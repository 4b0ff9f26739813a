"""Differential test of the scalar core against unicorn (QEMU e500v2): random valid instruction
sequences must leave GPRs, CR, XER, LR, CTR and all of SRAM identical in both."""
from __future__ import annotations

import pytest

from tests.ppu.insngen import Generator
from tests.ppu.unicorn_harness import CorePpu, UnicornPpu

SEQUENCES_PER_CHUNK = 1000
CHUNKS = 4              # 4 x 1000 sequences x ~55 instructions = ~220,000 instructions
SEQUENCE_LENGTH = 55


def run_chunk(seed: int, sequences: int, length: int) -> int:
    """Run `sequences` random sequences on both; return the instruction count (fails on the
    first difference with the listing and what differs)."""
    gen, theirs, ours = Generator(seed), UnicornPpu(), CorePpu()
    total = 0
    for k in range(sequences):
        seq = gen.sequence(length)
        image = seq.image()
        expected = theirs.run(image, start=seq.start, max_instructions=100_000)
        got = ours.run(image, start=seq.start, max_instructions=100_000)
        assert expected.stop == "wait", f"unicorn did not reach wait (seed {seed}, #{k})"
        diff = expected.differences(got)
        assert not diff, (f"seed {seed} sequence {k}: unicorn vs core\n" + "\n".join(diff)
                          + "\n" + seq.listing())
        total += len(seq.words)
    return total


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_sequences_match_unicorn(chunk: int):
    count = run_chunk(1000 + chunk, SEQUENCES_PER_CHUNK, SEQUENCE_LENGTH)
    assert count >= SEQUENCES_PER_CHUNK * SEQUENCE_LENGTH   # 4 chunks: >= 220,000 in all
