/* The memory and string functions of the PPU runtime (runtime/string.c); there is no libc. */
#ifndef PPU_STRING_H
#define PPU_STRING_H

#include <stddef.h>

void *memcpy(void *destination, const void *source, size_t count);
void *memmove(void *destination, const void *source, size_t count);
void *memset(void *destination, int value, size_t count);
int memcmp(const void *a, const void *b, size_t count);
size_t strlen(const char *text);

#endif
