/* A dense switch (compiled to a jump table in .rodata) driving a small bytecode interpreter. */
#include "corpus.h"

int32_t stack[64];
int32_t outputs[32];

enum { PUSH, ADD, SUB, MUL, NEG, DUP, SWAP, DROP, SHL, SHR, AND, OR, XOR, OUT, JNZ, HALT };

static const uint8_t program[] = {
    PUSH, 10,             /* counter */
    DUP, DUP, MUL, PUSH, 3, ADD, OUT, /* out(n * n + 3) */
    DUP, PUSH, 5, SHL, PUSH, 0x55, XOR, OUT,
    DUP, NEG, PUSH, 1, SHR, PUSH, 0x7f, AND, PUSH, 0xC0, OR, OUT,
    PUSH, 1, SUB, DUP, JNZ, 2,
    DROP, PUSH, 99, OUT, HALT,
};

static int run(void)
{
    int sp = 0, pc = 0, out = 0;
    for (int steps = 0; steps < 10000; steps++) {
        uint8_t op = program[pc++];
        switch (op) {
        case PUSH: stack[sp++] = program[pc++]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { int32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; }
            break;
        case DROP: sp--; break;
        case SHL: sp--; stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] << stack[sp]); break;
        case SHR: sp--; stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> stack[sp]); break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OUT: outputs[out++ % 32] = stack[--sp]; break;
        case JNZ: { uint8_t target = program[pc++]; if (stack[--sp] != 0) pc = target; } break;
        case HALT: return out;
        default: return -1;
        }
    }
    return -2;
}

int start(void)
{
    int count = run();
    uint32_t hash = mix(MIX_START, (uint32_t)count);
    for (int i = 0; i < 32; i++)
        hash = mix(hash, (uint32_t)outputs[i]);
    return count == 31 ? (int)hash : count;
}
