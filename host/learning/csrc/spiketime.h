/* First-spike times of a layer of current-based LIF neurons from the paper's closed forms
 * (tau_m = tau_s: Lambert W; tau_m = 2 tau_s: log/sqrt), one sample and neuron at a time with an
 * early exit at the first accepted causal set. Mirrors host/learning/spiketime.py's numpy
 * reference, operation for operation. */
#include <stdint.h>

/* times (batch, n_in): input times in tau_syn units shifted per sample, +inf for silent inputs
 * (each row is visited in stable ascending time order, as numpy's stable argsort orders it);
 * weights (n_in, n_out); c: threshold in kernel units; ratio 1 or 2. Writes, each
 * (batch, n_out), the crossing time (same units as times) and the time of the causal set's last
 * input, both +inf where the neuron does not spike. */
void bss2_first_spikes(const double *times, int64_t batch, int64_t n_in, const double *weights,
                       int64_t n_out, double c, int32_t ratio, double *first, double *last);

/* One layer's backward pass (mirrors gradients.layer_backward): from input times t and output
 * times big_t (both (batch, ...) in tau_syn units with the same per-sample shift, +inf silent),
 * each output's causal horizon (inputs at or before it are causal), the loss gradient out_error
 * (batch, n_out), threshold c, tau_syn and the ratio, accumulates dL/dW into grad (n_in, n_out)
 * and writes dL/dt_in into in_error (batch, n_in) (0 where not finite). A sample's weight
 * gradient into a neuron is dropped when an entry exceeds max_dw_norm (not if it is +inf). */
void bss2_layer_backward(const double *t, const double *big_t, const double *horizon,
                         const double *weights, const double *out_error, int64_t batch,
                         int64_t n_in, int64_t n_out, double c, double tau, int32_t ratio,
                         double max_dw_norm, double *grad, double *in_error);
