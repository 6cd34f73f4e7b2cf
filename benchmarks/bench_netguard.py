"""Cost of the no-network guard (posturecheck/adapters/netguard.py), side by side.

    python benchmarks/bench_netguard.py                # the bundled samples, 2 rounds
    python benchmarks/bench_netguard.py --rounds 3 VIDEO...

Prints, each measured in fresh child interpreters, alternating guard on/off so that load from
other processes hits both alike:

* a syscall loop (``os.getppid`` x 1e6, CPU time): the filter runs on every syscall, so this is
  its worst case;
* the real ``analyze`` command on the inputs (``--fps 2``, 1 worker), CPU seconds (user+sys).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_SYSCALLS = """
import os, time
{guard}
t = time.process_time()  # CPU time: other jobs' load preempts a wall-clock loop
for _ in range(1_000_000):
    os.getppid()
print(time.process_time() - t)
"""

_ANALYZE = """
import resource, sys
from posturecheck.adapters import estimator
if {off!r}:
    estimator.keep_mediapipe_offline = lambda: None
from posturecheck.cli.main import main
rc = main(sys.argv[1:])
r = resource.getrusage(resource.RUSAGE_SELF)
print(r.ru_utime + r.ru_stime, file=sys.stderr)
sys.exit(rc)
"""


def _py(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", default=[str(REPO / "samples")])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--syscalls-only", action="store_true", help="skip the analyze runs")
    args = ap.parse_args()
    guard = "from posturecheck.adapters import netguard; assert netguard.block_network().active"
    res: dict[str, list[float]] = {k: [] for k in ("sys_on", "sys_off", "cpu_on", "cpu_off")}
    for _ in range(args.rounds):
        for on in (True, False):
            out = _py(_SYSCALLS.format(guard=guard if on else ""))
            res["sys_on" if on else "sys_off"].append(float(out.stdout) * 1000)  # ns per call
            if args.syscalls_only:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                p = _py(
                    _ANALYZE.format(off=not on),
                    *("analyze", "-q", "--fps", "2", "--workers", "1", "--force"),
                    *(*args.inputs, "--out", tmp),
                )
            res["cpu_on" if on else "cpu_off"].append(float(p.stderr.strip().splitlines()[-1]))
    med = {k: statistics.median(v) if v else float("nan") for k, v in res.items()}
    print(json.dumps({"runs": res, "median": med}, indent=1))
    line = (
        f"syscall: {med['sys_on']:.0f} ns guarded vs {med['sys_off']:.0f} ns "
        f"({med['sys_on'] - med['sys_off']:+.0f} ns)"
    )
    if not args.syscalls_only:
        line += (
            f"; analyze CPU: {med['cpu_on']:.1f} s vs {med['cpu_off']:.1f} s "
            f"({100 * (med['cpu_on'] / med['cpu_off'] - 1):+.1f} %)"
        )
    print(line)


if __name__ == "__main__":
    main()
