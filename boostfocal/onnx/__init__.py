"""ONNX export: ``predict`` and ``predict_proba`` of a boostfocal estimator as an ONNX graph.

Needs ``pip install "boostfocal[onnx]"`` (onnx, onnxmltools, skl2onnx) and the booster
library of the model. ::

    from boostfocal.onnx import to_onnx

    model = to_onnx(clf)                       # a fitted boostfocal estimator
    with open("model.onnx", "wb") as f:
        f.write(model.SerializeToString())

    import onnxruntime as ort
    sess = ort.InferenceSession("model.onnx")
    label, proba = sess.run(None, {"X": X_test.astype("float32")})

``label`` equals ``clf.predict`` and ``proba`` equals ``clf.predict_proba``: the class
posterior, not the sigmoid/softmax of the margin that plain XGBoost and LightGBM
converters give for a focal model. The graph is onnxmltools' own tree ensemble of the
booster, read as raw margins (the starting score included), followed by the posterior
map of the fitted loss (``estimator.loss_``: ``gamma``, ``alpha``) in standard ONNX
operators, computed in double. See :func:`to_onnx`.

**Pipelines.** Importing this module registers the estimators with skl2onnx, so that a
scikit-learn ``Pipeline`` ending in a boostfocal estimator converts with skl2onnx::

    import boostfocal.onnx  # noqa: F401 (registers the converters)
    import skl2onnx

    model = skl2onnx.to_onnx(pipe, X_train[:1],
                             options={id(pipe[-1]): {"zipmap": False}})

With ``zipmap=False`` the outputs are ``label`` and ``probabilities``; skl2onnx's default
(``zipmap=True``) gives ``output_label`` and ``output_probability``, a list of
``{class: probability}`` dicts (integer or string classes only, as for every skl2onnx
classifier).
"""

from __future__ import annotations

from ._convert import MIN_OPSET, register_all, to_onnx

# Registration needs the estimator classes, so the installed backends are imported here.
for _backend in ("xgboost", "lightgbm"):
    try:
        __import__(f"boostfocal.{_backend}")
    except ImportError:  # that booster is not installed: nothing of it to convert
        pass
del _backend
register_all()

__all__ = ["to_onnx", "MIN_OPSET"]
