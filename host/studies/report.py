"""A sweep's summary: test accuracy per axis, magnitude and condition over the seeds, as a
markdown table (report.md) and one figure per axis (accuracy against magnitude, one line per
condition, error bars one standard deviation over seeds), from the result files present."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from bss2emu.host.studies.spec import OFF, SweepSpec

REPORT = "report.md"
LABELS = {"loop": "in the loop", "test": "test only"}


def accuracy_table(spec: SweepSpec, results: dict[str, dict]
                   ) -> dict[str, dict[str, list[list[float]]]]:
    """axis -> condition -> per magnitude (in spec order) the test accuracies found."""
    table: dict[str, dict[str, list[list[float]]]] = {}
    for axis, magnitudes in spec.axes.items():
        table[axis] = {c: [[] for _ in magnitudes] for c in spec.conditions}
    for point in spec.points:
        result = results.get(point.run.name)
        if result is not None:
            index = spec.axes[point.axis].index(point.magnitude)
            table[point.axis][point.condition][index].append(result["test_accuracy"])
    return table


def _stats(values: list[float]) -> tuple[float, float]:
    """(mean, standard deviation over seeds; 0 for one seed)."""
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def _label(magnitude: object) -> str:
    return OFF if magnitude == OFF else f"{magnitude:g}"


def markdown(spec: SweepSpec, results: dict[str, dict]) -> str:
    """The table of test accuracies (%), mean +- std over seeds (n seeds)."""
    table = accuracy_table(spec, results)
    head = ["axis", "magnitude", *(LABELS[c] for c in spec.conditions)]
    lines = [
        f"Test accuracy (%) of {spec.dataset}, {spec.mode} mode, {spec.epochs} epochs, "
        f"mean ± std over seeds (n).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for axis, magnitudes in spec.axes.items():
        for index, magnitude in enumerate(magnitudes):
            cells = []
            for condition in spec.conditions:
                values = table[axis][condition][index]
                if values:
                    mean, std = _stats(values)
                    cells.append(f"{100 * mean:.2f} ± {100 * std:.2f} ({len(values)})")
                else:
                    cells.append("–")
            lines.append(f"| {axis} | {_label(magnitude)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot_axis(spec: SweepSpec, results: dict[str, dict], axis: str, path: Path) -> None:
    """Accuracy against magnitude for one axis, one line per condition."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = accuracy_table(spec, results)[axis]
    magnitudes = spec.axes[axis]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for shift, condition in zip((-0.05, 0.05), spec.conditions, strict=False):
        xs, means, stds = [], [], []
        for index, values in enumerate(table[condition]):
            if values:
                mean, std = _stats(values)
                xs.append(index + shift)
                means.append(100 * mean)
                stds.append(100 * std)
        ax.errorbar(xs, means, yerr=stds, marker="o", capsize=3, label=LABELS[condition])
    ax.set_xticks(range(len(magnitudes)), [_label(m) for m in magnitudes])
    ax.set_xlabel(axis.replace("_", " "))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(f"{spec.dataset}, {spec.mode} mode, {len(spec.seeds)} seeds")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(spec: SweepSpec, results: dict[str, dict]) -> Path:
    """report.md and <axis>.png in the sweep's directory; returns the report's path."""
    spec.out.mkdir(parents=True, exist_ok=True)
    figures = []
    for axis in spec.axes:
        plot_axis(spec, results, axis, spec.out / f"{axis}.png")
        figures.append(f"![{axis}]({axis}.png)")
    path = spec.out / REPORT
    path.write_text(f"# Sweep {spec.path.name}\n\n" + markdown(spec, results) + "\n"
                    + "\n".join(figures) + "\n")
    return path
