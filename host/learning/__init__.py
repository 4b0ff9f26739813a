"""First-spike-time learning (Göltz, Kriener et al. 2021) on the host: exact spike times and
gradients (`network.Network`), data sets, and the training loop with pluggable forward backends."""
