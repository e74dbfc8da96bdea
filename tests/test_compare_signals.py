"""Ctrl-C and SIGTERM in ``boostfocal compare``: one line and 130/143 at every moment."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from boostfocal.compare import _signals

pd = pytest.importorskip("pandas")
pytest.importorskip("xgboost")

posix = pytest.mark.skipif(os.name != "posix", reason="POSIX signals to a child process")


def _default_signals() -> None:
    """In the child: SIGINT and SIGTERM as a terminal gives them, whatever this process
    inherited (a suite started with ``nohup ... &`` runs with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture(scope="module")
def data_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + 0.5 * rng.normal(size=n) > 1.2, "yes", "no")
    path = tmp_path_factory.mktemp("data") / "churn.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "churn": y}).to_csv(path,
                                                                              index=False)
    return path


def _spawn(prelude: str, argv: list[str], returned: Path | None = None) -> subprocess.Popen:
    """Run ``main(argv)`` in a child, after ``prelude``; with ``returned``, the time at
    which main returned is written there."""
    script = textwrap.dedent(prelude) + textwrap.dedent(f"""
        import sys, time
        from boostfocal.compare.cli import main
        status = main({argv!r})
        returned = {None if returned is None else str(returned)!r}
        if returned is not None:
            with open(returned, "w") as fh:
                fh.write(repr(time.time()))
        sys.exit(status)
    """)
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_signals)


def _argv(data_file: Path, out: Path, *extra: str) -> list[str]:
    return ["compare", str(data_file), "--target", "churn", "--out", str(out), *extra]


# A meta-path finder that sends a signal to the process when a module starts loading.
SIGNAL_ON_IMPORT = """
    import importlib.abc, os, signal, sys

    class Signal(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == {module!r}:
                os.kill(os.getpid(), signal.{sig})
            return None

    sys.meta_path.insert(0, Signal())
"""


@posix
@pytest.mark.parametrize(("sig", "line", "status"), [("SIGINT", "interrupted", 130),
                                                     ("SIGTERM", "terminated", 143)])
@pytest.mark.parametrize("module", ["boostfocal.compare._args", "pandas"])
def test_signal_while_the_command_starts_is_one_line(data_file, tmp_path, sig, line,
                                                     status, module):
    """While the command module itself loads (before main) and during the heavy imports."""
    proc = _spawn(SIGNAL_ON_IMPORT.format(module=module, sig=sig),
                  _argv(data_file, tmp_path / "out"))
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == status, stderr
    assert stderr == f"boostfocal: {line}\n"
    assert stdout == ""
    assert not (tmp_path / "out").exists()


@posix
@pytest.mark.parametrize("n_jobs", ["1", "2"])
def test_sigterm_during_training_leaves_nothing(data_file, tmp_path, n_jobs):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("mine")
    proc = _spawn("", _argv(data_file, out, "--n-estimators", "300", "--folds", "2",
                            "--gammas", "0,1,2,3", "--n-jobs", n_jobs))
    lines = []
    for text in proc.stderr:
        lines.append(text)
        if "[1/" in text:
            os.killpg(proc.pid, signal.SIGTERM)
            break
    _, rest = proc.communicate(timeout=120)
    stderr = "".join(lines) + rest
    assert proc.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "boostfocal: terminated"
    assert "Traceback" not in stderr
    assert [p.name for p in out.iterdir()] == ["mine.txt"]  # no .partial folder either


# Every fit of the run does what XGBoost does with a Ctrl-C that lands inside one of its
# C callbacks (building a DMatrix): the KeyboardInterrupt raised in the callback is
# dropped ("Exception ignored"), and the fit goes on, here to a later failure or to its
# end. The time the first fit ends is written to a file.
SWALLOWED = """
    import ctypes, os, signal, time
    from boostfocal.compare import _entries

    real_build = _entries.build
    CALLBACK = ctypes.CFUNCTYPE(None)

    def ctrl_c_in_a_c_callback():
        os.kill(os.getpid(), signal.SIGINT)

    class Swallowing:
        def __init__(self, model):
            self.model = model

        def fit(self, *args, **kwargs):
            CALLBACK(ctrl_c_in_a_c_callback)()  # the interrupt is raised and dropped here
            time.sleep(0.3)                       # the fit goes on
            with open({stamp!r}, "w") as fh:
                fh.write(repr(time.time()))
            if {fail!r}:
                raise RuntimeError("XGBoostError: the data iterator failed")
            return self.model.fit(*args, **kwargs)

        def predict_proba(self, X):
            return self.model.predict_proba(X)

    def build(*args, **kwargs):
        model, fit_kwargs = real_build(*args, **kwargs)
        return Swallowing(model), fit_kwargs

    _entries.build = build
"""


@posix
@pytest.mark.parametrize("fail", [True, False])
def test_an_interrupt_a_library_swallows_stops_the_run_after_the_fit(data_file, tmp_path,
                                                                     fail):
    stamp, returned = tmp_path / "fit_end", tmp_path / "main_returned"
    out = tmp_path / "out"
    proc = _spawn(SWALLOWED.format(stamp=str(stamp), fail=fail),
                  _argv(data_file, out, "--n-estimators", "5", "--folds", "2"), returned)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr == "boostfocal: interrupted\n"  # no "Exception ignored", no traceback
    assert "failed" not in stdout
    assert not out.exists()
    # It stops right after the fit that swallowed it: the command has ended (run folder
    # removed, its line printed) within a second of that fit's end.
    assert float(returned.read_text()) - float(stamp.read_text()) < 1.0


# ------------------------------------------------------------------------ in-process
@pytest.fixture
def python_handlers():
    """SIGINT and SIGTERM as Python starts them in a terminal, whatever this process
    inherited (started with ``nohup ... &``, SIGINT is ignored, and stays ignored)."""
    saved = {sig: signal.getsignal(sig) for sig in _signals.SIGNALS}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def _run_handled(body):
    with _signals.handled():
        return body()


def test_handled_raises_and_records_then_restores(python_handlers):
    before = {sig: signal.getsignal(sig) for sig in _signals.SIGNALS}

    def interrupt():
        signal.raise_signal(signal.SIGTERM)

    with pytest.raises(_signals.Terminated):
        _run_handled(interrupt)
    assert _signals.message(_signals.Terminated()) == ("boostfocal: terminated", 143)
    assert _signals.message(KeyboardInterrupt()) == ("boostfocal: interrupted", 130)
    assert {sig: signal.getsignal(sig) for sig in _signals.SIGNALS} == before


def test_check_raises_what_was_swallowed_and_no_interrupt_holds_signals_off(python_handlers):
    def body():
        with _signals.no_interrupt():
            signal.raise_signal(signal.SIGINT)  # recorded, not raised, inside the block
            held = True
        assert held
        with pytest.raises(KeyboardInterrupt) as info:
            _signals.check()
        assert not isinstance(info.value, _signals.Terminated)
        return "finished"

    assert _run_handled(body) == "finished"
    with _signals.handled():
        _signals.check()  # a new run starts with nothing recorded


def test_json_results_are_unchanged_by_the_handlers(data_file, tmp_path, capsys,
                                                   python_handlers):
    from boostfocal.compare.cli import main

    before = signal.getsignal(signal.SIGINT)
    code = main(_argv(data_file, tmp_path / "out", "--n-estimators", "5", "--folds", "2",
                      "--gammas", "2", "--json"))
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert Path(doc["run_folder"]).is_dir()
    # The handlers main found are back, except the one that only serves until main runs.
    expected = signal.default_int_handler if before is _signals._exit_now else before
    assert signal.getsignal(signal.SIGINT) is expected
