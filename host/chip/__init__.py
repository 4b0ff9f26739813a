"""Running first-spike-time networks on a (possibly emulated) BrainScaleS-2 chip: placement and
configuration words (`mapping`), neuron parameters (`neurons`), batched runs (`runner`)."""
