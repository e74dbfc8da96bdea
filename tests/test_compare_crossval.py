"""Worker processes of ``boostfocal compare --n-jobs``: Ctrl-C is the parent's job."""

import signal

from boostfocal.compare import _crossval


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
