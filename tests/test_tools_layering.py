"""The command modules (tools/) stay thin and independent: none imports another subcommand's
module; what they share lives in host/ or in the argument helpers (issue 13, item 7)."""
from __future__ import annotations

import ast
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "tools"
SHARED = {"cli", "arguments", "paths"}
"""tools modules every command may import: the dispatcher (UserError, Interrupted), the shared
options and the path checks."""


def tools_imports(path: Path) -> set[str]:
    """Names of the tools modules that the module at `path` imports (at any depth)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x / from .x import y
                base = "bss2emu.tools" + ("." + node.module if node.module else "")
            else:
                base = node.module or ""
            modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[:2] == ["bss2emu", "tools"] and len(parts) > 2:
                name = parts[2]
                if (TOOLS / f"{name}.py").exists():
                    found.add(name)
    return found


def test_no_tools_module_imports_another_command():
    offending = []
    for path in sorted(TOOLS.glob("*.py")):
        if path.stem in ("cli", "__init__"):
            continue
        for name in tools_imports(path) - SHARED - {path.stem}:
            offending.append(f"tools/{path.name} imports bss2emu.tools.{name}")
    assert not offending, "\n".join(offending)


def test_the_check_sees_imports_between_commands(tmp_path):
    module = tmp_path / "x.py"
    module.write_text("from bss2emu.tools.train import CHECKPOINT\n"
                      "from bss2emu.tools import evaluate, paths\n"
                      "def f():\n    from . import calibrate\n")
    assert tools_imports(module) == {"train", "evaluate", "paths", "calibrate"}
