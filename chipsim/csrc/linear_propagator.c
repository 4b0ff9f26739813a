/* Exact propagators of linear neurons (see linear_propagator.h): the LIF closed form, or the
 * matrix exponential of the coupled membrane-adaptation-current system. */
#include <math.h>
#include <string.h>
#include "core.h"
#include "lif.h"
#include "linear_propagator.h"

/* exp(A) of a 4x4 matrix by scaling and squaring with a Taylor series (the norms here are
 * small: rates per tick and the adaptation coupling). */
static void expm4(const double a[LINEAR_STATE][LINEAR_STATE],
                  double out[LINEAR_STATE][LINEAR_STATE])
{
    double norm = 0.0;
    for (int j = 0; j < LINEAR_STATE; ++j) {
        double col = 0.0;
        for (int i = 0; i < LINEAR_STATE; ++i) {
            col += fabs(a[i][j]);
        }
        norm = (col > norm) ? col : norm;
    }
    int squarings = 0;
    double scale = 1.0;
    while (norm * scale > 0.5 && squarings < 60) {
        scale *= 0.5;
        squarings += 1;
    }
    double term[LINEAR_STATE][LINEAR_STATE], next[LINEAR_STATE][LINEAR_STATE];
    for (int i = 0; i < LINEAR_STATE; ++i) {
        for (int j = 0; j < LINEAR_STATE; ++j) {
            term[i][j] = (i == j) ? 1.0 : 0.0;
            out[i][j] = term[i][j];
        }
    }
    for (int k = 1; k <= 30; ++k) { /* ||A s||^k / k! < 1e-17 long before k = 30 */
        double biggest = 0.0;
        for (int i = 0; i < LINEAR_STATE; ++i) {
            for (int j = 0; j < LINEAR_STATE; ++j) {
                double s = 0.0;
                for (int m = 0; m < LINEAR_STATE; ++m) {
                    s += term[i][m] * a[m][j] * scale;
                }
                next[i][j] = s / k;
                biggest = (fabs(next[i][j]) > biggest) ? fabs(next[i][j]) : biggest;
            }
        }
        memcpy(term, next, sizeof term);
        for (int i = 0; i < LINEAR_STATE; ++i) {
            for (int j = 0; j < LINEAR_STATE; ++j) {
                out[i][j] += term[i][j];
            }
        }
        if (biggest < 1e-18) {
            break;
        }
    }
    for (int q = 0; q < squarings; ++q) {
        for (int i = 0; i < LINEAR_STATE; ++i) {
            for (int j = 0; j < LINEAR_STATE; ++j) {
                double s = 0.0;
                for (int m = 0; m < LINEAR_STATE; ++m) {
                    s += out[i][m] * out[m][j];
                }
                next[i][j] = s;
            }
        }
        memcpy(out, next, sizeof next);
    }
}

/* The first two rows of the propagator over dt ticks of a linear neuron: closed form without
 * adaptation (w left unchanged), the matrix exponential of
 *   d(v - E)/dt = -(v - E)/tm - w + je - ji,  dw/dt = (a (v - E) - w)/tw,
 *   dje/dt = -je/te,  dji/dt = -ji/ti
 * with it. */
void bss2_linear_rows(const bss2_network *net, int32_t n, double dt, double row_v[LINEAR_STATE],
                      double row_w[LINEAR_STATE])
{
    double rm = 1.0 / net->tau_mem[n], re = 1.0 / net->tau_syn_exc[n];
    double ri = 1.0 / net->tau_syn_inh[n];
    if (!net->adex_enable[n]) {
        row_v[0] = bss2_exp(-dt * rm);
        row_v[1] = 0.0;
        row_v[2] = bss2_kernel(dt, rm, re);
        row_v[3] = -bss2_kernel(dt, rm, ri);
        row_w[0] = row_w[2] = row_w[3] = 0.0;
        row_w[1] = 1.0;
        return;
    }
    double rw = 1.0 / net->tau_adapt[n];
    double a[LINEAR_STATE][LINEAR_STATE] = {
        {-rm * dt, -dt, dt, -dt},
        {net->adapt_a[n] * rw * dt, -rw * dt, 0.0, 0.0},
        {0.0, 0.0, -re * dt, 0.0},
        {0.0, 0.0, 0.0, -ri * dt},
    };
    double p[LINEAR_STATE][LINEAR_STATE];
    expm4(a, p);
    memcpy(row_v, p[0], sizeof p[0]);
    memcpy(row_w, p[1], sizeof p[1]);
}

