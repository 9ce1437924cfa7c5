"""The project's own scripts and tools (``scripts/``, ``tools/``: not part of the package) as modules."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str) -> ModuleType:
    """The module of ``ROOT / relative`` (``"tools/drift.py"``), loaded once per test session.

    It is registered in ``sys.modules`` (as ``ldusage_<stem>``) before it runs: dataclasses look their
    module up while they are defined.
    """
    name = f"ldusage_{Path(relative).stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
