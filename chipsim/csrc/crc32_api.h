/* CRC-32 of the link frames (zlib's CRC-32, reflected polynomial 0xEDB88320), read verbatim by
 * cffi (no preprocessor logic). */

/* zlib.crc32(data, crc) for n bytes at data: the running CRC of earlier bytes goes in, the CRC
 * including these bytes comes out (0 for none). */
uint32_t bss2_crc32(uint32_t crc, const void *data, size_t n);

/* 1 if bss2_crc32 folds 64-byte blocks with carry-less multiplication on this CPU (x86-64 with
 * PCLMULQDQ), 0 if it runs byte by byte (correct, slower than zlib). */
int bss2_crc32_accelerated(void);
