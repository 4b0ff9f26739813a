/* Public C interface of the PPU (plasticity processor) model, read verbatim by cffi (no
 * preprocessor logic). One bss2_ppu per hemisphere: a 32-bit big-endian Power ISA core (Nux) with
 * the FXV vector unit. The core touches its SRAM and the FPGA external memory directly (data at
 * BSS2_PPU_EXTMEM_BASE, instruction fetch at BSS2_PPU_EXTMEM_CODE_BASE, as the real chip); every
 * access that leaves the processor for the chip (scalar loads/stores in the omnibus window,
 * fxvinx/fxvoutx parallel I/O) stops bss2_ppu_run with status BSS2_PPU_BUS, the host model
 * performs it, and bss2_ppu_complete finishes the instruction. Accesses to the watched external
 * memory range (bss2_ppu_watch) stop with BSS2_BUS_SYNC first, so that the host can bring the
 * FPGA's writes there up to the access's time; the core then performs them itself. */

#define BSS2_PPU_SRAM_BYTES 16384
#define BSS2_PPU_EXTMEM_BYTES 131072
#define BSS2_PPU_EXTMEM_BASE 0x40000000       /* data accesses to the external memory */
#define BSS2_PPU_EXTMEM_CODE_BASE 0x80000000  /* instruction fetches from the same bytes */
#define BSS2_PPU_VBYTES 128
#define BSS2_PPU_VREGS 32

/* run status */
#define BSS2_PPU_RUNNING 0   /* executing; bss2_ppu_run returns it when the cycle limit is hit */
#define BSS2_PPU_SLEEPING 1  /* executed `wait` */
#define BSS2_PPU_BUS 2       /* stopped on an access for the host model (see bus_* fields) */
#define BSS2_PPU_HALTED 3    /* stopped by an exception in BSS2_PPU_HALT_ON_EXCEPTION mode */

/* exception causes (the index is also the runtime's vector slot: vector address = 4 * cause) */
#define BSS2_EXC_NONE 0xFFFFFFFF
#define BSS2_EXC_RESET 0
#define BSS2_EXC_MACHINE_CHECK 1
#define BSS2_EXC_CRITICAL_INPUT 2
#define BSS2_EXC_DATA_STORAGE 3
#define BSS2_EXC_INSTRUCTION_STORAGE 4
#define BSS2_EXC_EXTERNAL_INPUT 5
#define BSS2_EXC_ALIGNMENT 6
#define BSS2_EXC_PROGRAM 7
#define BSS2_EXC_SYSCALL 8

/* exception handling */
#define BSS2_PPU_VECTOR_EXCEPTIONS 0   /* real behaviour: SRR0/SRR1/ESR/DEAR, PC = 4 * cause */
#define BSS2_PPU_HALT_ON_EXCEPTION 1   /* stop with status HALTED (tests, bare code) */

/* pending bus access kinds */
#define BSS2_BUS_LOAD 1     /* lwz-like: host puts the word into bus_data */
#define BSS2_BUS_STORE 2    /* host stores bus_data */
#define BSS2_BUS_VIN 3      /* fxvinx: host fills bus_vector; lanes with bus_mask[i] == 0 keep VRT */
#define BSS2_BUS_VOUT 4     /* fxvoutx: host writes bus_vector where bus_mask[i] != 0 */
#define BSS2_BUS_SYNC 5     /* watched extmem access at data address bus_addr: host syncs, then
                             * bss2_ppu_complete lets the core execute the instruction itself */

typedef struct {
    /* architected scalar state */
    uint32_t gpr[32];
    uint32_t cr;
    uint32_t xer;
    uint32_t lr;
    uint32_t ctr;
    uint32_t pc;
    uint32_t msr;
    uint32_t srr0, srr1, csrr0, csrr1;
    uint32_t esr, dear;
    uint32_t sprg[8];
    uint32_t dec, decar, tcr, tsr;
    uint32_t gin, gout, goe, iccr;
    uint32_t pir;                    /* processor id: hemisphere */

    /* FXV vector unit */
    uint8_t vr[32][128];             /* vector registers; byte 0 is the lowest memory address */
    uint8_t acc[256];                /* accumulator (128 x 16 bit or 64 x 32 bit lanes, raw) */
    uint8_t vcr[128];                /* vector condition flags per byte lane */

    /* time */
    uint64_t cycles;                 /* cycles since reset at 250 MHz; also the time base */
    uint64_t instret;                /* instructions retired */

    /* run state */
    uint32_t status;                 /* BSS2_PPU_* */
    uint32_t exception_mode;         /* BSS2_PPU_VECTOR_EXCEPTIONS or BSS2_PPU_HALT_ON_EXCEPTION */
    uint32_t last_cause;             /* BSS2_EXC_* of the last exception taken (or NONE) */
    uint32_t last_pc;                /* PC of the instruction that raised it */
    uint32_t last_insn;              /* its instruction word (0 when it could not be fetched) */
    uint32_t last_addr;              /* data address for storage/alignment faults */

    /* pending bus access (status BSS2_PPU_BUS) */
    uint32_t bus_kind;
    uint32_t bus_addr;               /* LOAD/STORE: omnibus word address; VIN/VOUT: (RA|0)+RB */
    uint32_t bus_data;
    uint32_t bus_reg;                /* destination GPR (LOAD) or vector register (VIN/VOUT) */
    uint8_t bus_vector[128];
    uint8_t bus_mask[128];

    /* watched external memory range (extmem byte offsets; kept by reset, none if bytes 0) */
    uint32_t watch_offset;
    uint32_t watch_bytes;
    uint64_t watch_pass;             /* cycles + 1 of the instruction let through after SYNC */

    /* bss2emu stack guard (kept by reset; 0: off): a store addressed through r1 (the stack
     * pointer) below this SRAM address raises a data storage exception instead of silently
     * overwriting what lies below the stack (.bss) */
    uint32_t stack_limit;

    /* memories */
    uint8_t sram[16384];             /* big-endian, instructions and data */
    uint8_t *extmem;                 /* BSS2_PPU_EXTMEM_BYTES, shared by both PPUs, instructions
                                      * and data; may be NULL */
} bss2_ppu;

/* Reset: architected registers to their reset values, PC 0, status RUNNING; memories kept. */
void bss2_ppu_reset(bss2_ppu *p);

/* Execute until cycles >= cycle_limit, `wait`, a bus access or a halt; returns status. */
uint32_t bss2_ppu_run(bss2_ppu *p, uint64_t cycle_limit);

/* Make scalar and vector memory accesses touching extmem bytes [offset, offset + bytes) stop
 * with BSS2_BUS_SYNC (bytes 0: none). */
void bss2_ppu_watch(bss2_ppu *p, uint32_t offset, uint32_t bytes);

/* Finish the instruction that stopped with status BUS (after the host handled the access). */
void bss2_ppu_complete(bss2_ppu *p);

/* The access the core stopped on has no target (bus timeout): instead of completing it, take a
 * data storage exception at that instruction (DEAR = its address; halts in HALT mode). */
void bss2_ppu_bus_error(bss2_ppu *p);

/* Execute one FXV (primary opcode 4) instruction word at the current PC. Called by the core's
 * decoder; adds the instruction's cycles itself but leaves the PC to the core. Returns
 * BSS2_EXC_NONE when it completed, the BSS2_EXC_* cause it raised (nothing changed, last_addr set
 * for storage/alignment faults), or BSS2_FXV_BUS when it filled bus_* for parallel I/O. */
#define BSS2_FXV_BUS 0x100
uint32_t bss2_fxv_execute(bss2_ppu *p, uint32_t insn);

/* Finish a VIN access: merge bus_vector into the destination vector register by bus_mask. */
void bss2_fxv_complete(bss2_ppu *p);
