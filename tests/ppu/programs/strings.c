/* Memory and string functions at every alignment: memcpy, memmove (both overlap directions),
 * memset, memcmp, strlen; the PPU raises alignment exceptions, so the runtime's versions must
 * only touch aligned words. */
#include <string.h>

#include "corpus.h"

char buffer[256];
char copy[256];

int start(void)
{
    static const char text[] = "The quick brown fox jumps over the lazy dog; 0123456789!";
    uint32_t hash = MIX_START;
    for (int offset = 0; offset < 4; offset++) {
        for (int target = 0; target < 4; target++) {
            memset(buffer, 'x', sizeof buffer);
            memcpy(buffer + offset, text, sizeof text);
            memset(copy, 0, sizeof copy);
            memcpy(copy + target, buffer + offset, strlen(buffer + offset) + 1);
            hash = mix(hash, (uint32_t)strlen(copy + target));
            hash = mix(hash, (uint32_t)(memcmp(copy + target, text, sizeof text) == 0));
        }
    }
    memcpy(buffer, text, sizeof text);
    memmove(buffer + 3, buffer, 40);  /* overlap, destination above */
    memmove(buffer + 50, buffer + 53, 20); /* overlap, destination below */
    memset(buffer + 101, 0x5a, 77);
    buffer[200] = '\0';
    for (int i = 0; i < 200; i++)
        hash = mix(hash, (unsigned char)buffer[i]);
    hash = mix(hash, (uint32_t)(memcmp("abc", "abd", 3) < 0));
    hash = mix(hash, (uint32_t)(memcmp("abd", "abc", 3) > 0));
    hash = mix(hash, (uint32_t)strlen(""));
    return (int)hash;
}
