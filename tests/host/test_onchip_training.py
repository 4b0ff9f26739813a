"""On-chip training end to end: the PPU program learns from the event ring while the host only
streams samples; the same run over TCP equals the embedded run bit for bit; the host never
imports its gradient code in this mode."""
from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from bss2emu.chipsim.server import DeviceServer
from bss2emu.host.chip.training import chip_config
from bss2emu.host.connection import connect
from bss2emu.host.learning.dataset import Dataset, Split, load_dataset, replicate_inputs
from bss2emu.host.onchip.trainer import OnChipTrainer

SEED = 0


def small_yinyang(n_train: int = 80, n_eval: int = 40) -> Dataset:
    """The first samples of each Yin-Yang split, inputs replicated as chip mode feeds them."""
    data = replicate_inputs(load_dataset("yinyang"), 5)

    def head(split: Split, n: int) -> Split:
        return Split(split.times[:n], split.labels[:n])

    return dataclasses.replace(data, train=head(data.train, n_train),
                               validation=head(data.validation, n_eval),
                               test=head(data.test, n_eval))


def small_config(epochs: int = 2):
    return dataclasses.replace(chip_config("yinyang"), epochs=epochs, seed=SEED)


def train(url: str | None, epochs: int = 2) -> tuple[list[np.ndarray], list[dict]]:
    with connect(url, seed=SEED) as conn, \
            OnChipTrainer(small_config(epochs), small_yinyang(), conn) as trainer:
        trainer.train(epochs)
        return trainer.weights(), trainer.history


def _without_wall_time(history: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "seconds"} for m in history]


def test_the_ppu_learns_and_reports_counters():
    weights, history = train(None, epochs=2)
    first, last = history[0], history[-1]
    assert first["ring_overflows"] == 0 and last["unknown_events"] == 0
    assert first["ppu_cycles_per_sample"] > 0 and first["ppu_cycles_per_update"] > 0
    assert all(np.isfinite(w).all() for w in weights)
    assert last["train_loss"] < first["train_loss"] or \
        last["validation_accuracy"] > first["validation_accuracy"]


def test_initial_weights_are_the_host_trainers():
    """Same seed, same initial network as software and chip mode (clipped to the chip range)."""
    from bss2emu.host.learning.backend import SoftwareBackend
    from bss2emu.host.learning.trainer import Trainer

    host = Trainer(small_config(), small_yinyang(), SoftwareBackend())
    with connect(None, seed=SEED) as conn:
        onchip = OnChipTrainer(small_config(), small_yinyang(), conn)
        read_back = onchip.weights()
    for mine, theirs, back in zip(onchip.initial, host.network.weights, read_back, strict=True):
        assert np.array_equal(mine, np.clip(theirs, -63 / 30, 63 / 30))
        assert np.abs(back - mine).max() < 2.0 ** -24


def test_tcp_run_equals_embedded_run():
    server = DeviceServer(seed=SEED)
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"socket://127.0.0.1:{listener.getsockname()[1]}"
    thread = threading.Thread(target=server.serve_tcp, args=(listener,), daemon=True)
    thread.start()
    try:
        tcp_weights, tcp_history = train(url)
    finally:
        listener.close()
    embedded_weights, embedded_history = train(None)
    for a, b in zip(tcp_weights, embedded_weights, strict=True):
        assert np.array_equal(a, b)
    assert _without_wall_time(tcp_history) == _without_wall_time(embedded_history)


def test_no_host_gradients_in_onchip_mode():
    """With host.learning.gradients made unimportable, on-chip training still runs."""
    script = textwrap.dedent("""
        import sys
        sys.modules["bss2emu.host.learning.gradients"] = None  # any import now fails
        from tests.host.test_onchip_training import train
        weights, history = train(None, epochs=1)
        assert "bss2emu.host.learning.network" not in sys.modules
        print("ok", history[-1]["train_accuracy"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ok")


@pytest.mark.parametrize("change, message", [
    ({"tau_ratio": 2}, "tau-ratio 1"),
    ({"hidden": [60, 60], "bias_times": [[0.9] * 5, [], []],
      "weight_init": [[0.3, 0.16], [0.5, 0.8], [0.5, 0.8]], "max_missing": [0.3, 0.3, 0.05]},
     "one hidden layer"),
])
def test_unsupported_configurations_are_named(change, message):
    from bss2emu.host.learning.errors import LearningInputError

    config = dataclasses.replace(small_config(), **change)
    with connect(None, seed=SEED) as conn, pytest.raises(LearningInputError, match=message):
        OnChipTrainer(config, small_yinyang(), conn)


def test_checkpoint_evaluates_on_the_chip_as_the_ppu_measured(tmp_path, capsys):
    """The on-chip run's checkpoint, evaluated by chip mode (host reads the label spikes) on the
    same chip, gives the accuracy the PPU counted on the test split."""
    from bss2emu.host.learning.checkpoint import save_checkpoint
    from bss2emu.tools.cli import main

    full = replicate_inputs(load_dataset("yinyang"), 5)
    data = dataclasses.replace(small_yinyang(), test=full.test)
    with connect(None, seed=SEED) as conn:
        trainer = OnChipTrainer(small_config(1), data, conn)
        trainer.train(1)
        _, accuracy, _ = trainer.test()
        save_checkpoint(tmp_path / "checkpoint.npz", trainer.state())
    capsys.readouterr()
    assert main(["evaluate", str(tmp_path / "checkpoint.npz"), "--mode", "chip",
                 "--calibration", "none", "--window-us", "180", "--chip-seed", str(SEED)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith(f"test accuracy {100 * accuracy:.2f} %"), (line, accuracy)


def test_close_leaves_the_chip_to_other_clients():
    """After on-chip training the PPU is held in reset, the ring is off and chip-mode runs
    receive their events again."""
    from bss2emu.host.chip.device import ProtocolDevice
    from bss2emu.host.chip.runner import BatchRunner
    from bss2emu.host.program import PlaybackProgramBuilder
    from bss2emu.protocol import event_ring as er
    from bss2emu.protocol import fpga_registers as fr
    from bss2emu.protocol import omnibus as ob

    data = small_yinyang()
    with connect(None, seed=SEED) as conn:
        with OnChipTrainer(small_config(1), data, conn) as trainer:
            placement = trainer.placement
        builder = PlaybackProgramBuilder(timer_setup=False)
        recording = builder.read(fr.EVENT_RECORDING_CONFIG)
        ring = builder.read(er.CONTROL)
        control = builder.read(ob.ppu_control_address(0))
        conn.run(builder.done())
        assert recording.value == 1 and ring.value == 0
        assert ob.PPU_CONTROL.parse(control.value)["inhibit_reset"] == 0
        inputs = np.concatenate([data.test.times[:5], np.full((5, 5), 0.9)], axis=1)  # + bias
        hidden, labels = BatchRunner(ProtocolDevice(conn), placement).run(inputs)
        assert np.isfinite(hidden).any() and np.isfinite(labels).any()
