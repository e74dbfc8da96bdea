"""The sections of ``benchmarks/speed.py``, one module each (``speed.py`` is the command).

- ``common``: the data, the models, the alternating timers and the child processes'
  helpers that every section (and ``speed_ab.py``, through ``speed.py``) uses;
- ``training``: ``training`` and ``profile`` (where the focal fit's time goes);
- ``anchors``: CatBoost's ``Focal`` and imbalance-xgboost against their logistic losses;
- ``kernels``: ``kernel`` (the kernel alone), ``fallback`` (the numpy kernels) and
  ``isa`` (the instruction-set builds);
- ``memory``: ``memory`` (peak RSS) and ``memprofile`` (tracemalloc);
- ``first_call``: ``compile`` (import and first calls);
- ``proba``: ``proba`` (``predict_proba``) and ``proba-kernel`` (the posterior map alone).

Each section has a ``*_section(opts)`` function returning its Markdown lines and raw
records; ``speed.py`` runs the ones asked for, in its order.
"""
