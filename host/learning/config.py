"""Training configuration with the paper's hyper-parameters as per-dataset defaults."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from bss2emu.host.learning.errors import LearningInputError
from bss2emu.host.learning.loss import SpikeTimeLoss
from bss2emu.host.learning.neuron import NeuronParams


@dataclass
class TrainConfig:
    """Everything that defines a training run (stored in checkpoints)."""

    dataset: str = "yinyang"
    tau_ratio: int = 1
    seed: int = 0
    epochs: int = 300
    hidden: list[int] = field(default_factory=lambda: [120])
    # bias spike times appended to the input of each layer (hidden layers, then label layer)
    bias_times: list[list[float]] = field(default_factory=lambda: [[0.9], [0.9]])
    # (mean, std) of the normal weight initialisation per layer, bias rows included
    weight_init: list[list[float]] = field(default_factory=lambda: [[1.5, 0.8], [0.5, 0.8]])
    batch_size: int = 150
    eval_batch_size: int = 200
    learning_rate: float = 0.005
    lr_step: int = 20
    lr_gamma: float = 0.95
    # fraction of silent (neuron, sample) pairs per layer above which weights get bumped
    max_missing: list[float] = field(default_factory=lambda: [0.3, 0.0])
    bump_value: float = 0.0005
    training_noise: float = 0.0
    xi: float = 0.2
    alpha: float = 0.005
    beta: float = 1.0
    max_dw_norm: float | None = 0.2
    mnist_dir: str | None = None
    split_seed: int = 0
    # neuron parameters the gradients assume, if they differ from the forward model's (on a
    # chip: the calibrated leak/threshold/g_leak/tau_syn); None means the software defaults
    backward_neuron: dict | None = None
    # each input channel fed to the network this many times (the paper's chip runs: 5)
    input_replicas: int = 1
    # substrate distortions of the forward pass (`distortions.Distortions.to_dict()`), None: none
    distortions: dict | None = None

    def neuron_params(self) -> NeuronParams:
        """Software neuron model for the configured tau_m / tau_s."""
        return NeuronParams.software_default(self.tau_ratio)

    def backward_params(self) -> NeuronParams:
        """Neuron model of the backward pass."""
        if self.backward_neuron is None:
            return self.neuron_params()
        try:
            return NeuronParams(**{"tau_ratio": self.tau_ratio, **self.backward_neuron})
        except (TypeError, ValueError) as err:
            raise LearningInputError(f"invalid backward_neuron parameters: {err}") from None

    def layer_sizes(self, n_inputs: int, n_classes: int) -> list[int]:
        """Neurons per layer [inputs, hidden..., labels] for a data set of `n_inputs` channels
        and `n_classes` classes; checks every per-layer setting has one entry per layer."""
        sizes = [n_inputs, *self.hidden, n_classes]
        n_layers = len(sizes) - 1
        for name in ("bias_times", "weight_init", "max_missing"):
            if len(getattr(self, name)) != n_layers:
                raise LearningInputError(f"config {name} needs one entry per layer ({n_layers})")
        return sizes

    def loss(self) -> SpikeTimeLoss:
        """The training and evaluation loss with the configured xi, alpha and beta."""
        return SpikeTimeLoss(self.xi, self.alpha, self.beta)

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Inverse of `to_dict`; rejects unknown keys."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise LearningInputError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        return cls(**data)


def default_config(dataset: str, tau_ratio: int = 1) -> TrainConfig:
    """Paper hyper-parameters: yin_yang and 16x16_mnist configs; digits adapts the latter.

    MNIST evaluates in batches of 200 (paper: 1000) to bound the (batch, inputs, neurons)
    arrays to a few 10 MB; batch size does not change evaluation results.
    """
    if dataset == "yinyang":
        return TrainConfig(dataset="yinyang", tau_ratio=tau_ratio)
    if dataset == "mnist":
        return TrainConfig(
            dataset="mnist", tau_ratio=tau_ratio, epochs=200, hidden=[128], bias_times=[[], []],
            weight_init=[[0.1, 0.4], [0.6, 0.8]], batch_size=50, eval_batch_size=200,
            learning_rate=0.003, lr_step=10, lr_gamma=0.9, max_missing=[0.5, 0.5],
            training_noise=0.3,
        )
    if dataset == "digits":
        # 64 inputs instead of 256: smaller first-layer weights so hidden neurons wait for more
        # than the brightest pixels; the Yin-Yang learning-rate schedule; 256 hidden neurons and
        # input noise 0.2 (chosen on validation accuracy in 60- to 120-epoch probes)
        return TrainConfig(
            dataset="digits", tau_ratio=tau_ratio, epochs=200, hidden=[256], bias_times=[[], []],
            weight_init=[[0.15, 0.5], [0.3, 0.8]], batch_size=50, eval_batch_size=300,
            learning_rate=0.005, lr_step=20, lr_gamma=0.95, max_missing=[0.5, 0.5],
            training_noise=0.2,
        )
    raise LearningInputError(f"unknown dataset {dataset!r} (choose from yinyang, digits, mnist)")
