/* Bulk decode of synapse quad words into the weight/label arrays (the omnibus hot path when a
 * host writes whole synapse arrays). Field positions and the column mapping come from the
 * construct declarations via the caller, never from this file. */
#include "core.h"

void bss2_synapse_scatter(const uint32_t *words, const int64_t *index, int64_t n,
                          int32_t hemisphere, const int32_t *value_shift,
                          const int32_t *calib_shift, uint32_t value_mask, uint32_t calib_mask,
                          const uint8_t *value_table, const int16_t *quad_columns,
                          uint8_t *values, uint8_t *calib)
{
    for (int64_t i = 0; i < n; ++i) {
        int64_t row = index[i] / BSS2_QUADS_PER_ROW;
        int64_t quad = index[i] % BSS2_QUADS_PER_ROW;
        int64_t base = ((int64_t)hemisphere * BSS2_SYNAPSE_ROWS + row) * BSS2_COLUMNS;
        for (int e = 0; e < 4; ++e) {
            int64_t flat = base + quad_columns[quad * 4 + e];
            values[flat] = value_table[(words[i] >> value_shift[e]) & value_mask];
            calib[flat] = (uint8_t)((words[i] >> calib_shift[e]) & calib_mask);
        }
    }
}
