/* Deep and branching recursion: Ackermann, naive Fibonacci, towers of Hanoi (the moves are
 * recorded in memory). */
#include "corpus.h"

uint8_t moves[1023][2];
static int move_count;

static uint32_t ackermann(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static uint32_t fibonacci(uint32_t n)
{
    return n < 2 ? n : fibonacci(n - 1) + fibonacci(n - 2);
}

static void hanoi(int disks, uint8_t from, uint8_t to, uint8_t via)
{
    if (disks == 0)
        return;
    hanoi(disks - 1, from, via, to);
    moves[move_count][0] = from;
    moves[move_count][1] = to;
    move_count++;
    hanoi(disks - 1, via, to, from);
}

int start(void)
{
    uint32_t hash = MIX_START;
    hash = mix(hash, ackermann(2, 3));
    hash = mix(hash, ackermann(3, 3));
    hash = mix(hash, fibonacci(18));
    hanoi(10, 0, 2, 1);
    hash = mix(hash, (uint32_t)move_count);
    for (int i = 0; i < move_count; i++)
        hash = mix(hash, (uint32_t)moves[i][0] << 8 | moves[i][1]);
    if (ackermann(2, 3) != 9 || fibonacci(18) != 2584 || move_count != 1023)
        return 1;
    return (int)hash;
}
