/* Test driver for ppu_programs/learning/fsgrad.c: runs the cases the host laid out in external
 * memory and writes each result and its cycle count back next to it.
 *
 * Extmem (big-endian words from `cases_at`, after the program's own extmem code): the number of
 * records, then the records.
 *   layer: 0, n_in, n_out, c_q16, max_dw_q24, flags, [returned drops], [cycles],
 *          t_in[n_in], t_out[n_out], w[n_in][n_out], err_out[n_out],
 *          grad[n_in][n_out] (added to in place), err_in[n_in] (overwritten)
 *          flags: 1 = pass grad as NULL, 2 = pass err_in as NULL
 *   loss:  1, n, label, xi_q16, alpha_q16, beta_q16, [returned loss], [cycles], [prediction],
 *          t[n], err[n] (written)
 * Returns the number of records run. */
#include <stdint.h>

#include "fsgrad.h"
#include "ppu.h"

enum { LAYER = 0, LOSS = 1 };

static int32_t *run_layer(int32_t *r)
{
    int n_in = r[1], n_out = r[2], flags = r[5];
    int32_t *t_in = r + 8, *t_out = t_in + n_in, *w = t_out + n_out, *err_out = w + n_in * n_out;
    int32_t *grad = err_out + n_out, *err_in = grad + n_in * n_out;
    uint64_t start = ppu_time_base();
    r[6] = fs_layer_backward(t_in, n_in, t_out, n_out, w, n_out, err_out, r[3], r[4],
                             flags & 1 ? 0 : grad, n_out, flags & 2 ? 0 : err_in);
    r[7] = (int32_t)(ppu_time_base() - start);
    return err_in + n_in;
}

static int32_t *run_loss(int32_t *r)
{
    int n = r[1];
    int32_t *t = r + 9, *err = t + n;
    uint64_t start = ppu_time_base();
    r[6] = fs_loss(t, n, r[2], r[3], r[4], r[5], err);
    r[7] = (int32_t)(ppu_time_base() - start);
    r[8] = fs_prediction(t, n);
    return err + n;
}

PPU_PARAMETER uint32_t cases_at = PPU_EXTMEM_BASE;

int start(void)
{
    int32_t *words = (int32_t *)cases_at;
    int count = words[0];
    int32_t *r = words + 1;
    for (int i = 0; i < count; i++)
        r = r[0] == LAYER ? run_layer(r) : run_loss(r);
    return count;
}
