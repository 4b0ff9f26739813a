/* The scalar Power ISA instruction table of the PPU core (Nux: 32-bit Book E integer subset).
 * One row per instruction: enum name, mnemonic, primary opcode, extended opcode (-1 for none),
 * decode flags and base cycles. The decoder tables, the cycle table and the mnemonic list are all
 * generated from this list, so they cannot disagree; ppu_core.c holds the semantics. */
#ifndef BSS2_PPU_ISA_H
#define BSS2_PPU_ISA_H

/* decode flags */
#define ISA_RC 1    /* bit 31 is Rc: a record form exists (extended opcodes: else Rc = 1 is illegal) */
#define ISA_OE 2    /* XO form: the OE bit (bit 21) is part of the word, both values decode */
#define ISA_A5 4    /* A form (isel): only the low 5 bits of the extended opcode are fixed */
#define ISA_LK 8    /* bit 31 is LK: a linking form exists */

/* cycle costs shared by the table and the semantics (see docs/ppu_isa.md) */
#define CYC_SIMPLE 1
#define CYC_LOAD 2
#define CYC_STORE 1
#define CYC_MUL 4
#define CYC_DIV 31
#define CYC_TAKEN 1        /* extra cycles of a taken branch (pipeline refill) */
#define CYC_MULTIPLE 1     /* lmw/stmw: per register, on top of the base cost */
#define CYC_OMNIBUS 8      /* extra cycles of a scalar access through the omnibus window */
#define CYC_EXCEPTION 3    /* entering an exception vector */
#define CYC_EXTMEM_FETCH 4 /* extra cycles of an instruction fetched from the FPGA extmem */

/* X(name, mnemonic, primary, extended, flags, cycles) */
#define BSS2_PPU_INSNS(X) \
    X(TWI,     "twi",     3, -1, 0, CYC_SIMPLE) \
    X(FXV,     "fxv",     4, -1, 0, 0) \
    X(MULLI,   "mulli",   7, -1, 0, CYC_MUL) \
    X(SUBFIC,  "subfic",  8, -1, 0, CYC_SIMPLE) \
    X(CMPLI,   "cmpli",  10, -1, 0, CYC_SIMPLE) \
    X(CMPI,    "cmpi",   11, -1, 0, CYC_SIMPLE) \
    X(ADDIC,   "addic",  12, -1, 0, CYC_SIMPLE) \
    X(ADDIC_,  "addic.", 13, -1, 0, CYC_SIMPLE) \
    X(ADDI,    "addi",   14, -1, 0, CYC_SIMPLE) \
    X(ADDIS,   "addis",  15, -1, 0, CYC_SIMPLE) \
    X(BC,      "bc",     16, -1, ISA_LK, CYC_SIMPLE) \
    X(SC,      "sc",     17, -1, 0, CYC_SIMPLE) \
    X(B,       "b",      18, -1, ISA_LK, CYC_SIMPLE) \
    X(RLWIMI,  "rlwimi", 20, -1, ISA_RC, CYC_SIMPLE) \
    X(RLWINM,  "rlwinm", 21, -1, ISA_RC, CYC_SIMPLE) \
    X(RLWNM,   "rlwnm",  23, -1, ISA_RC, CYC_SIMPLE) \
    X(ORI,     "ori",    24, -1, 0, CYC_SIMPLE) \
    X(ORIS,    "oris",   25, -1, 0, CYC_SIMPLE) \
    X(XORI,    "xori",   26, -1, 0, CYC_SIMPLE) \
    X(XORIS,   "xoris",  27, -1, 0, CYC_SIMPLE) \
    X(ANDI_,   "andi.",  28, -1, 0, CYC_SIMPLE) \
    X(ANDIS_,  "andis.", 29, -1, 0, CYC_SIMPLE) \
    X(LWZ,     "lwz",    32, -1, 0, CYC_LOAD) \
    X(LWZU,    "lwzu",   33, -1, 0, CYC_LOAD) \
    X(LBZ,     "lbz",    34, -1, 0, CYC_LOAD) \
    X(LBZU,    "lbzu",   35, -1, 0, CYC_LOAD) \
    X(STW,     "stw",    36, -1, 0, CYC_STORE) \
    X(STWU,    "stwu",   37, -1, 0, CYC_STORE) \
    X(STB,     "stb",    38, -1, 0, CYC_STORE) \
    X(STBU,    "stbu",   39, -1, 0, CYC_STORE) \
    X(LHZ,     "lhz",    40, -1, 0, CYC_LOAD) \
    X(LHZU,    "lhzu",   41, -1, 0, CYC_LOAD) \
    X(LHA,     "lha",    42, -1, 0, CYC_LOAD) \
    X(LHAU,    "lhau",   43, -1, 0, CYC_LOAD) \
    X(STH,     "sth",    44, -1, 0, CYC_STORE) \
    X(STHU,    "sthu",   45, -1, 0, CYC_STORE) \
    X(LMW,     "lmw",    46, -1, 0, CYC_LOAD) \
    X(STMW,    "stmw",   47, -1, 0, CYC_STORE) \
    /* primary 19: branch to LR/CTR, CR logic, synchronisation */ \
    X(MCRF,    "mcrf",   19,   0, 0, CYC_SIMPLE) \
    X(BCLR,    "bclr",   19,  16, ISA_LK, CYC_SIMPLE) \
    X(CRNOR,   "crnor",  19,  33, 0, CYC_SIMPLE) \
    X(RFI,     "rfi",    19,  50, 0, CYC_SIMPLE) \
    X(RFCI,    "rfci",   19,  51, 0, CYC_SIMPLE) \
    X(CRANDC,  "crandc", 19, 129, 0, CYC_SIMPLE) \
    X(ISYNC,   "isync",  19, 150, 0, CYC_SIMPLE) \
    X(CRXOR,   "crxor",  19, 193, 0, CYC_SIMPLE) \
    X(CRNAND,  "crnand", 19, 225, 0, CYC_SIMPLE) \
    X(CRAND,   "crand",  19, 257, 0, CYC_SIMPLE) \
    X(CREQV,   "creqv",  19, 289, 0, CYC_SIMPLE) \
    X(CRORC,   "crorc",  19, 417, 0, CYC_SIMPLE) \
    X(CROR,    "cror",   19, 449, 0, CYC_SIMPLE) \
    X(BCCTR,   "bcctr",  19, 528, ISA_LK, CYC_SIMPLE) \
    /* primary 31: register forms */ \
    X(CMP,     "cmp",    31,   0, 0, CYC_SIMPLE) \
    X(TW,      "tw",     31,   4, 0, CYC_SIMPLE) \
    X(SUBFC,   "subfc",  31,   8, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(ADDC,    "addc",   31,  10, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(MULHWU,  "mulhwu", 31,  11, ISA_RC, CYC_MUL) \
    X(ISEL,    "isel",   31,  15, ISA_A5, CYC_SIMPLE) \
    X(MFCR,    "mfcr",   31,  19, 0, CYC_SIMPLE) \
    X(LWZX,    "lwzx",   31,  23, 0, CYC_LOAD) \
    X(SLW,     "slw",    31,  24, ISA_RC, CYC_SIMPLE) \
    X(CNTLZW,  "cntlzw", 31,  26, ISA_RC, CYC_SIMPLE) \
    X(AND,     "and",    31,  28, ISA_RC, CYC_SIMPLE) \
    X(CMPL,    "cmpl",   31,  32, 0, CYC_SIMPLE) \
    X(SUBF,    "subf",   31,  40, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(DCBST,   "dcbst",  31,  54, 0, CYC_SIMPLE) \
    X(LWZUX,   "lwzux",  31,  55, 0, CYC_LOAD) \
    X(ANDC,    "andc",   31,  60, ISA_RC, CYC_SIMPLE) \
    X(WAIT,    "wait",   31,  62, 0, CYC_SIMPLE) \
    X(MULHW,   "mulhw",  31,  75, ISA_RC, CYC_MUL) \
    X(MFMSR,   "mfmsr",  31,  83, 0, CYC_SIMPLE) \
    X(DCBF,    "dcbf",   31,  86, 0, CYC_SIMPLE) \
    X(LBZX,    "lbzx",   31,  87, 0, CYC_LOAD) \
    X(NEG,     "neg",    31, 104, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(LBZUX,   "lbzux",  31, 119, 0, CYC_LOAD) \
    X(NOR,     "nor",    31, 124, ISA_RC, CYC_SIMPLE) \
    X(WRTEE,   "wrtee",  31, 131, 0, CYC_SIMPLE) \
    X(SUBFE,   "subfe",  31, 136, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(ADDE,    "adde",   31, 138, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(MTCRF,   "mtcrf",  31, 144, 0, CYC_SIMPLE) \
    X(MTMSR,   "mtmsr",  31, 146, 0, CYC_SIMPLE) \
    X(STWX,    "stwx",   31, 151, 0, CYC_STORE) \
    X(WRTEEI,  "wrteei", 31, 163, 0, CYC_SIMPLE) \
    X(STWUX,   "stwux",  31, 183, 0, CYC_STORE) \
    X(SUBFZE,  "subfze", 31, 200, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(ADDZE,   "addze",  31, 202, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(STBX,    "stbx",   31, 215, 0, CYC_STORE) \
    X(SUBFME,  "subfme", 31, 232, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(ADDME,   "addme",  31, 234, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(MULLW,   "mullw",  31, 235, ISA_RC | ISA_OE, CYC_MUL) \
    X(DCBTST,  "dcbtst", 31, 246, 0, CYC_SIMPLE) \
    X(STBUX,   "stbux",  31, 247, 0, CYC_STORE) \
    X(ADD,     "add",    31, 266, ISA_RC | ISA_OE, CYC_SIMPLE) \
    X(DCBT,    "dcbt",   31, 278, 0, CYC_SIMPLE) \
    X(LHZX,    "lhzx",   31, 279, 0, CYC_LOAD) \
    X(EQV,     "eqv",    31, 284, ISA_RC, CYC_SIMPLE) \
    X(LHZUX,   "lhzux",  31, 311, 0, CYC_LOAD) \
    X(XOR,     "xor",    31, 316, ISA_RC, CYC_SIMPLE) \
    X(MFSPR,   "mfspr",  31, 339, 0, CYC_SIMPLE) \
    X(LHAX,    "lhax",   31, 343, 0, CYC_LOAD) \
    X(MFTB,    "mftb",   31, 371, 0, CYC_SIMPLE) \
    X(LHAUX,   "lhaux",  31, 375, 0, CYC_LOAD) \
    X(STHX,    "sthx",   31, 407, 0, CYC_STORE) \
    X(ORC,     "orc",    31, 412, ISA_RC, CYC_SIMPLE) \
    X(STHUX,   "sthux",  31, 439, 0, CYC_STORE) \
    X(OR,      "or",     31, 444, ISA_RC, CYC_SIMPLE) \
    X(DIVWU,   "divwu",  31, 459, ISA_RC | ISA_OE, CYC_DIV) \
    X(MTSPR,   "mtspr",  31, 467, 0, CYC_SIMPLE) \
    X(NAND,    "nand",   31, 476, ISA_RC, CYC_SIMPLE) \
    X(DIVW,    "divw",   31, 491, ISA_RC | ISA_OE, CYC_DIV) \
    X(MCRXR,   "mcrxr",  31, 512, 0, CYC_SIMPLE) \
    X(LWBRX,   "lwbrx",  31, 534, 0, CYC_LOAD) \
    X(SRW,     "srw",    31, 536, ISA_RC, CYC_SIMPLE) \
    X(SYNC,    "sync",   31, 598, 0, CYC_SIMPLE) \
    X(STWBRX,  "stwbrx", 31, 662, 0, CYC_STORE) \
    X(LHBRX,   "lhbrx",  31, 790, 0, CYC_LOAD) \
    X(SRAW,    "sraw",   31, 792, ISA_RC, CYC_SIMPLE) \
    X(SRAWI,   "srawi",  31, 824, ISA_RC, CYC_SIMPLE) \
    X(MBAR,    "mbar",   31, 854, 0, CYC_SIMPLE) \
    X(STHBRX,  "sthbrx", 31, 918, 0, CYC_STORE) \
    X(EXTSH,   "extsh",  31, 922, ISA_RC, CYC_SIMPLE) \
    X(EXTSB,   "extsb",  31, 954, ISA_RC, CYC_SIMPLE) \
    X(ICBI,    "icbi",   31, 982, 0, CYC_SIMPLE) \
    X(DCBZ,    "dcbz",   31, 1014, 0, CYC_STORE)

/* operation ids: 0 is the illegal instruction, then one per table row */
#define ISA_ENUM(name, mn, prim, xo, flags, cyc) OP_##name,
enum { OP_ILLEGAL, BSS2_PPU_INSNS(ISA_ENUM) OP_COUNT };
#undef ISA_ENUM

#endif
