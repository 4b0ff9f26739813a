/* The PPU's scalar core: a 32-bit big-endian Power ISA (Book E, integer subset) interpreter.
 * Decoding is table driven (ppu_isa.h); the semantics of every instruction are the cases of the
 * one switch in bss2_ppu_run. Accesses in the omnibus window stop the run with status BUS and
 * are finished by bss2_ppu_complete once the host model has performed them. */
#include <stddef.h>
#include <string.h>
#include "ppu.h"
#include "ppu_isa.h"

/* Book E register bits */
#define MSR_CE 0x00020000u
#define MSR_EE 0x00008000u
#define MSR_PR 0x00004000u
#define MSR_ME 0x00001000u
#define MSR_DE 0x00000200u
#define MSR_KEPT_ON_EXCEPTION (MSR_CE | MSR_ME | MSR_DE)
#define XER_SO 0x80000000u
#define XER_OV 0x40000000u
#define XER_CA 0x20000000u
#define XER_BYTE_COUNT 0x0000007Fu
#define XER_WRITABLE (XER_SO | XER_OV | XER_CA | XER_BYTE_COUNT)
#define ESR_PIL 0x08000000u   /* illegal instruction */
#define ESR_PPR 0x04000000u   /* privileged instruction */
#define ESR_PTR 0x02000000u   /* trap */
#define ESR_ST 0x00800000u    /* the faulting access was a store */
#define ESR_SPV 0x00000080u   /* raised by a vector (FXV) instruction */
#define TSR_DIS 0x08000000u   /* decrementer reached zero */
#define TCR_ARE 0x00400000u   /* decrementer auto-reload from DECAR */

#define OMNIBUS_WINDOW 0x80000000u
#define DCACHE_LINE 32u       /* bytes zeroed by dcbz */
#define SRAM_BYTES BSS2_PPU_SRAM_BYTES

/* ---- decode tables, generated from BSS2_PPU_INSNS ---------------------------------------- */

enum { OP_EXT19 = OP_COUNT, OP_EXT31 };

static uint8_t primary_table[64];
static uint8_t ext19_table[2048];    /* index: extended opcode << 1 | Rc */
static uint8_t ext31_table[2048];
static uint8_t op_cycles[OP_COUNT];

#define ISA_ROW(name, mn, prim, xo, flags, cyc) {OP_##name, prim, xo, flags, cyc},
static const struct { uint8_t op; uint8_t primary; int16_t xo; uint8_t flags; uint8_t cycles; }
    ISA_ROWS[] = { BSS2_PPU_INSNS(ISA_ROW) };
#undef ISA_ROW

static void enter_extended(uint8_t *table, unsigned xo, unsigned op, unsigned flags)
{
    table[xo << 1] = (uint8_t)op;
    if (flags & (ISA_RC | ISA_LK))
        table[xo << 1 | 1] = (uint8_t)op;
}

/* Filled once when the module is loaded, before any thread can run a core. */
__attribute__((constructor)) static void build_tables(void)
{
    primary_table[19] = OP_EXT19;
    primary_table[31] = OP_EXT31;
    for (size_t i = 0; i < sizeof ISA_ROWS / sizeof ISA_ROWS[0]; i++) {
        unsigned op = ISA_ROWS[i].op, flags = ISA_ROWS[i].flags, xo = (unsigned)ISA_ROWS[i].xo;
        op_cycles[op] = ISA_ROWS[i].cycles;
        if (ISA_ROWS[i].xo < 0) {
            primary_table[ISA_ROWS[i].primary] = (uint8_t)op;
            continue;
        }
        uint8_t *table = ISA_ROWS[i].primary == 19 ? ext19_table : ext31_table;
        if (flags & ISA_A5) {
            for (unsigned hi = 0; hi < 32; hi++)
                enter_extended(table, hi << 5 | xo, op, flags);
        } else {
            enter_extended(table, xo, op, flags);
            if (flags & ISA_OE)
                enter_extended(table, xo | 0x200, op, flags);
        }
    }
}

static inline unsigned decode(uint32_t w)
{
    unsigned op = primary_table[w >> 26];
    if (op == OP_EXT31)
        return ext31_table[w & 0x7FF];
    if (op == OP_EXT19)
        return ext19_table[w & 0x7FF];
    return op;
}

/* ---- instruction fields and memory helpers ------------------------------------------------- */

#define F_RT(w) (((w) >> 21) & 31)      /* also RS, BO, TO, crbD */
#define F_RA(w) (((w) >> 16) & 31)      /* also BI, crbA */
#define F_RB(w) (((w) >> 11) & 31)      /* also SH, crbB */
#define F_MB(w) (((w) >> 6) & 31)
#define F_ME(w) (((w) >> 1) & 31)
#define F_CRFD(w) (((w) >> 23) & 7)
#define F_SIMM(w) ((uint32_t)(int32_t)(int16_t)(w))
#define F_UIMM(w) ((w) & 0xFFFFu)
#define F_RC(w) ((w) & 1u)
#define F_OE(w) ((w) & 0x400u)
#define F_SPR(w) ((((w) >> 16) & 0x1F) | (((w) >> 6) & 0x3E0))
#define F_FXM(w) (((w) >> 12) & 0xFF)
#define ONE_FIELD(w) ((w) & 0x00100000u)   /* mfocrf/mtocrf */

static inline uint32_t ld32(const uint8_t *m) { uint32_t v; memcpy(&v, m, 4); return __builtin_bswap32(v); }
static inline uint32_t ld16(const uint8_t *m) { return (uint32_t)m[0] << 8 | m[1]; }
static inline uint32_t ld32r(const uint8_t *m) { uint32_t v; memcpy(&v, m, 4); return v; }
static inline uint32_t ld16r(const uint8_t *m) { return (uint32_t)m[1] << 8 | m[0]; }
static inline uint32_t ld8(const uint8_t *m) { return m[0]; }
static inline uint32_t lds16(const uint8_t *m) { return (uint32_t)(int32_t)(int16_t)ld16(m); }
static inline void st32(uint8_t *m, uint32_t v) { v = __builtin_bswap32(v); memcpy(m, &v, 4); }
static inline void st16(uint8_t *m, uint32_t v) { m[0] = (uint8_t)(v >> 8); m[1] = (uint8_t)v; }
static inline void st32r(uint8_t *m, uint32_t v) { memcpy(m, &v, 4); }
static inline void st16r(uint8_t *m, uint32_t v) { m[0] = (uint8_t)v; m[1] = (uint8_t)(v >> 8); }
static inline void st8(uint8_t *m, uint32_t v) { m[0] = (uint8_t)v; }

static inline uint32_t rotl32(uint32_t x, uint32_t n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }

/* rlw* mask: ones from big-endian bit mb through me, wrapping when mb > me */
static inline uint32_t rotate_mask(uint32_t mb, uint32_t me)
{
    uint32_t from = 0xFFFFFFFFu >> mb, to = 0xFFFFFFFFu << (31 - me);
    return mb <= me ? from & to : from | to;
}

/* CR field mask of an FXM byte: bit 0x80 selects field 0 (CR bits 0-3, the top nibble) */
static inline uint32_t fxm_mask(uint32_t fxm)
{
    uint32_t mask = 0;
    for (unsigned i = 0; i < 8; i++)
        if (fxm & (0x80u >> i))
            mask |= 0xF0000000u >> (4 * i);
    return mask;
}

static inline uint32_t cr_bit(const bss2_ppu *p, uint32_t bit) { return (p->cr >> (31 - bit)) & 1; }

static inline void set_cr_field(bss2_ppu *p, uint32_t field, uint32_t bits)
{
    uint32_t shift = 28 - 4 * field;
    p->cr = (p->cr & ~(0xFu << shift)) | (bits << shift);
}

/* LT/GT/EQ of a signed or unsigned comparison, plus XER[SO] */
static inline uint32_t compare_bits(const bss2_ppu *p, uint32_t a, uint32_t b, int is_signed)
{
    int lt = is_signed ? (int32_t)a < (int32_t)b : a < b;
    int gt = is_signed ? (int32_t)a > (int32_t)b : a > b;
    return (lt ? 8u : gt ? 4u : 2u) | (p->xer >> 31);
}

static inline void record(bss2_ppu *p, uint32_t r) { set_cr_field(p, 0, compare_bits(p, r, 0, 1)); }

static inline void set_overflow(bss2_ppu *p, uint32_t ov)
{
    p->xer = ov ? p->xer | XER_OV | XER_SO : p->xer & ~XER_OV;
}

static inline void set_carry(bss2_ppu *p, uint32_t ca)
{
    p->xer = ca ? p->xer | XER_CA : p->xer & ~XER_CA;
}

/* The add family: RT = x + y + cin, with CA (setca), OV (OE forms) and CR0 (Rc forms). */
static inline void arith(bss2_ppu *p, uint32_t w, uint32_t x, uint32_t y, uint32_t cin, int setca)
{
    uint64_t sum = (uint64_t)x + y + cin;
    uint32_t r = (uint32_t)sum;
    if (setca)
        set_carry(p, (uint32_t)(sum >> 32));
    if (F_OE(w))
        set_overflow(p, ((x ^ r) & (y ^ r)) >> 31);
    p->gpr[F_RT(w)] = r;
    if (F_RC(w))
        record(p, r);
}

/* Result to `reg` (RT, or RA for logical forms) with the Rc form's CR0 update. */
static inline void result(bss2_ppu *p, uint32_t w, uint32_t reg, uint32_t r)
{
    p->gpr[reg] = r;
    if (F_RC(w))
        record(p, r);
}

/* XO-form result to RT: OV/SO when OE is set, then the Rc form's CR0 (which sees the new SO). */
static inline void result_xo(bss2_ppu *p, uint32_t w, uint32_t r, int ov)
{
    if (F_OE(w))
        set_overflow(p, (uint32_t)ov);
    result(p, w, F_RT(w), r);
}

static inline int trap_taken(uint32_t to, uint32_t a, uint32_t b)
{
    return ((to & 16) && (int32_t)a < (int32_t)b) || ((to & 8) && (int32_t)a > (int32_t)b)
        || ((to & 4) && a == b) || ((to & 2) && a < b) || ((to & 1) && a > b);
}

/* bc/bclr/bcctr condition; decrements CTR unless BO[2] */
static inline int branch_taken(bss2_ppu *p, uint32_t w)
{
    uint32_t bo = F_RT(w);
    if (!(bo & 4)) {
        p->ctr--;
        if ((p->ctr != 0) == ((bo >> 1) & 1))
            return 0;
    }
    return (bo & 0x10) || cr_bit(p, F_RA(w)) == ((bo >> 3) & 1);
}

/* ---- instruction fetch ---------------------------------------------------------------------- */

/* Extra cycles of the instruction at pc: fetches from the FPGA external memory cost
 * CYC_EXTMEM_FETCH each (bss2emu's choice, docs/ppu_isa.md), SRAM fetches nothing. */
static inline uint32_t fetch_cycles(uint32_t pc) { return pc < SRAM_BYTES ? 0 : CYC_EXTMEM_FETCH; }

/* The instruction word at pc as the core fetches it, 0 when nothing is there (the host may
 * have moved pc while the core was stopped). */
static inline uint32_t fetched_word(const bss2_ppu *p, uint32_t pc)
{
    const uint8_t *code = bss2_ppu_fetch_pointer(p, pc);
    return code ? ld32(code) : 0;
}

/* ---- the decrementer (runs with cycles; no interrupt delivery) --------------------------- */

static void advance_decrementer(bss2_ppu *p, uint64_t elapsed)
{
    if (p->dec == 0 || elapsed == 0)
        return;
    if (elapsed < p->dec) {
        p->dec -= (uint32_t)elapsed;
        return;
    }
    p->tsr |= TSR_DIS;
    if (!(p->tcr & TCR_ARE) || p->decar == 0) {
        p->dec = 0;
        return;
    }
    p->dec = p->decar - (uint32_t)((elapsed - p->dec) % p->decar);
}

/* ---- special purpose registers: one declarative table ------------------------------------- */

enum { SPR_PLAIN, SPR_XER, SPR_TB_LOW, SPR_TB_HIGH, SPR_TSR };
#define SPR_R 1
#define SPR_W 2
#define SPR_FIELD(f) offsetof(bss2_ppu, f)

static const struct { uint16_t number; uint8_t access; uint8_t kind; uint16_t offset; } SPRS[] = {
    {1, SPR_R | SPR_W, SPR_XER, SPR_FIELD(xer)},
    {8, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(lr)},
    {9, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(ctr)},
    {22, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(dec)},
    {26, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(srr0)},
    {27, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(srr1)},
    {54, SPR_W, SPR_PLAIN, SPR_FIELD(decar)},
    {58, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(csrr0)},
    {59, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(csrr1)},
    {61, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(dear)},
    {62, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(esr)},
    {65, SPR_R, SPR_PLAIN, SPR_FIELD(gin)},
    {66, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(gout)},
    {67, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(goe)},
    {68, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(iccr)},
    {259, SPR_R, SPR_PLAIN, SPR_FIELD(sprg[3])},
    {260, SPR_R, SPR_PLAIN, SPR_FIELD(sprg[4])},
    {261, SPR_R, SPR_PLAIN, SPR_FIELD(sprg[5])},
    {262, SPR_R, SPR_PLAIN, SPR_FIELD(sprg[6])},
    {263, SPR_R, SPR_PLAIN, SPR_FIELD(sprg[7])},
    {268, SPR_R, SPR_TB_LOW, 0},
    {269, SPR_R, SPR_TB_HIGH, 0},
    {272, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[0])},
    {273, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[1])},
    {274, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[2])},
    {275, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[3])},
    {276, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[4])},
    {277, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[5])},
    {278, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[6])},
    {279, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(sprg[7])},
    {284, SPR_W, SPR_TB_LOW, 0},
    {285, SPR_W, SPR_TB_HIGH, 0},
    {286, SPR_R, SPR_PLAIN, SPR_FIELD(pir)},
    {336, SPR_R | SPR_W, SPR_TSR, SPR_FIELD(tsr)},
    {340, SPR_R | SPR_W, SPR_PLAIN, SPR_FIELD(tcr)},
};
#define SPR_COUNT (sizeof SPRS / sizeof SPRS[0])

/* index into SPRS, or -1 when the number is not implemented for that access */
static int find_spr(uint32_t number, unsigned access)
{
    for (unsigned i = 0; i < SPR_COUNT; i++)
        if (SPRS[i].number == number && (SPRS[i].access & access))
            return (int)i;
    return -1;
}

/* Book E: SPR numbers with bit 0x10 set are privileged (except the time base reads) */
static inline int spr_privileged(uint32_t number) { return (number & 0x10) != 0; }

static inline uint32_t *spr_slot(bss2_ppu *p, int i) { return (uint32_t *)((uint8_t *)p + SPRS[i].offset); }

static uint32_t read_spr(bss2_ppu *p, int i, uint64_t cycles)
{
    switch (SPRS[i].kind) {
    case SPR_TB_LOW: return (uint32_t)cycles;
    case SPR_TB_HIGH: return (uint32_t)(cycles >> 32);
    default: return *spr_slot(p, i);
    }
}

/* write an SPR; returns the new cycle count (time base writes set it) */
static uint64_t write_spr(bss2_ppu *p, int i, uint32_t v, uint64_t cycles)
{
    uint32_t *slot = spr_slot(p, i);
    switch (SPRS[i].kind) {
    case SPR_XER: *slot = v & XER_WRITABLE; break;
    case SPR_TSR: *slot &= ~v; break;           /* write one to clear */
    case SPR_TB_LOW: return (cycles & ~0xFFFFFFFFull) | v;
    case SPR_TB_HIGH: return (cycles & 0xFFFFFFFFull) | (uint64_t)v << 32;
    default: *slot = v; break;
    }
    return cycles;
}

/* ---- reset --------------------------------------------------------------------------------- */

void bss2_ppu_reset(bss2_ppu *p)
{
    uint32_t pir = p->pir, gin = p->gin, mode = p->exception_mode;
    uint32_t watch_offset = p->watch_offset, watch_bytes = p->watch_bytes;
    uint32_t stack_limit = p->stack_limit;
    uint8_t *extmem = p->extmem;
    memset(p, 0, offsetof(bss2_ppu, sram));
    p->pir = pir;
    p->stack_limit = stack_limit;
    p->watch_offset = watch_offset;
    p->watch_bytes = watch_bytes;
    p->gin = gin;
    p->exception_mode = mode;
    p->extmem = extmem;
    p->status = BSS2_PPU_RUNNING;
    p->last_cause = BSS2_EXC_NONE;
}

/* ---- the interpreter ----------------------------------------------------------------------- */

#define RA0(w) (F_RA(w) ? g[F_RA(w)] : 0u)
#define FAULT(c, a, e) do { cause = (c); fault_addr = (a); esr = (e); goto fault; } while (0)
#define ILLEGAL() FAULT(BSS2_EXC_PROGRAM, 0, ESR_PIL)
#define PRIVILEGED() do { if (p->msr & MSR_PR) FAULT(BSS2_EXC_PROGRAM, 0, ESR_PPR); } while (0)
/* bss2emu stack guard: a store through r1 below the stack limit */
#define STACK_GUARD(ea) \
    do { if (F_RA(w) == 1 && (ea) < p->stack_limit) FAULT(BSS2_EXC_DATA_STORAGE, (ea), ESR_ST); } \
    while (0)
#define UPDATE_FORM_CHECK(is_load) \
    do { if (F_RA(w) == 0 || ((is_load) && F_RA(w) == F_RT(w))) ILLEGAL(); } while (0)

/* Resolve the data address ea for a size-byte access into m, or fault / stop for the bus.
 * omnibus: 1 for the word accesses that may go to the omnibus window. */
#define RESOLVE(ea, size, store, omnibus, bus_kind_, bus_data_)                                 \
    do {                                                                                       \
        if ((ea) & ((size) - 1))                                                               \
            FAULT(BSS2_EXC_ALIGNMENT, (ea), (store) ? ESR_ST : 0);                             \
        if ((ea) <= SRAM_BYTES - (size))                                                       \
            m = p->sram + (ea);                                                                \
        else if ((omnibus) && ((ea) & OMNIBUS_WINDOW)) {                                       \
            p->bus_kind = (bus_kind_);                                                         \
            p->bus_addr = ((ea) & ~OMNIBUS_WINDOW) >> 2;                                       \
            p->bus_data = (bus_data_);                                                         \
            p->bus_reg = F_RT(w);                                                              \
            goto bus_stop;                                                                     \
        } else if (!(m = bss2_ppu_data_pointer(p, (ea), (size))))                              \
            FAULT(BSS2_EXC_DATA_STORAGE, (ea), (store) ? ESR_ST : 0);                          \
        else if (bss2_ppu_watched(p, (ea), (size), cycles))                                    \
            goto bus_stop;                                                                     \
    } while (0)

#define LOAD(ea_expr, size, fetch, update, omnibus)                                            \
    do {                                                                                       \
        uint32_t ea = (ea_expr);                                                               \
        RESOLVE(ea, size, 0, omnibus, BSS2_BUS_LOAD, 0);                                       \
        g[F_RT(w)] = fetch(m);                                                                 \
        if (update)                                                                            \
            g[F_RA(w)] = ea;                                                                   \
    } while (0)

#define STORE(ea_expr, size, put, update, omnibus)                                             \
    do {                                                                                       \
        uint32_t ea = (ea_expr), value = g[F_RT(w)];                                           \
        STACK_GUARD(ea);                                                                       \
        RESOLVE(ea, size, 1, omnibus, BSS2_BUS_STORE, value);                                  \
        put(m, value);                                                                         \
        if (update)                                                                            \
            g[F_RA(w)] = ea;                                                                   \
    } while (0)

#define EA_D(w) (RA0(w) + F_SIMM(w))
#define EA_DU(w) (g[F_RA(w)] + F_SIMM(w))
#define EA_X(w) (RA0(w) + g[F_RB(w)])
#define EA_XU(w) (g[F_RA(w)] + g[F_RB(w)])

uint32_t bss2_ppu_run(bss2_ppu *p, uint64_t cycle_limit)
{
    if (p->status == BSS2_PPU_SLEEPING && p->cycles < cycle_limit) {
        advance_decrementer(p, cycle_limit - p->cycles);   /* time passes while asleep */
        p->cycles = cycle_limit;
    }
    if (p->status != BSS2_PPU_RUNNING)
        return p->status;

    uint32_t *g = p->gpr;
    uint32_t pc = p->pc, w = 0, cause = BSS2_EXC_NONE, fault_addr = 0, esr = 0;
    uint64_t cycles = p->cycles, instret = p->instret, stop = cycle_limit;
    uint64_t dec_synced = cycles;   /* cycles up to which p->dec has been advanced */
    uint8_t *m;
    const uint8_t *code;

    while (cycles < stop) {
        uint32_t fetch_extra = 0;   /* fetch_cycles(pc), known from the branch taken here */
        if (__builtin_expect(pc <= SRAM_BYTES - 4, 1))   /* the hot path: SRAM */
            code = p->sram + pc;
        else if ((code = bss2_ppu_fetch_pointer(p, pc)))
            fetch_extra = CYC_EXTMEM_FETCH;
        else {
            w = 0;
            FAULT(BSS2_EXC_INSTRUCTION_STORAGE, pc, 0);
        }
        w = ld32(code);
        unsigned op = decode(w);
        uint32_t next = pc + 4;
        switch (op) {
        /* arithmetic */
        case OP_ADDI: g[F_RT(w)] = RA0(w) + F_SIMM(w); break;
        case OP_ADDIS: g[F_RT(w)] = RA0(w) + (F_UIMM(w) << 16); break;
        case OP_ADDIC: {
            uint32_t a = g[F_RA(w)], r = a + F_SIMM(w);
            set_carry(p, r < a);
            g[F_RT(w)] = r;
            break;
        }
        case OP_ADDIC_: {
            uint32_t a = g[F_RA(w)], r = a + F_SIMM(w);
            set_carry(p, r < a);
            g[F_RT(w)] = r;
            record(p, r);
            break;
        }
        case OP_SUBFIC: {
            uint64_t sum = (uint64_t)(~g[F_RA(w)]) + F_SIMM(w) + 1;
            set_carry(p, (uint32_t)(sum >> 32));
            g[F_RT(w)] = (uint32_t)sum;
            break;
        }
        case OP_ADD: arith(p, w, g[F_RA(w)], g[F_RB(w)], 0, 0); break;
        case OP_ADDC: arith(p, w, g[F_RA(w)], g[F_RB(w)], 0, 1); break;
        case OP_ADDE: arith(p, w, g[F_RA(w)], g[F_RB(w)], (p->xer >> 29) & 1, 1); break;
        case OP_ADDME: arith(p, w, g[F_RA(w)], 0xFFFFFFFFu, (p->xer >> 29) & 1, 1); break;
        case OP_ADDZE: arith(p, w, g[F_RA(w)], 0, (p->xer >> 29) & 1, 1); break;
        case OP_SUBF: arith(p, w, ~g[F_RA(w)], g[F_RB(w)], 1, 0); break;
        case OP_SUBFC: arith(p, w, ~g[F_RA(w)], g[F_RB(w)], 1, 1); break;
        case OP_SUBFE: arith(p, w, ~g[F_RA(w)], g[F_RB(w)], (p->xer >> 29) & 1, 1); break;
        case OP_SUBFME: arith(p, w, ~g[F_RA(w)], 0xFFFFFFFFu, (p->xer >> 29) & 1, 1); break;
        case OP_SUBFZE: arith(p, w, ~g[F_RA(w)], 0, (p->xer >> 29) & 1, 1); break;
        case OP_NEG: arith(p, w, ~g[F_RA(w)], 0, 1, 0); break;
        case OP_MULLI: g[F_RT(w)] = g[F_RA(w)] * F_SIMM(w); break;
        case OP_MULLW: {
            int64_t prod = (int64_t)(int32_t)g[F_RA(w)] * (int32_t)g[F_RB(w)];
            result_xo(p, w, (uint32_t)prod, prod != (int32_t)prod);
            break;
        }
        case OP_MULHW:
            result(p, w, F_RT(w),
                   (uint32_t)((uint64_t)((int64_t)(int32_t)g[F_RA(w)] * (int32_t)g[F_RB(w)]) >> 32));
            break;
        case OP_MULHWU:
            result(p, w, F_RT(w), (uint32_t)(((uint64_t)g[F_RA(w)] * g[F_RB(w)]) >> 32));
            break;
        case OP_DIVW: {   /* undefined cases (x/0, INT_MIN/-1) give RA, as QEMU does */
            int32_t a = (int32_t)g[F_RA(w)], b = (int32_t)g[F_RB(w)];
            int undefined = b == 0 || (a == INT32_MIN && b == -1);
            result_xo(p, w, undefined ? (uint32_t)a : (uint32_t)(a / b), undefined);
            break;
        }
        case OP_DIVWU: {
            uint32_t a = g[F_RA(w)], b = g[F_RB(w)];
            result_xo(p, w, b ? a / b : a, b == 0);
            break;
        }

        /* logical (destination RA) */
        case OP_ANDI_: g[F_RA(w)] = g[F_RT(w)] & F_UIMM(w); record(p, g[F_RA(w)]); break;
        case OP_ANDIS_: g[F_RA(w)] = g[F_RT(w)] & (F_UIMM(w) << 16); record(p, g[F_RA(w)]); break;
        case OP_ORI: g[F_RA(w)] = g[F_RT(w)] | F_UIMM(w); break;
        case OP_ORIS: g[F_RA(w)] = g[F_RT(w)] | (F_UIMM(w) << 16); break;
        case OP_XORI: g[F_RA(w)] = g[F_RT(w)] ^ F_UIMM(w); break;
        case OP_XORIS: g[F_RA(w)] = g[F_RT(w)] ^ (F_UIMM(w) << 16); break;
        case OP_AND: result(p, w, F_RA(w), g[F_RT(w)] & g[F_RB(w)]); break;
        case OP_OR: result(p, w, F_RA(w), g[F_RT(w)] | g[F_RB(w)]); break;
        case OP_XOR: result(p, w, F_RA(w), g[F_RT(w)] ^ g[F_RB(w)]); break;
        case OP_NAND: result(p, w, F_RA(w), ~(g[F_RT(w)] & g[F_RB(w)])); break;
        case OP_NOR: result(p, w, F_RA(w), ~(g[F_RT(w)] | g[F_RB(w)])); break;
        case OP_EQV: result(p, w, F_RA(w), ~(g[F_RT(w)] ^ g[F_RB(w)])); break;
        case OP_ANDC: result(p, w, F_RA(w), g[F_RT(w)] & ~g[F_RB(w)]); break;
        case OP_ORC: result(p, w, F_RA(w), g[F_RT(w)] | ~g[F_RB(w)]); break;
        case OP_EXTSB: result(p, w, F_RA(w), (uint32_t)(int32_t)(int8_t)g[F_RT(w)]); break;
        case OP_EXTSH: result(p, w, F_RA(w), (uint32_t)(int32_t)(int16_t)g[F_RT(w)]); break;
        case OP_CNTLZW: {
            uint32_t s = g[F_RT(w)];
            result(p, w, F_RA(w), s ? (uint32_t)__builtin_clz(s) : 32u);
            break;
        }

        /* rotates and shifts */
        case OP_RLWINM:
            result(p, w, F_RA(w), rotl32(g[F_RT(w)], F_RB(w)) & rotate_mask(F_MB(w), F_ME(w)));
            break;
        case OP_RLWNM:
            result(p, w, F_RA(w),
                   rotl32(g[F_RT(w)], g[F_RB(w)] & 31) & rotate_mask(F_MB(w), F_ME(w)));
            break;
        case OP_RLWIMI: {
            uint32_t mask = rotate_mask(F_MB(w), F_ME(w));
            result(p, w, F_RA(w), (rotl32(g[F_RT(w)], F_RB(w)) & mask) | (g[F_RA(w)] & ~mask));
            break;
        }
        case OP_SLW: {
            uint32_t n = g[F_RB(w)] & 0x3F;
            result(p, w, F_RA(w), n & 0x20 ? 0 : g[F_RT(w)] << n);
            break;
        }
        case OP_SRW: {
            uint32_t n = g[F_RB(w)] & 0x3F;
            result(p, w, F_RA(w), n & 0x20 ? 0 : g[F_RT(w)] >> n);
            break;
        }
        case OP_SRAW:
        case OP_SRAWI: {
            int32_t s = (int32_t)g[F_RT(w)];
            uint32_t n = op == OP_SRAWI ? F_RB(w) : g[F_RB(w)] & 0x3F;
            uint32_t r = n & 0x20 ? (uint32_t)(s >> 31) : (uint32_t)(s >> n);
            uint32_t lost = n & 0x20 ? (uint32_t)s : (uint32_t)s & ((1u << n) - 1);
            set_carry(p, s < 0 && lost != 0);
            result(p, w, F_RA(w), r);
            break;
        }

        /* compares, condition register, XER */
        case OP_CMP: set_cr_field(p, F_CRFD(w), compare_bits(p, g[F_RA(w)], g[F_RB(w)], 1)); break;
        case OP_CMPL: set_cr_field(p, F_CRFD(w), compare_bits(p, g[F_RA(w)], g[F_RB(w)], 0)); break;
        case OP_CMPI: set_cr_field(p, F_CRFD(w), compare_bits(p, g[F_RA(w)], F_SIMM(w), 1)); break;
        case OP_CMPLI: set_cr_field(p, F_CRFD(w), compare_bits(p, g[F_RA(w)], F_UIMM(w), 0)); break;
        case OP_CRAND: case OP_CROR: case OP_CRXOR: case OP_CRNAND: case OP_CRNOR:
        case OP_CREQV: case OP_CRANDC: case OP_CRORC: {
            uint32_t a = cr_bit(p, F_RA(w)), b = cr_bit(p, F_RB(w)), bit;
            switch (op) {
            case OP_CRAND: bit = a & b; break;
            case OP_CROR: bit = a | b; break;
            case OP_CRXOR: bit = a ^ b; break;
            case OP_CRNAND: bit = !(a & b); break;
            case OP_CRNOR: bit = !(a | b); break;
            case OP_CREQV: bit = !(a ^ b); break;
            case OP_CRANDC: bit = a & !b; break;
            default: bit = a | !b; break;   /* crorc */
            }
            uint32_t mask = 0x80000000u >> F_RT(w);
            p->cr = bit ? p->cr | mask : p->cr & ~mask;
            break;
        }
        case OP_MCRF: set_cr_field(p, F_CRFD(w), (p->cr >> (28 - 4 * ((w >> 18) & 7))) & 0xF); break;
        case OP_MCRXR:
            set_cr_field(p, F_CRFD(w), p->xer >> 28);
            p->xer &= 0x0FFFFFFFu;
            break;
        case OP_MFCR:
            if (!ONE_FIELD(w))
                g[F_RT(w)] = p->cr;
            else if (F_FXM(w) && !(F_FXM(w) & (F_FXM(w) - 1)))   /* mfocrf: exactly one field */
                g[F_RT(w)] = p->cr & fxm_mask(F_FXM(w));
            break;
        case OP_MTCRF:
            if (!ONE_FIELD(w) || (F_FXM(w) && !(F_FXM(w) & (F_FXM(w) - 1)))) {
                uint32_t mask = fxm_mask(F_FXM(w));
                p->cr = (p->cr & ~mask) | (g[F_RT(w)] & mask);
            }
            break;
        case OP_ISEL: g[F_RT(w)] = cr_bit(p, (w >> 6) & 31) ? RA0(w) : g[F_RB(w)]; break;

        /* branches */
        case OP_B: {
            uint32_t li = (uint32_t)((int32_t)((w & 0x03FFFFFCu) << 6) >> 6);
            if (w & 1)
                p->lr = pc + 4;
            next = (w & 2) ? li : pc + li;
            cycles += CYC_TAKEN;
            break;
        }
        case OP_BC:
            if (w & 1)
                p->lr = pc + 4;
            if (branch_taken(p, w)) {
                next = ((w & 2) ? 0 : pc) + (uint32_t)(int32_t)(int16_t)(w & 0xFFFC);
                cycles += CYC_TAKEN;
            }
            break;
        case OP_BCLR: {
            uint32_t target = p->lr & ~3u;
            if (w & 1)
                p->lr = pc + 4;
            if (branch_taken(p, w)) {
                next = target;
                cycles += CYC_TAKEN;
            }
            break;
        }
        case OP_BCCTR:
            if (!(F_RT(w) & 4))   /* decrementing CTR while branching to it: invalid form */
                ILLEGAL();
            if (w & 1)
                p->lr = pc + 4;
            if (branch_taken(p, w)) {
                next = p->ctr & ~3u;
                cycles += CYC_TAKEN;
            }
            break;

        /* loads and stores */
        case OP_LWZ: LOAD(EA_D(w), 4, ld32, 0, 1); break;
        case OP_LWZU: UPDATE_FORM_CHECK(1); LOAD(EA_DU(w), 4, ld32, 1, 1); break;
        case OP_LWZX: LOAD(EA_X(w), 4, ld32, 0, 1); break;
        case OP_LWZUX: UPDATE_FORM_CHECK(1); LOAD(EA_XU(w), 4, ld32, 1, 1); break;
        case OP_LBZ: LOAD(EA_D(w), 1, ld8, 0, 0); break;
        case OP_LBZU: UPDATE_FORM_CHECK(1); LOAD(EA_DU(w), 1, ld8, 1, 0); break;
        case OP_LBZX: LOAD(EA_X(w), 1, ld8, 0, 0); break;
        case OP_LBZUX: UPDATE_FORM_CHECK(1); LOAD(EA_XU(w), 1, ld8, 1, 0); break;
        case OP_LHZ: LOAD(EA_D(w), 2, ld16, 0, 0); break;
        case OP_LHZU: UPDATE_FORM_CHECK(1); LOAD(EA_DU(w), 2, ld16, 1, 0); break;
        case OP_LHZX: LOAD(EA_X(w), 2, ld16, 0, 0); break;
        case OP_LHZUX: UPDATE_FORM_CHECK(1); LOAD(EA_XU(w), 2, ld16, 1, 0); break;
        case OP_LHA: LOAD(EA_D(w), 2, lds16, 0, 0); break;
        case OP_LHAU: UPDATE_FORM_CHECK(1); LOAD(EA_DU(w), 2, lds16, 1, 0); break;
        case OP_LHAX: LOAD(EA_X(w), 2, lds16, 0, 0); break;
        case OP_LHAUX: UPDATE_FORM_CHECK(1); LOAD(EA_XU(w), 2, lds16, 1, 0); break;
        case OP_LWBRX: LOAD(EA_X(w), 4, ld32r, 0, 0); break;
        case OP_LHBRX: LOAD(EA_X(w), 2, ld16r, 0, 0); break;
        case OP_STW: STORE(EA_D(w), 4, st32, 0, 1); break;
        case OP_STWU: UPDATE_FORM_CHECK(0); STORE(EA_DU(w), 4, st32, 1, 1); break;
        case OP_STWX: STORE(EA_X(w), 4, st32, 0, 1); break;
        case OP_STWUX: UPDATE_FORM_CHECK(0); STORE(EA_XU(w), 4, st32, 1, 1); break;
        case OP_STB: STORE(EA_D(w), 1, st8, 0, 0); break;
        case OP_STBU: UPDATE_FORM_CHECK(0); STORE(EA_DU(w), 1, st8, 1, 0); break;
        case OP_STBX: STORE(EA_X(w), 1, st8, 0, 0); break;
        case OP_STBUX: UPDATE_FORM_CHECK(0); STORE(EA_XU(w), 1, st8, 1, 0); break;
        case OP_STH: STORE(EA_D(w), 2, st16, 0, 0); break;
        case OP_STHU: UPDATE_FORM_CHECK(0); STORE(EA_DU(w), 2, st16, 1, 0); break;
        case OP_STHX: STORE(EA_X(w), 2, st16, 0, 0); break;
        case OP_STHUX: UPDATE_FORM_CHECK(0); STORE(EA_XU(w), 2, st16, 1, 0); break;
        case OP_STWBRX: STORE(EA_X(w), 4, st32r, 0, 0); break;
        case OP_STHBRX: STORE(EA_X(w), 2, st16r, 0, 0); break;
        case OP_LMW:
        case OP_STMW: {
            uint32_t ea = EA_D(w), first = F_RT(w), count = 32 - first, store = op == OP_STMW;
            if (!store && F_RA(w) >= first)   /* RA among the loaded registers: invalid form */
                ILLEGAL();
            if (store)
                STACK_GUARD(ea);
            RESOLVE(ea, 4, store, 0, 0, 0);
            if (!(m = bss2_ppu_data_pointer(p, ea, 4 * count)))
                FAULT(BSS2_EXC_DATA_STORAGE, ea, store ? ESR_ST : 0);
            if (bss2_ppu_watched(p, ea, 4 * count, cycles))
                goto bus_stop;
            for (uint32_t r = first; r < 32; r++, m += 4) {
                if (store)
                    st32(m, g[r]);
                else
                    g[r] = ld32(m);
            }
            cycles += CYC_MULTIPLE * count;
            break;
        }
        case OP_DCBZ: {
            uint32_t ea = EA_X(w) & ~(DCACHE_LINE - 1);
            if (!(m = bss2_ppu_data_pointer(p, ea, DCACHE_LINE)))
                FAULT(BSS2_EXC_DATA_STORAGE, ea, ESR_ST);
            if (bss2_ppu_watched(p, ea, DCACHE_LINE, cycles))
                goto bus_stop;
            memset(m, 0, DCACHE_LINE);
            break;
        }
        case OP_DCBT: case OP_DCBTST: case OP_DCBST: case OP_DCBF: case OP_ICBI:
        case OP_SYNC: case OP_ISYNC: case OP_MBAR:
            break;   /* no caches to manage, accesses complete in order */

        /* special purpose registers, machine state, system */
        case OP_MFSPR:
        case OP_MFTB: {
            uint32_t number = F_SPR(w);
            int i = find_spr(number, SPR_R);
            if (i < 0 || (op == OP_MFTB && SPRS[i].kind != SPR_TB_LOW && SPRS[i].kind != SPR_TB_HIGH))
                ILLEGAL();
            if (spr_privileged(number))
                PRIVILEGED();
            advance_decrementer(p, cycles - dec_synced);
            dec_synced = cycles;
            g[F_RT(w)] = read_spr(p, i, cycles);
            break;
        }
        case OP_MTSPR: {
            uint32_t number = F_SPR(w);
            int i = find_spr(number, SPR_W);
            if (i < 0)
                ILLEGAL();
            if (spr_privileged(number))
                PRIVILEGED();
            advance_decrementer(p, cycles - dec_synced);
            uint64_t now = write_spr(p, i, g[F_RT(w)], cycles);
            stop += now - cycles;   /* a time base write moves the stop point with the clock */
            cycles = dec_synced = now;
            break;
        }
        case OP_MFMSR: PRIVILEGED(); g[F_RT(w)] = p->msr; break;
        case OP_MTMSR: PRIVILEGED(); p->msr = g[F_RT(w)]; break;
        case OP_WRTEE: PRIVILEGED(); p->msr = (p->msr & ~MSR_EE) | (g[F_RT(w)] & MSR_EE); break;
        case OP_WRTEEI: PRIVILEGED(); p->msr = (p->msr & ~MSR_EE) | (w & MSR_EE); break;
        case OP_RFI:
            PRIVILEGED();
            next = p->srr0 & ~3u;
            p->msr = p->srr1;
            cycles += CYC_TAKEN;
            break;
        case OP_RFCI:
            PRIVILEGED();
            next = p->csrr0 & ~3u;
            p->msr = p->csrr1;
            cycles += CYC_TAKEN;
            break;
        case OP_SC: FAULT(BSS2_EXC_SYSCALL, 0, 0);
        case OP_TW:
            if (trap_taken(F_RT(w), g[F_RA(w)], g[F_RB(w)]))
                FAULT(BSS2_EXC_PROGRAM, 0, ESR_PTR);
            break;
        case OP_TWI:
            if (trap_taken(F_RT(w), g[F_RA(w)], F_SIMM(w)))
                FAULT(BSS2_EXC_PROGRAM, 0, ESR_PTR);
            break;
        case OP_WAIT:
            cycles += op_cycles[op] + fetch_extra;
            pc = next;
            instret++;
            p->status = BSS2_PPU_SLEEPING;
            goto out;

        /* the vector unit */
        case OP_FXV: {
            p->pc = pc;
            p->cycles = cycles;
            uint32_t r = bss2_fxv_execute(p, w);
            cycles = p->cycles;
            if (r == BSS2_FXV_BUS)
                goto bus_stop;
            if (r != BSS2_EXC_NONE) {
                uint32_t xo = (w >> 2) & 0x1FF;
                int store = xo == 508 || xo == 252;   /* fxvstax, fxvoutx */
                uint32_t kind = r == BSS2_EXC_PROGRAM ? ESR_PIL : (store ? ESR_ST : 0);
                FAULT(r, p->last_addr, ESR_SPV | kind);  /* an unknown FXV word is illegal */
            }
            break;
        }
        default:
            ILLEGAL();
        }
        cycles += op_cycles[op] + fetch_extra;
        pc = next;
        instret++;
        continue;

    fault:
        p->last_cause = cause;
        p->last_pc = pc;
        p->last_insn = w;
        p->last_addr = fault_addr;
        if (p->exception_mode == BSS2_PPU_HALT_ON_EXCEPTION) {
            p->status = BSS2_PPU_HALTED;
            goto out;
        }
        if (cause == BSS2_EXC_SYSCALL) {
            instret++;
            p->srr0 = pc + 4;
        } else {
            p->srr0 = pc;
            p->esr = esr;
        }
        if (cause == BSS2_EXC_DATA_STORAGE || cause == BSS2_EXC_ALIGNMENT)
            p->dear = fault_addr;
        p->srr1 = p->msr;
        p->msr &= MSR_KEPT_ON_EXCEPTION;
        pc = 4 * cause;
        cycles += CYC_EXCEPTION;
        continue;

    bus_stop:
        p->status = BSS2_PPU_BUS;
        goto out;
    }
out:
    advance_decrementer(p, cycles - dec_synced);
    p->pc = pc;
    p->cycles = cycles;
    p->instret = instret;
    return p->status;
}

void bss2_ppu_watch(bss2_ppu *p, uint32_t offset, uint32_t bytes)
{
    p->watch_offset = offset;
    p->watch_bytes = bytes;
}

void bss2_ppu_complete(bss2_ppu *p)
{
    if (p->status != BSS2_PPU_BUS)
        return;
    if (p->bus_kind == BSS2_BUS_SYNC) {   /* run the instruction again, this time through */
        p->watch_pass = p->cycles + 1;
        p->bus_kind = 0;
        p->status = BSS2_PPU_RUNNING;
        return;
    }
    uint64_t before = p->cycles;
    p->cycles += fetch_cycles(p->pc);
    if (p->bus_kind == BSS2_BUS_LOAD || p->bus_kind == BSS2_BUS_STORE) {
        /* the stopped instruction is still at pc (guarded in case the host moved pc) */
        uint32_t w = fetched_word(p, p->pc);
        unsigned op = decode(w);
        if (p->bus_kind == BSS2_BUS_LOAD)
            p->gpr[p->bus_reg & 31] = p->bus_data;
        if (op == OP_LWZU || op == OP_LWZUX || op == OP_STWU || op == OP_STWUX)
            p->gpr[F_RA(w)] = OMNIBUS_WINDOW | p->bus_addr << 2;
        p->cycles += op_cycles[op] + CYC_OMNIBUS;
    } else if (p->bus_kind == BSS2_BUS_VIN) {
        bss2_fxv_complete(p);
    }
    advance_decrementer(p, p->cycles - before);
    p->pc += 4;
    p->instret++;
    p->bus_kind = 0;
    p->status = BSS2_PPU_RUNNING;
}

void bss2_ppu_bus_error(bss2_ppu *p)
{
    if (p->status != BSS2_PPU_BUS)
        return;
    uint32_t w = fetched_word(p, p->pc);
    uint32_t store = p->bus_kind == BSS2_BUS_STORE || p->bus_kind == BSS2_BUS_VOUT;
    uint32_t vector = p->bus_kind == BSS2_BUS_VIN || p->bus_kind == BSS2_BUS_VOUT;
    uint32_t addr = p->bus_kind == BSS2_BUS_LOAD || p->bus_kind == BSS2_BUS_STORE
                        ? OMNIBUS_WINDOW | p->bus_addr << 2 : p->bus_addr;
    p->bus_kind = 0;
    p->last_cause = BSS2_EXC_DATA_STORAGE;
    p->last_pc = p->pc;
    p->last_insn = w;
    p->last_addr = addr;
    if (p->exception_mode == BSS2_PPU_HALT_ON_EXCEPTION) {
        p->status = BSS2_PPU_HALTED;
        return;
    }
    p->status = BSS2_PPU_RUNNING;
    p->srr0 = p->pc;
    p->esr = (store ? ESR_ST : 0) | (vector ? ESR_SPV : 0);  /* fxvinx/fxvoutx: the FXV bit */
    p->dear = addr;
    p->srr1 = p->msr;
    p->msr &= MSR_KEPT_ON_EXCEPTION;
    p->pc = 4 * BSS2_EXC_DATA_STORAGE;
    p->cycles += CYC_EXCEPTION;
}
