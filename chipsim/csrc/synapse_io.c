/* Bulk decode of synapse quad words into the weight/label arrays (the omnibus hot path when a
 * host writes whole synapse arrays). Field positions and the column mapping come from the
 * construct declarations via the caller, never from this file. */
#include "core.h"

void bss2_synapse_scatter(const uint32_t *words, const int64_t *index, int64_t n,
                          int32_t hemisphere, const int32_t *shift, uint32_t mask,
                          const uint8_t *value_table, const int16_t *quad_columns,
                          uint8_t *values)
{
    /* the tables in locals: a byte store could alias them, which would reload them per store */
    const int s0 = shift[0], s1 = shift[1], s2 = shift[2], s3 = shift[3];
    const int16_t *restrict columns = quad_columns;
    const uint8_t *restrict table = value_table;
    uint8_t *restrict out = values + (int64_t)hemisphere * BSS2_SYNAPSE_ROWS * BSS2_COLUMNS;
    for (int64_t i = 0; i < n; ++i) {
        int64_t row = index[i] / BSS2_QUADS_PER_ROW;
        const int16_t *col = columns + (index[i] % BSS2_QUADS_PER_ROW) * 4;
        uint8_t *dst = out + row * BSS2_COLUMNS;
        uint32_t w = words[i];
        dst[col[0]] = table[(w >> s0) & mask];
        dst[col[1]] = table[(w >> s1) & mask];
        dst[col[2]] = table[(w >> s2) & mask];
        dst[col[3]] = table[(w >> s3) & mask];
    }
}
