/* Exact first-spike-time gradients, loss and prediction in fixed point for the PPU, the
 * counterpart of host/learning (gradients.layer_backward, loss.SpikeTimeLoss,
 * loss.predictions) for tau_m = tau_s, time unit tau_s, leak 0, g_leak 1. Formats: fixed.h. */
#ifndef FS_GRAD_H
#define FS_GRAD_H

#include <stdint.h>

#include "fixed.h"

#define FS_NEVER INT32_MAX

/* Most inputs fs_layer_backward takes (a stack buffer of one word per input). */
#ifndef FS_MAX_IN
#define FS_MAX_IN 128
#endif

/* Loss of a sample whose label neuron is silent (Q16.16), as SILENT_LABEL_LOSS. */
#define FS_SILENT_LOSS_Q16 (100 << 16)

/* One layer of one sample (tau_m = tau_s, time unit tau_s, leak 0, g_leak 1).
 * t_in[n_in], t_out[n_out]: Q16.16 spike times (FS_NEVER = silent), any common origin;
 * w: Q8.24 weights, w[i * w_stride + k] for input i, output k;
 * err_out[n_out]: Q8.24 dL/dT_k of this sample (already scaled, e.g. by 1/batch);
 * c_q16: threshold c in Q16.16; max_dw_q24: per-sample guard (<= 0 disables);
 * grad (may be NULL): grad[i * g_stride + k] += dL/dw_ik (Q8.24, saturating);
 * err_in (may be NULL): err_in[i] = sum_k dT_k/dt_i * err_out[k] (Q8.24, overwritten).
 * Lags T_k - t_i are exact (32 tau_s and more take the general path). n_in must not exceed
 * FS_MAX_IN (else -1).
 * Returns the number of output neurons whose column the guard dropped. */
int fs_layer_backward(const int32_t *t_in, int n_in, const int32_t *t_out, int n_out,
                      const int32_t *w, int w_stride, const int32_t *err_out,
                      int32_t c_q16, int32_t max_dw_q24,
                      int32_t *grad, int g_stride, int32_t *err_in);

/* Loss of one sample as SpikeTimeLoss (tau_syn 1): L = -log softmax(-T/xi)[label] +
 * alpha exp(T_label / beta); err[n] = dL/dT (Q8.24, NOT divided by the batch size; all zero
 * when the label neuron is silent). Returns L in Q16.16 (100.0 if the label neuron is silent).
 * xi, alpha, beta in Q16.16. The exponent T_label / beta is clamped at 20 (FS_EXP_ARG_MAX):
 * beyond it, alpha exp(.) >= 4.9e8 alpha saturates err (at 128) and L (at 32768) unless
 * alpha < 3e-7. */
int32_t fs_loss(const int32_t *t, int n, int label, int32_t xi_q16, int32_t alpha_q16,
                int32_t beta_q16, int32_t *err);

/* Index of the earliest output spike (lowest index on ties), -1 if none fires. */
int fs_prediction(const int32_t *t, int n);

#endif
