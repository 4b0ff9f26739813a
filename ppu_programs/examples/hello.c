/* The smallest PPU program: a greeting and a number in the mailbox text, exit code 0. */
#include "ppu.h"

int start(void)
{
    mailbox_write_string("hello from the PPU ");
    mailbox_write_int(42);
    mailbox_write_string("\n");
    return 0;
}
