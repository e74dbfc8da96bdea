"""When does Ctrl-C (SIGINT) or SIGTERM reach ``boostfocal compare`` as its one line?

Starts the installed ``boostfocal`` console script on a small generated CSV, sends the
signal a fixed delay after the process starts, and records the exit status and whether
stderr is exactly the command's one line (``boostfocal: interrupted`` / ``terminated``)
with nothing left in ``--out``. Also times, for the command started with no signal, how
long the interpreter takes before the command module's first statement runs (from
``python -X importtime``: everything imported before ``boostfocal.compare._signals``).

    python benchmarks/ctrl_c_timing.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DELAYS_MS = (0, 5, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 2000, 4000)
SIGNALS = {"SIGINT": (signal.SIGINT, "boostfocal: interrupted", 130),
           "SIGTERM": (signal.SIGTERM, "boostfocal: terminated", 143)}


def _command() -> list[str]:
    exe = shutil.which("boostfocal")
    if exe is None:
        sys.exit("the boostfocal command is not on PATH: pip install -e '.[cli]' first")
    return [exe]


def _data(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=(n, 5))
    y = np.where(x[:, 0] + rng.normal(size=n) > 1.5, "yes", "no")
    path = folder / "data.csv"
    pd.DataFrame(x, columns=[f"x{i}" for i in range(5)]).assign(y=y).to_csv(path,
                                                                            index=False)
    return path


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def one(command: list[str], data: Path, out: Path, sig: int, delay_s: float
        ) -> tuple[int, str, bool]:
    """Exit status, stderr, and whether anything was left in --out."""
    proc = subprocess.Popen([*command, "compare", str(data), "--target", "y", "--out",
                             str(out), "--n-estimators", "50", "--folds", "3"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_default_signals)
    time.sleep(delay_s)
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    _, err = proc.communicate(timeout=300)
    left = out.exists() and any(out.iterdir())
    return proc.returncode, err, left


def startup_ms(command: list[str]) -> float:
    """Milliseconds of imports before the command module's first statement (importtime)."""
    res = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "import boostfocal.compare.cli"], capture_output=True, text=True)
    total = 0
    for line in res.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us = line.split("|")[0].split(":")[1].strip()
        if "boostfocal.compare._signals" in line:
            break
        if self_us.isdigit():
            total += int(self_us)
    return total / 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    command = _command()
    print(f"imports before the handler (python -X importtime, self times summed): "
          f"{startup_ms(command):.1f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        data = _data(Path(tmp))
        print(f"{'signal':8} {'delay ms':>8}  outcome (status, one line?) per repeat")
        for name, (sig, line, status) in SIGNALS.items():
            for delay in DELAYS_MS:
                outcomes = []
                for r in range(args.repeats):
                    out = Path(tmp) / f"out-{name}-{delay}-{r}"
                    code, err, left = one(command, data, out, sig, delay / 1000)
                    ok = err == line + "\n" and code == status and not left
                    outcomes.append(f"{code}{'' if ok else ' (' + repr(err[-60:]) + ')'}")
                print(f"{name:8} {delay:>8}  {', '.join(outcomes)}")


if __name__ == "__main__":
    main()
