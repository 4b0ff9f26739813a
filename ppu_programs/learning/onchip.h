/* Interface between the on-chip learning program (onchip.c) and the host (host/onchip/).
 *
 * The host places every array in the FPGA external memory and tells the program where through
 * PPU_PARAMETER variables (see onchip.c); this header holds the few numbers both sides must
 * agree on. The host parses the ONCHIP_* defines (keep them plain `#define NAME value` lines).
 *
 * Control block (32-bit big-endian words in extmem, index = word):
 *   host writes:  LEARNING_RATE (Q0.32 unsigned), BATCH (samples of the coming batch),
 *                 PERIOD (FPGA ticks from one sample marker to the next)
 *   PPU writes:   every other word (counters since the host last zeroed them, state)
 *
 * Label table: 512 slots of (key << 15 | value), empty slots 0xFFFFFFFF, open addressing with
 * linear probing from slot (key * ONCHIP_HASH_MULTIPLIER mod 2^32) >> 23, where the key is the
 * event's 16-bit label | its ring flags << 16 (injected inputs and chip spikes may share a
 * label). The value says what the event is: kind << 12 | index. A marker starts a sample: its index is the
 * sample's class, ORed with ONCHIP_MARKER_EVAL for a sample that is only evaluated, or it is
 * ONCHIP_MARKER_END, which ends a batch (the program then updates the weights). */
#ifndef ONCHIP_H
#define ONCHIP_H

#define ONCHIP_LEARNING_RATE 0
#define ONCHIP_BATCH 1
#define ONCHIP_STATE 2            /* 0 idle (waiting for events), 1 busy */
#define ONCHIP_TRAIN_SAMPLES 3
#define ONCHIP_TRAIN_CORRECT 4
#define ONCHIP_TRAIN_LOSS_HI 5    /* sum of losses, Q16.16, 64 bits */
#define ONCHIP_TRAIN_LOSS_LO 6
#define ONCHIP_EVAL_SAMPLES 7
#define ONCHIP_EVAL_CORRECT 8
#define ONCHIP_EVAL_LOSS_HI 9
#define ONCHIP_EVAL_LOSS_LO 10
#define ONCHIP_SILENT_HIDDEN 11   /* (neuron, training sample) pairs without a spike */
#define ONCHIP_SILENT_LABEL 12
#define ONCHIP_GUARD_DROPS 13     /* per-sample gradient columns dropped by max_dw_norm */
#define ONCHIP_UPDATES 14         /* optimiser steps */
#define ONCHIP_BUMPS 15           /* batches that bumped weights instead */
#define ONCHIP_BATCHES_DONE 16    /* END markers handled */
#define ONCHIP_SAMPLE_CYCLES 17   /* PPU cycles spent on training samples (low 32 bits) */
#define ONCHIP_UPDATE_CYCLES 18   /* PPU cycles spent on updates and weight writes */
#define ONCHIP_UNKNOWN_EVENTS 19  /* events whose label is not in the table */
#define ONCHIP_LATE_EVENTS 20     /* events before any marker or outside the window */
#define ONCHIP_ADAM_STEPS 21      /* Adam's step counter (bias correction), host-restorable */
#define ONCHIP_BUMP_LAYER 22      /* layer of the last bump + 1, 0 = none (host-restorable) */
#define ONCHIP_BUMP_VALUE 23      /* current bump value, Q8.24 (host-restorable) */
#define ONCHIP_PERIOD 24           /* host: FPGA ticks between sample markers */
#define ONCHIP_GRADIENT_CYCLES 25 /* of SAMPLE_CYCLES: in the two spike-time backward passes */
#define ONCHIP_OPTIMISER_CYCLES 26 /* of UPDATE_CYCLES: Adam or bump, replica sums */
#define ONCHIP_WRITE_CYCLES 27    /* of UPDATE_CYCLES: hardware weights to the synapses */
#define ONCHIP_WORDS 32

#define ONCHIP_KIND_INPUT 1
#define ONCHIP_KIND_HIDDEN 2
#define ONCHIP_KIND_LABEL 3
#define ONCHIP_KIND_MARKER 4
#define ONCHIP_MARKER_EVAL 0x800
#define ONCHIP_MARKER_END 0x7FF

#define ONCHIP_TABLE_SLOTS 512
#define ONCHIP_HASH_MULTIPLIER 0x9E3779B1u

#endif
