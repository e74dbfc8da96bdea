"""Worker processes of ``boostfocal compare --n-jobs``: Ctrl-C is the parent's job."""

import signal

import pytest

from boostfocal.compare import _crossval


@pytest.fixture(autouse=True)
def sigint_as_in_a_terminal():
    """Python's own SIGINT handler in this process, and no worker process yet.

    A suite started in the background (``nohup pytest ... &``) runs with SIGINT ignored,
    and processes started from it inherit that: workers would then ignore SIGINT whether
    or not boostfocal asks them to, and the tests below would prove nothing. So each test
    runs as under a terminal, and with fresh workers (joblib keeps its loky workers
    between calls, and earlier ones may have started under the ignored SIGINT).
    """
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        get_reusable_executor().shutdown(wait=True)
        signal.signal(signal.SIGINT, previous)


def test_without_boostfocal_s_setup_workers_keep_python_s_handler():
    """The control: a plain loky worker (no initializer, no wrapper) has Python's
    handler, so the SIG_IGN seen in the tests below is boostfocal's doing."""
    import joblib

    with joblib.parallel_config(backend="loky"):
        out = joblib.Parallel(n_jobs=2)(joblib.delayed(signal.getsignal)(signal.SIGINT)
                                        for _ in range(2))
    assert out == [signal.default_int_handler] * 2


def test_workers_ignore_sigint_from_their_start():
    """A terminal's Ctrl-C reaches the workers too; each must ignore it before its first
    task and between tasks (a worker that took it printed a traceback from joblib's worker
    loop, in loky's memory check between two tasks). Called without the per-task wrapper:
    the initializer alone must do it."""
    import joblib

    seen = list(_crossval._parallel(2)(joblib.delayed(signal.getsignal)(signal.SIGINT)
                                       for _ in range(4)))
    assert seen == [signal.SIG_IGN] * 4


def test_the_tasks_of_compare_run_in_workers_that_ignore_sigint():
    seen = list(_crossval._execute([(signal.SIGINT,)] * 4, 2, function=signal.getsignal))
    assert seen == [signal.SIG_IGN] * 4


def test_the_main_process_keeps_its_sigint_handler_with_one_job():
    before = signal.getsignal(signal.SIGINT)
    seen = list(_crossval._execute([(signal.SIGINT,)], 1, function=signal.getsignal))
    assert seen == [before] and signal.getsignal(signal.SIGINT) is before


def test_a_worker_without_the_initializer_ignores_sigint_from_its_first_task():
    """The fallback for joblib < 1.3 (no initializer): each task sets it."""
    import joblib

    with joblib.parallel_config(backend="loky"):
        out = joblib.Parallel(n_jobs=2)(
            joblib.delayed(_crossval._in_worker)(signal.getsignal, signal.SIGINT)
            for _ in range(2))
    assert out == [signal.SIG_IGN] * 2
