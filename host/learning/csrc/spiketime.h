/* First-spike times of a layer of current-based LIF neurons from the paper's closed forms
 * (tau_m = tau_s: Lambert W; tau_m = 2 tau_s: log/sqrt), one sample and neuron at a time with an
 * early exit at the first accepted causal set. Mirrors host/learning/spiketime.py's numpy
 * reference, operation for operation. */
#include <stdint.h>

/* times (batch, n_in - n_bias) and bias (n_bias): input times, +inf for silent inputs, each
 * sample's inputs its row of times followed by the bias times (the weights' last rows); each
 * sample's inputs are taken in tau_syn units (tau) and shifted so that their earliest time is 0
 * (spiketime.shifted_scaled_times), then visited in stable ascending time order, as numpy's
 * stable argsort orders them; weights
 * (n_in, n_out); c: threshold in kernel units; ratio 1 or 2. Writes, each (batch, n_out), the
 * crossing time and the time of the causal set's last input (both in the units of times, +inf
 * where the neuron does not spike), and for the gradients the causal set's a1 = sum w e^t (t
 * shifted) and its slope factor, 1 + W (ratio 1) or S = sqrt(a2^2 - 4 a1 c) (ratio 2): the
 * membrane's slope at the crossing is a1 (1 + W) e^{-T} and S e^{-T/2} / 2 (both 0 where the
 * neuron does not spike). */
void bss2_first_spikes(const double *times, const double *bias, int64_t batch, int64_t n_in,
                       int64_t n_bias, const double *weights, int64_t n_out, double c, double tau,
                       int32_t ratio, double *first, double *last, double *a1, double *slope);

/* One layer's backward pass (mirrors gradients.layer_backward): from input times in_times
 * (batch, n_in - n_bias) with bias (n_bias) as bss2_first_spikes takes them and output times
 * out_times (batch, n_out) (+inf silent, taken in tau_syn units and shifted per sample as
 * bss2_first_spikes shifts them), each output's causal horizon
 * causal_until (inputs at or before it are causal; NULL: the output time), the loss gradient
 * out_error (batch, n_out), threshold c, tau_syn and the ratio, writes dL/dW summed over the
 * batch into grad (n_in, n_out) and dL/dt_in into in_error (batch, n_in) (0 where not finite).
 * A sample's weight gradient into a neuron is dropped when an entry exceeds max_dw_norm (not if
 * it is +inf). a1 and slope (batch, n_out), as bss2_first_spikes wrote them for these inputs,
 * weights and parameters, spare recomputing them from the causal sets; NULL: recomputed. */
void bss2_layer_backward(const double *in_times, const double *bias, const double *out_times,
                         const double *causal_until, const double *a1, const double *slope,
                         const double *weights, const double *out_error, int64_t batch,
                         int64_t n_in, int64_t n_bias, int64_t n_out, double c, double tau,
                         int32_t ratio, double max_dw_norm, double *grad, double *in_error);
