/* Bulk decode of synapse quad words into the weight/label arrays (the omnibus hot path when a
 * host writes whole synapse arrays). Field positions and the column mapping come from the
 * construct declarations via the caller, never from this file. */
#include "core.h"

void bss2_synapse_scatter(const uint32_t *words, const int64_t *index, int64_t n,
                          int32_t hemisphere, const int32_t *shift, uint32_t mask,
                          const uint8_t *value_table, const int16_t *quad_columns,
                          uint8_t *values)
{
    for (int64_t i = 0; i < n; ++i) {
        int64_t row = index[i] / BSS2_QUADS_PER_ROW;
        int64_t quad = index[i] % BSS2_QUADS_PER_ROW;
        int64_t base = ((int64_t)hemisphere * BSS2_SYNAPSE_ROWS + row) * BSS2_COLUMNS;
        for (int e = 0; e < 4; ++e)
            values[base + quad_columns[quad * 4 + e]] = value_table[(words[i] >> shift[e]) & mask];
    }
}
