/* Placement of the FPGA's event packs in its response stream (the scan behind
 * chipsim.fpga.ResponseStream.events, whose Python form is the reference): the host decoder's
 * time advances by one per message; a pack whose events do not fit the window around that time
 * is preceded by a SYSDELTA (when the gap fits its field) or a SYSTIME message. */
#include "core.h"

int64_t bss2_place_packs(const int64_t *t_first, const int64_t *t_last, int64_t n, int64_t now,
                         int64_t window, int64_t sysdelta_max, int8_t *kind, int64_t *value)
{
    for (int64_t i = 0; i < n; ++i) {
        int64_t first = t_first[i], last = t_last[i], nxt = now + 1;
        kind[i] = BSS2_TIMING_NONE;
        if (!(last <= nxt && nxt <= first + window - 1)) {
            int64_t delta = last - now - 2;
            if (0 <= delta && delta <= sysdelta_max) {
                kind[i] = BSS2_TIMING_SYSDELTA;
                value[i] = delta;
                now += 1 + delta;
            } else {
                int64_t start = (last - 1 > 0) ? last - 1 : 0;
                kind[i] = BSS2_TIMING_SYSTIME;
                value[i] = start;
                now = start;
            }
            nxt = now + 1;
        }
        now = nxt;
    }
    return now;
}
