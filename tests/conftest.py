import sys
from pathlib import Path

import pytest

# Make tests/reference.py importable as ``reference`` from every test module.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="module")
def dask_client():
    """An in-process Dask cluster for one test module: one worker, one thread.

    One worker: LightGBM's network is per process, and one worker makes the Dask
    estimators train exactly the in-memory models. Skips without dask, distributed or
    pyarrow (which dask.dataframe imports).
    """
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=":0", silence_logs=40)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
