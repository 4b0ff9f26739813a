/* Text output to the mailbox (layout in include/mailbox.h): characters are appended after the
 * ones already there and the length word is updated after every string, so the host sees
 * complete messages only. */
#include "mailbox.h"

static volatile char *const text_area = (volatile char *)(MAILBOX_BASE + MAILBOX_TEXT);

uint32_t mailbox_write_string(const char *text)
{
    uint32_t length = MAILBOX_WORD(MAILBOX_TEXT_LENGTH);
    uint32_t written = 0;
    while (text[written] != '\0' && length + written < MAILBOX_TEXT_SIZE) {
        text_area[length + written] = text[written];
        written++;
    }
    MAILBOX_WORD(MAILBOX_TEXT_LENGTH) = length + written;
    return written;
}

uint32_t mailbox_write_int(int32_t value)
{
    char digits[12];
    char *cursor = digits + sizeof digits - 1;
    /* work on the magnitude as unsigned so INT32_MIN needs no special case */
    uint32_t magnitude = value < 0 ? 0u - (uint32_t)value : (uint32_t)value;
    *cursor = '\0';
    do {
        *--cursor = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (value < 0)
        *--cursor = '-';
    return mailbox_write_string(cursor);
}

uint32_t mailbox_write_hex(uint32_t value)
{
    static const char hex_digits[] = "0123456789abcdef";
    char text[11];
    text[0] = '0';
    text[1] = 'x';
    for (int i = 0; i < 8; i++)
        text[2 + i] = hex_digits[(value >> (28 - 4 * i)) & 0xf];
    text[10] = '\0';
    return mailbox_write_string(text);
}
