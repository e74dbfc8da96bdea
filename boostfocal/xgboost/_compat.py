"""XGBoost's private internals and version differences that boostfocal depends on.

Everything boostfocal uses from XGBoost beyond its public API is named here, with the
versions it was checked on: XGBoost 3.2.0 (the newest tested) and 3.0.0 (the oldest
declared in ``pyproject.toml``, which the smoke suite in ``tests/smoke`` runs).

Besides the names below, the estimators rely on two behaviours of ``XGBModel`` (checked
on 3.2.0 and 3.0.0): ``get_params`` walks the first base class that defines
``get_params`` (so a boostfocal mixin must stand alone before the XGBoost class, see
``XGBFocalMixin``), and ``XGBClassifier.fit`` checks ``classes_`` against
``arange(n_classes_)`` (the in-memory estimator reports encoded classes while it runs).
"""

from __future__ import annotations

from .._estimator_core._compat import version_tuple
from .._optional import import_optional

xgb = import_optional("xgboost", "xgboost")

#: XGBoost >= 3.1 takes one ``base_score`` per class for ``multi:softprob``: the
#: multiclass start can live in the booster. Older versions take a scalar only
#: (checked on 3.2.0: a list; 3.0.0: a scalar).
XGB_VECTOR_BASE_SCORE = version_tuple(xgb.__version__) >= (3, 1)

#: What ``XGBModel._get_type`` reads for a callable ``eval_metric`` and in
#: ``XGBModel.save_model``: the ``_estimator_type`` attribute, which scikit-learn >= 1.8
#: no longer defines (checked on 3.0.0, which raises ``TypeError`` without it; 3.2.0 falls
#: back to ``__sklearn_tags__``). The estimators set it as a class attribute.
ESTIMATOR_TYPE = "classifier"
