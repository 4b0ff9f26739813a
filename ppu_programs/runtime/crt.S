/* PPU start-up code: the exception vector table at address 0, __init (stack, .bss, start(),
 * exit) and the fault handler that reports an unexpected exception in the mailbox.
 * Layout of the mailbox words written here: include/mailbox.h. */
#include "mailbox.h"

/* SPR numbers (Power ISA 2.06 Book III-E) */
#define SPR_SRR0 26
#define SPR_CSRR0 58
#define SPR_DEAR 61
#define SPR_ESR 62

    .section .vectors, "ax"
    .globl __vectors
__vectors:
    b __init                        /*  0 reset */
    b __fault_machine_check         /*  1 */
    b __fault_critical_input        /*  2 */
    b __fault_data_storage          /*  3 */
    b __fault_instruction_storage   /*  4 */
    b __fault_external_input        /*  5 */
    b __fault_alignment             /*  6 */
    b __fault_program               /*  7 */
    b __fault_system_call           /*  8 */
    b __fault_doorbell              /*  9 */
    b __fault_critical_doorbell     /* 10 */
    b __fault_fixed_interval_timer  /* 11 */
    b __fault_decrementer           /* 12 */

    .text
    .globl __init
    .type __init, @function
__init:
    lis 1, stack_ptr_init@ha
    addi 1, 1, stack_ptr_init@l
    li 0, 0
    stw 0, 0(1)                     /* back chain ends here */
    /* zero .bss word by word (the linker script aligns both ends to 4) */
    lis 3, __bss_start@ha
    addi 3, 3, __bss_start@l
    lis 4, __bss_end@ha
    addi 4, 4, __bss_end@l
1:  cmplw 3, 4
    bge 2f
    stw 0, 0(3)
    addi 3, 3, 4
    b 1b
2:  bl start
    b exit
    .size __init, . - __init

/* exit(code): store the code, then the magic (the host polls the magic), then sleep forever. */
    .globl exit
    .type exit, @function
exit:
    lis 4, MAILBOX_BASE@ha
    addi 4, 4, MAILBOX_BASE@l
    stw 3, MAILBOX_EXIT_CODE(4)
    sync
    lis 5, MAILBOX_EXIT_MAGIC_VALUE@h
    ori 5, 5, MAILBOX_EXIT_MAGIC_VALUE@l
    stw 5, MAILBOX_EXIT_MAGIC(4)
    sync
    .globl __exit_wait
__exit_wait:
    .long 0x7c00007c                /* wait */
    b __exit_wait
    .size exit, . - exit

/* One entry per vector: r3 = vector number, r4 = its return-address SPR (SRR0 or CSRR0). */
#define FAULT_ENTRY(name, number, srr)  \
    name:                               \
    mfspr 4, srr;                       \
    li 3, number;                       \
    b __fault

FAULT_ENTRY(__fault_machine_check, 1, SPR_CSRR0)
FAULT_ENTRY(__fault_critical_input, 2, SPR_CSRR0)
FAULT_ENTRY(__fault_data_storage, 3, SPR_SRR0)
FAULT_ENTRY(__fault_instruction_storage, 4, SPR_SRR0)
FAULT_ENTRY(__fault_external_input, 5, SPR_SRR0)
FAULT_ENTRY(__fault_alignment, 6, SPR_SRR0)
FAULT_ENTRY(__fault_program, 7, SPR_SRR0)
FAULT_ENTRY(__fault_system_call, 8, SPR_SRR0)
FAULT_ENTRY(__fault_doorbell, 9, SPR_SRR0)
FAULT_ENTRY(__fault_critical_doorbell, 10, SPR_CSRR0)
FAULT_ENTRY(__fault_fixed_interval_timer, 11, SPR_SRR0)
FAULT_ENTRY(__fault_decrementer, 12, SPR_SRR0)

/* Fault record: vector, return address, ESR, DEAR, the instruction word there, magic last. The
 * word is read only where the core fetched it from (an aligned SRAM address, or extmem code at
 * 0x8000_0000 + offset, read at its data address 0x4000_0000 + offset) and not for an instruction
 * storage exception (nothing was fetched), so the handler cannot fault itself. */
    .type __fault, @function
__fault:
    lis 5, MAILBOX_BASE@ha
    addi 5, 5, MAILBOX_BASE@l
    stw 3, MAILBOX_FAULT_VECTOR(5)
    stw 4, MAILBOX_FAULT_SRR0(5)
    mfspr 6, SPR_ESR
    stw 6, MAILBOX_FAULT_ESR(5)
    mfspr 6, SPR_DEAR
    stw 6, MAILBOX_FAULT_DEAR(5)
    li 6, 0
    cmplwi 3, 4
    beq 1f                          /* instruction storage */
    andi. 7, 4, 3
    bne 1f                          /* unaligned */
    lis 7, __sram_end@ha
    addi 7, 7, __sram_end@l
    cmplw 4, 7
    blt 2f                          /* in SRAM */
    addis 7, 4, -0x8000             /* offset in the extmem code view */
    lis 8, 0x2                      /* 128 KiB of extmem */
    cmplw 7, 8
    bge 1f                          /* neither SRAM nor extmem code */
    addis 4, 7, 0x4000              /* the same word's data address */
2:  lwz 6, 0(4)
1:  stw 6, MAILBOX_FAULT_INSN(5)
    sync
    lis 6, MAILBOX_FAULT_MAGIC_VALUE@h
    ori 6, 6, MAILBOX_FAULT_MAGIC_VALUE@l
    stw 6, MAILBOX_FAULT_MAGIC(5)
    sync
    .globl __fault_wait
__fault_wait:
    .long 0x7c00007c                /* wait */
    b __fault_wait
    .size __fault, . - __fault
