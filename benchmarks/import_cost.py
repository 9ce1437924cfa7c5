"""Benchmark 1 — parse-time import cost of the operators and the sensor.

Every DAG file is re-parsed every few seconds by every DAG processor, so whatever a DAG file's
``from airflow_provider_ldusage.operators.usage import ...`` drags in is paid over and over. In fresh
interpreters (one subprocess per sample), alternating:

* baseline child: time the baseline import (``import airflow.sdk``; ``airflow.models.dag`` on Airflow 2.11);
* provider child: time the baseline, then time importing every operator module and the sensor,
  and list the heavy modules that import newly brought in.

Reported: the median added time of our imports, its ratio to the median baseline import of the
baseline children, and the heavy modules (HTTP clients, the web stack, the emulator, the hook) imported.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess

from _common import (
    PYTHON,
    ROOT,
    SCRATCH,
    BenchResult,
    Figure,
    airflow_env,
    fmt_ms,
    fmt_ratio,
    median,
    verdict,
)

SAMPLES = 7
TARGET_ADDED_S = 0.030
PROVIDER_MODULES = (
    "airflow_provider_ldusage.operators.usage",
    "airflow_provider_ldusage.sensors.month_end",
)
HOOK_MODULE = "airflow_provider_ldusage.hooks.usage"
# Modules a DAG file must not pay for at parse time. Prefix match on the dotted name.
HEAVY = (
    "requests",
    "urllib3",
    "httpx",
    "httpcore",
    "fastapi",
    "starlette",
    "uvicorn",
    "airflow_provider_ldusage.testing",
    "airflow_provider_ldusage.hooks.usage",
    "airflow_provider_ldusage.hooks.usage_async",
    "airflow_provider_ldusage.triggers",
)

#: What every DAG file imports anyway, the baseline: the task SDK on Airflow 3, ``airflow.models.dag`` (what
#: ``from airflow import DAG`` loads) on 2.11, which has no task SDK.
BASELINE = (
    "airflow.sdk"
    if int(importlib.metadata.version("apache-airflow").split(".")[0]) >= 3
    else "airflow.models.dag"
)

_CHILD = r"""
import importlib, json, sys, time
modules = json.loads(sys.argv[1])
heavy = tuple(json.loads(sys.argv[2]))
after = json.loads(sys.argv[3])
t0 = time.perf_counter()
importlib.import_module(sys.argv[4])
t1 = time.perf_counter()
before = set(sys.modules)
c2, t2 = time.process_time(), time.perf_counter()
for name in modules:
    __import__(name)
t3, c3 = time.perf_counter(), time.process_time()
new = sorted(set(sys.modules) - before)
hits = [m for m in new if any(m == h or m.startswith(h + ".") for h in heavy)]
t4 = time.perf_counter()
for name in after:
    __import__(name)
t5 = time.perf_counter()
print(json.dumps({"sdk": t1 - t0, "added": t3 - t2, "added_cpu": c3 - c2, "new": len(new), "heavy": hits,
                  "after": t5 - t4}))
"""


def _child(modules: tuple[str, ...], env: dict[str, str], after: tuple[str, ...] = ()) -> dict[str, object]:
    """One fresh interpreter: import airflow.sdk, then ``modules`` (timed), then ``after`` (timed apart)."""
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            _CHILD,
            json.dumps(list(modules)),
            json.dumps(HEAVY),
            json.dumps(list(after)),
            BASELINE,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import child failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _missing(modules: tuple[str, ...]) -> list[str]:
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


def measure(modules: tuple[str, ...], samples: int = SAMPLES) -> tuple[list[float], list[float], list[dict]]:
    """``samples`` alternating pairs of (baseline child, provider child), after one warm-up pair."""
    env = {**os.environ, **airflow_env()}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # Deployments import from bytecode (pip compiles on install; the DAG processor writes __pycache__).
    # This machine may set PYTHONDONTWRITEBYTECODE, which would leave our editable package compiling from
    # source on every import; cache bytecode under .bench instead (the first run fills it).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(SCRATCH / "pycache")
    _child((), env)  # warm the page cache and __pycache__ so the first sample is not an outlier
    _child(modules, env)
    base: list[float] = []
    added: list[float] = []
    details: list[dict] = []
    for i in range(samples):
        # Alternate which goes first so slow drift of the machine hits both sides alike.
        order = [(), modules] if i % 2 == 0 else [modules, ()]
        for mods in order:
            result = _child(mods, env, (HOOK_MODULE,) if mods else ())
            if mods:
                added.append(float(result["added"]))  # type: ignore[arg-type]
                details.append(result)
            else:
                base.append(float(result["sdk"]))  # type: ignore[arg-type]
    return base, added, details


def run() -> BenchResult:
    missing = _missing(PROVIDER_MODULES)
    if missing:
        raise RuntimeError(f"not importable yet: {', '.join(missing)}")
    base, added, details = measure(PROVIDER_MODULES)
    sdk_s, added_s = median(base), median(added)
    heavy = sorted({m for d in details for m in d["heavy"]})  # type: ignore[attr-defined]
    cpu_s = median(float(d["added_cpu"]) for d in details)  # type: ignore[arg-type]
    new_modules = int(median(float(d["new"]) for d in details))  # type: ignore[arg-type]
    figures = [
        Figure(
            "1. import operators + sensor (added)",
            fmt_ms(added_s),
            f"{fmt_ms(sdk_s)} (import {BASELINE})",
            fmt_ratio(added_s / sdk_s),
            "≤ 30 ms added",
            verdict(added_s <= TARGET_ADDED_S),
        ),
        Figure(
            "1. heavy modules imported at parse time",
            str(len(heavy)),
            "—",
            "—",
            "0",
            verdict(not heavy),
        ),
    ]
    notes = [
        f"{SAMPLES} alternating pairs of fresh interpreters (after one warm-up pair); medians. "
        f"Our imports: {', '.join(PROVIDER_MODULES)}.",
        f"Added: median {fmt_ms(added_s)} (min {fmt_ms(min(added))}, max {fmt_ms(max(added))}), "
        f"{new_modules} modules newly imported; CPU time of the same imports: median "
        f"{fmt_ms(cpu_s)} (wall time counts preemption by other processes, CPU time does not). "
        f"`import {BASELINE}`: median {fmt_ms(sdk_s)} "
        f"(min {fmt_ms(min(base))}, max {fmt_ms(max(base))}).",
        "Heavy modules newly imported: "
        + (", ".join(heavy) if heavy else "none")
        + " (checked: "
        + ", ".join(HEAVY)
        + "; `import airflow.sdk` itself already loads httpx, so only"
        " modules our imports add are counted).",
    ]
    # For scale: what a task pays when it first builds the hook (not a parse-time cost).
    hook_s = median(float(d["after"]) for d in details)  # type: ignore[arg-type]
    notes.append(
        f"For scale (not a parse-time cost): importing the hook module `{HOOK_MODULE}` afterwards adds "
        f"{fmt_ms(hook_s)} more (median) - paid once per task, inside execute()."
    )
    return BenchResult("Parse-time import cost", figures, notes)


if __name__ == "__main__":
    import pprint

    pprint.pprint(run())
