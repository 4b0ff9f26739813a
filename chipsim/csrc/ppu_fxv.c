/* The FXV vector unit of the PPU: 32 vector registers of 128 bytes, the accumulator and the
 * vector condition register (VCR). One decode table indexed by the 9-bit XO names each
 * instruction's family, lane width, cycles and, for arithmetic, its per-lane function; the lane
 * loops are written once below. Semantics follow the nux golden model (vector_predictor.sv);
 * chipsim/ppu/fxv_isa.py holds the same table and docs/ppu_fxv.md the decisions.
 *
 * Representation: element 0 is at byte 0 (lowest address), lanes are big-endian. The
 * accumulator is 256 raw bytes: byte lane i is the 16-bit big-endian value at acc[2i],
 * halfword lane i the 32-bit value at acc[4i]. vcr[k] holds byte k's flags (GT, LT, EQ bits).
 * Every write is predicated per byte: VRT byte k and accumulator bytes 2k, 2k+1 are enabled by
 * the flags of byte k. */
#include <string.h>
#include "ppu.h"

/* VCR flag bits of one byte lane: bit (C - 1) is the flag predicate C tests */
enum { VCR_GT = 1, VCR_LT = 2, VCR_EQ = 4 };

/* instruction families (same numbers as fxv_isa.Kind) */
enum {
    K_NONE, K_LANE_TO_VRT, K_LANE_TO_ACC, K_COMPARE, K_SPLAT, K_SHIFT, K_SELECT, K_PACK_UPPER,
    K_PACK_LOWER, K_UNPACK_LEFT, K_UNPACK_RIGHT, K_LOAD, K_STORE, K_INPUT, K_OUTPUT
};

/* issue cycles (fxv_isa.CYCLES_*) */
enum { CY_SIMPLE = 1, CY_MULTIPLY = 4, CY_MEMORY = 8, CY_IO = 2 };

#define SLICE_BYTES 16
#define MEMORY_ALIGN 16

/* One lane's result from sign-extended operands a, b (n bits) and accumulator acc (2n bits). */
typedef int64_t (*lane_fn)(int64_t a, int64_t b, int64_t acc, int n);

typedef struct {
    uint8_t kind;
    uint8_t lane_bits;
    uint8_t cycles;
    lane_fn fn;
} fxv_op;

/* ---- fixed-point primitives (fxv.tex, arithmetic_pkg.sv) ---- */

static int64_t sat(int64_t x, int bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1;
    return x > hi ? hi : (x < -hi - 1 ? -hi - 1 : x);
}

/* 2n-bit product shifted left by one; only (-1)*(-1) saturates */
static int64_t mult_sat_fract(int64_t a, int64_t b, int n)
{
    int64_t minus_one = -((int64_t)1 << (n - 1));
    if (a == minus_one && b == minus_one)
        return ((int64_t)1 << (2 * n - 1)) - 1;
    return a * b * 2;
}

/* left-align an n-bit value in 2n bits (multiplication: left shifts of negatives are UB) */
static int64_t left_align(int64_t a, int n) { return a * ((int64_t)1 << n); }

/* "high half": bits [2n-1:n] of a 2n-bit result (arithmetic shift, truncation) */
static int64_t high(int64_t x, int n) { return x >> n; }

/* ---- lane functions ---- */

static int64_t mul_add(int64_t a, int64_t b, int64_t acc, int n) { return a * b + acc; }
static int64_t mul(int64_t a, int64_t b, int64_t acc, int n) { return a * b; }
static int64_t add(int64_t a, int64_t b, int64_t acc, int n) { return a + b; }
static int64_t sub(int64_t a, int64_t b, int64_t acc, int n) { return a - b; }
static int64_t add_acc(int64_t a, int64_t b, int64_t acc, int n) { return a + acc; }
static int64_t move(int64_t a, int64_t b, int64_t acc, int n) { return a; }
static int64_t move_fract(int64_t a, int64_t b, int64_t acc, int n) { return left_align(a, n); }
static int64_t add_sat(int64_t a, int64_t b, int64_t acc, int n) { return sat(a + b, n); }
static int64_t sub_sat(int64_t a, int64_t b, int64_t acc, int n) { return sat(a - b, n); }
static int64_t mul_fs(int64_t a, int64_t b, int64_t acc, int n) { return mult_sat_fract(a, b, n); }

static int64_t mul_fs_high(int64_t a, int64_t b, int64_t acc, int n)
{
    return high(mult_sat_fract(a, b, n), n);
}

static int64_t mul_add_fs(int64_t a, int64_t b, int64_t acc, int n)
{
    return sat(mult_sat_fract(a, b, n) + acc, 2 * n);
}

static int64_t mul_add_fs_high(int64_t a, int64_t b, int64_t acc, int n)
{
    return high(mul_add_fs(a, b, acc, n), n);
}

static int64_t add_acc_fract(int64_t a, int64_t b, int64_t acc, int n)
{
    return sat(left_align(a, n) + acc, 2 * n);
}

static int64_t add_acc_fract_high(int64_t a, int64_t b, int64_t acc, int n)
{
    return high(add_acc_fract(a, b, acc, n), n);
}

/* ---- the decode table, indexed by XO; both lane widths of an operation share a line ---- */

#define PAIR(xo, kind, cycles, fn) \
    [xo] = {kind, 16, cycles, fn}, [(xo) + 1] = {kind, 8, cycles, fn}

static const fxv_op OPS[512] = {
    PAIR(12, K_LANE_TO_VRT, CY_MULTIPLY, mul_add),           /* fxvmahm, fxvmabm */
    [14] = {K_LANE_TO_ACC, 8, CY_SIMPLE, move},              /* fxvmtacb */
    [15] = {K_LANE_TO_ACC, 16, CY_SIMPLE, move},             /* fxvmtach */
    PAIR(28, K_LANE_TO_VRT, CY_MULTIPLY, mul_add_fs_high),   /* fxvmahfs, fxvmabfs */
    [30] = {K_LANE_TO_ACC, 8, CY_SIMPLE, move_fract},        /* fxvmtacbf */
    [31] = {K_LANE_TO_ACC, 16, CY_SIMPLE, move_fract},       /* fxvmtachf */
    PAIR(44, K_LANE_TO_ACC, CY_MULTIPLY, mul_add),           /* fxvmatachm, fxvmatacbm */
    PAIR(60, K_LANE_TO_ACC, CY_MULTIPLY, mul_add_fs),        /* fxvmatachfs, fxvmatacbfs */
    PAIR(76, K_LANE_TO_VRT, CY_MULTIPLY, mul),               /* fxvmulhm, fxvmulbm */
    PAIR(92, K_LANE_TO_VRT, CY_MULTIPLY, mul_fs_high),       /* fxvmulhfs, fxvmulbfs */
    PAIR(108, K_LANE_TO_ACC, CY_MULTIPLY, mul),              /* fxvmultachm, fxvmultacbm */
    PAIR(124, K_LANE_TO_ACC, CY_MULTIPLY, mul_fs),           /* fxvmultachfs, fxvmultacbfs */
    [236] = {K_INPUT, 8, CY_IO, 0},                          /* fxvinx */
    [239] = {K_PACK_UPPER, 8, CY_SIMPLE, 0},                 /* fxvpckbu */
    [252] = {K_OUTPUT, 8, CY_IO, 0},                         /* fxvoutx */
    [255] = {K_PACK_LOWER, 8, CY_SIMPLE, 0},                 /* fxvpckbl */
    PAIR(268, K_SPLAT, CY_SIMPLE, 0),                        /* fxvsplath, fxvsplatb */
    [271] = {K_UNPACK_RIGHT, 8, CY_SIMPLE, 0},               /* fxvupckbr */
    [287] = {K_UNPACK_LEFT, 8, CY_SIMPLE, 0},                /* fxvupckbl */
    PAIR(300, K_COMPARE, CY_SIMPLE, 0),                      /* fxvcmph, fxvcmpb */
    PAIR(316, K_SHIFT, CY_SIMPLE, 0),                        /* fxvshh, fxvshb */
    [319] = {K_SELECT, 8, CY_SIMPLE, 0},                     /* fxvsel */
    PAIR(332, K_LANE_TO_VRT, CY_SIMPLE, sub),                /* fxvsubhm, fxvsubbm */
    PAIR(348, K_LANE_TO_VRT, CY_SIMPLE, sub_sat),            /* fxvsubhfs, fxvsubbfs */
    PAIR(364, K_LANE_TO_ACC, CY_SIMPLE, add_acc),            /* fxvaddactachm, fxvaddactacbm */
    PAIR(380, K_LANE_TO_ACC, CY_SIMPLE, add_acc_fract),      /* fxvaddactachf, fxvaddactacbf */
    PAIR(396, K_LANE_TO_VRT, CY_SIMPLE, add_acc),            /* fxvaddachm, fxvaddacbm */
    PAIR(412, K_LANE_TO_VRT, CY_SIMPLE, add_acc_fract_high), /* fxvaddachfs, fxvaddacbfs */
    PAIR(428, K_LANE_TO_ACC, CY_SIMPLE, add),                /* fxvaddtach, fxvaddtacb */
    PAIR(460, K_LANE_TO_VRT, CY_SIMPLE, add),                /* fxvaddhm, fxvaddbm */
    PAIR(476, K_LANE_TO_VRT, CY_SIMPLE, add_sat),            /* fxvaddhfs, fxvaddbfs */
    [492] = {K_LOAD, 8, CY_MEMORY, 0},                       /* fxvlax */
    [508] = {K_STORE, 8, CY_MEMORY, 0},                      /* fxvstax */
};

/* ---- instruction fields and lane access ---- */

typedef struct {
    uint32_t vrt, vra, vrb, xo, c;
} fxv_fields;

static fxv_fields decode(uint32_t insn)
{
    fxv_fields f = {(insn >> 21) & 31, (insn >> 16) & 31, (insn >> 11) & 31, (insn >> 2) & 0x1FF,
                    insn & 3};
    return f;
}

/* signed big-endian value of `bytes` bytes at p */
static int64_t load_signed(const uint8_t *p, int bytes)
{
    uint64_t u = 0;
    for (int k = 0; k < bytes; k++)
        u = (u << 8) | p[k];
    uint64_t sign = (uint64_t)1 << (8 * bytes - 1);
    return (int64_t)(u ^ sign) - (int64_t)sign;
}

/* store the low `bytes` bytes of x big-endian at p, byte k only when enable[k] */
static void store_masked(uint8_t *p, int bytes, int64_t x, const uint8_t *enable)
{
    uint64_t u = (uint64_t)x;
    for (int k = bytes - 1; k >= 0; k--, u >>= 8)
        if (enable[k])
            p[k] = (uint8_t)u;
}

/* per-byte enables from the C field and the VCR: C = 0 always, else flag bit C - 1 */
static void byte_enables(const bss2_ppu *p, uint32_t c, uint8_t *enable)
{
    for (int k = 0; k < BSS2_PPU_VBYTES; k++)
        enable[k] = c == 0 || (p->vcr[k] >> (c - 1)) & 1;
}

static uint32_t effective_address(const bss2_ppu *p, const fxv_fields *f)
{
    return (f->vra ? p->gpr[f->vra] : 0) + p->gpr[f->vrb];
}

/* ---- families ---- */

static void lane_arithmetic(bss2_ppu *p, const fxv_op *op, const fxv_fields *f)
{
    int n = op->lane_bits, lane = n / 8, lanes = BSS2_PPU_VBYTES / lane;
    int to_acc = op->kind == K_LANE_TO_ACC;
    uint8_t enable[BSS2_PPU_VBYTES], acc_enable[2 * BSS2_PPU_VBYTES];
    byte_enables(p, f->c, enable);
    for (int k = 0; k < 2 * BSS2_PPU_VBYTES; k++)
        acc_enable[k] = enable[k / 2];
    for (int i = 0; i < lanes; i++) {
        int64_t a = load_signed(&p->vr[f->vra][i * lane], lane);
        int64_t b = load_signed(&p->vr[f->vrb][i * lane], lane);
        int64_t acc = load_signed(&p->acc[2 * i * lane], 2 * lane);
        int64_t y = op->fn(a, b, acc, n);
        if (to_acc)
            store_masked(&p->acc[2 * i * lane], 2 * lane, y, &acc_enable[2 * i * lane]);
        else
            store_masked(&p->vr[f->vrt][i * lane], lane, y, &enable[i * lane]);
    }
}

static void compare(bss2_ppu *p, int lane, const fxv_fields *f)
{
    for (int i = 0; i < BSS2_PPU_VBYTES; i += lane) {
        int64_t x = load_signed(&p->vr[f->vra][i], lane);
        uint8_t flags = x > 0 ? VCR_GT : (x < 0 ? VCR_LT : VCR_EQ);
        memset(&p->vcr[i], flags, lane);
    }
}

static void splat(bss2_ppu *p, int lane, const fxv_fields *f)
{
    uint32_t value = p->gpr[f->vra];
    for (int i = 0; i < BSS2_PPU_VBYTES; i++)
        p->vr[f->vrt][i] = (uint8_t)(value >> (8 * (lane - 1 - i % lane)));
}

/* logical shift of each lane by the signed 5-bit VRB field: left if positive, zero fill */
static void shift(bss2_ppu *p, int lane, const fxv_fields *f)
{
    int s = (int)f->vrb - ((f->vrb & 16) ? 32 : 0);
    uint32_t mask = lane == 2 ? 0xFFFF : 0xFF;
    for (int i = 0; i < BSS2_PPU_VBYTES; i += lane) {
        uint32_t u = (uint32_t)load_signed(&p->vr[f->vra][i], lane) & mask;
        u = s >= 0 ? u << s : u >> -s;
        p->vr[f->vrt][i] = (uint8_t)(lane == 2 ? u >> 8 : u);
        if (lane == 2)
            p->vr[f->vrt][i + 1] = (uint8_t)u;
    }
}

static void select_bytes(bss2_ppu *p, const fxv_fields *f)
{
    uint8_t enable[BSS2_PPU_VBYTES];
    byte_enables(p, f->c, enable);
    for (int k = 0; k < BSS2_PPU_VBYTES; k++)
        p->vr[f->vrt][k] = enable[k] ? p->vr[f->vrb][k] : p->vr[f->vra][k];
}

/* Pack, per 16-byte slice: bytes 0-7 from VRA's 8 halfwords, 8-15 from VRB's; each byte is an
 * (8 - C)-bit field of the halfword: bits 15-C..8+C (upper) or 7+C..2C (lower). */
static void pack(bss2_ppu *p, int upper, const fxv_fields *f)
{
    uint8_t out[BSS2_PPU_VBYTES];
    int s = upper ? 8 + (int)f->c : 2 * (int)f->c;
    uint32_t m = 0xFFu >> f->c;
    for (int slice = 0; slice < BSS2_PPU_VBYTES; slice += SLICE_BYTES)
        for (int i = 0; i < SLICE_BYTES / 2; i++) {
            const uint8_t *a = &p->vr[f->vra][slice + 2 * i], *b = &p->vr[f->vrb][slice + 2 * i];
            out[slice + i] = (uint8_t)((((uint32_t)a[0] << 8 | a[1]) >> s) & m);
            out[slice + SLICE_BYTES / 2 + i] = (uint8_t)((((uint32_t)b[0] << 8 | b[1]) >> s) & m);
        }
    memcpy(p->vr[f->vrt], out, sizeof out);
}

/* Unpack (inverse of pack), per slice: halfword i joins the (8 - C)-bit fields of VRA and VRB
 * byte i of the slice's left (bytes 0-7) or right (bytes 8-15) half. */
static void unpack(bss2_ppu *p, int right, const fxv_fields *f)
{
    uint8_t out[BSS2_PPU_VBYTES];
    uint32_t m = 0xFFu >> f->c;
    for (int slice = 0; slice < BSS2_PPU_VBYTES; slice += SLICE_BYTES)
        for (int i = 0; i < SLICE_BYTES / 2; i++) {
            int src = slice + (right ? SLICE_BYTES / 2 : 0) + i;
            uint32_t h = ((p->vr[f->vra][src] & m) << (8 + f->c))
                         | ((p->vr[f->vrb][src] & m) << (2 * f->c));
            out[slice + 2 * i] = (uint8_t)(h >> 8);
            out[slice + 2 * i + 1] = (uint8_t)h;
        }
    memcpy(p->vr[f->vrt], out, sizeof out);
}

static uint32_t memory(bss2_ppu *p, int store, const fxv_fields *f)
{
    uint32_t addr = effective_address(p, f);
    uint8_t *mem = addr % MEMORY_ALIGN ? 0 : bss2_ppu_data_pointer(p, addr, BSS2_PPU_VBYTES);
    if (!mem) {
        p->last_addr = addr;
        return addr % MEMORY_ALIGN ? BSS2_EXC_ALIGNMENT : BSS2_EXC_DATA_STORAGE;
    }
    if (bss2_ppu_watched(p, addr, BSS2_PPU_VBYTES, p->cycles))
        return BSS2_FXV_BUS;
    if (store)
        memcpy(mem, p->vr[f->vrt], BSS2_PPU_VBYTES);
    else
        memcpy(p->vr[f->vrt], mem, BSS2_PPU_VBYTES);
    return BSS2_EXC_NONE;
}

static void parallel_io(bss2_ppu *p, int output, const fxv_fields *f)
{
    p->bus_kind = output ? BSS2_BUS_VOUT : BSS2_BUS_VIN;
    p->bus_addr = effective_address(p, f);
    p->bus_reg = f->vrt;
    byte_enables(p, f->c, p->bus_mask);
    if (output)
        memcpy(p->bus_vector, p->vr[f->vrt], BSS2_PPU_VBYTES);
}

/* ---- entry points ---- */

uint32_t bss2_fxv_execute(bss2_ppu *p, uint32_t insn)
{
    fxv_fields f = decode(insn);
    const fxv_op *op = &OPS[f.xo];
    uint32_t result = BSS2_EXC_NONE;
    int lane = op->lane_bits / 8;
    switch (op->kind) {
    case K_LANE_TO_VRT:
    case K_LANE_TO_ACC: lane_arithmetic(p, op, &f); break;
    case K_COMPARE: compare(p, lane, &f); break;
    case K_SPLAT: splat(p, lane, &f); break;
    case K_SHIFT: shift(p, lane, &f); break;
    case K_SELECT: select_bytes(p, &f); break;
    case K_PACK_UPPER:
    case K_PACK_LOWER: pack(p, op->kind == K_PACK_UPPER, &f); break;
    case K_UNPACK_LEFT:
    case K_UNPACK_RIGHT: unpack(p, op->kind == K_UNPACK_RIGHT, &f); break;
    case K_LOAD:
    case K_STORE: result = memory(p, op->kind == K_STORE, &f); break;
    case K_INPUT:
    case K_OUTPUT: parallel_io(p, op->kind == K_OUTPUT, &f); result = BSS2_FXV_BUS; break;
    default: return BSS2_EXC_PROGRAM;
    }
    if (result == BSS2_EXC_NONE || (result == BSS2_FXV_BUS && p->bus_kind != BSS2_BUS_SYNC))
        p->cycles += op->cycles;
    return result;
}

void bss2_fxv_complete(bss2_ppu *p)
{
    if (p->bus_kind != BSS2_BUS_VIN || p->bus_reg >= BSS2_PPU_VREGS)
        return;
    for (int k = 0; k < BSS2_PPU_VBYTES; k++)
        if (p->bus_mask[k])
            p->vr[p->bus_reg][k] = p->bus_vector[k];
}
