"""boostfocal's ``predict_proba`` from plain-library margins: a reference to port.

Plain XGBoost/LightGBM, treelite and ONNX exports of a boostfocal model file apply the
file's standard link (sigmoid/softmax) to the margins: that is the focal *confidence*,
not the class posterior P(y|x) that the estimator's ``predict_proba`` returns. This file
is the whole map from margins to ``predict_proba``, in plain numpy (no boostfocal, no
scipy), written to be read and ported to Java, Go, C#, ... The math is in
``docs/serving.md``; ``tests/test_serving.py`` checks this file against the estimators
to 1e-12. In Python, ``boostfocal.proba_from_margin(model_file, margins)`` does the same.

    python docs/portable_posterior.py MODEL_FILE MARGINS.npy

Margins as the plain library gives them: XGBoost ``Booster.predict(dmatrix,
output_margin=True)``, LightGBM ``Booster.predict(X, raw_score=True)``, treelite
``gtil.predict(model, X, pred_margin=True)``; shape (n,) or (n, 1) for two classes,
(n, K) for K classes. Columns of the result follow the metadata's ``classes``.
"""

import json
import sys

import numpy as np


def read_metadata(path):
    """The boostfocal metadata of an XGBoost JSON or a LightGBM text model file.

    XGBoost JSON: the string ``learner.attributes.boostfocal`` holds the JSON document
    (in a UBJSON ``.ubj`` file it is at the same place; decode it with any UBJSON reader).
    LightGBM text: the line starting with ``boostfocal:`` after the parameters section.
    """
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.startswith("{"):
        return json.loads(json.loads(text)["learner"]["attributes"]["boostfocal"])
    line = next(s for s in text.splitlines() if s.startswith("boostfocal:"))
    return json.loads(line[len("boostfocal:"):])


def softplus(x):
    """log(1 + e^x) without overflow."""
    return np.logaddexp(0.0, x)


def log_softplus(x):
    """log(softplus(x)), finite where softplus(x) underflows (x - e^x/2 below -20)."""
    tail, body = np.minimum(x, -20.0), np.maximum(x, -20.0)   # both branches stay finite
    return np.where(x < -20.0, tail - 0.5 * np.exp(tail), np.log(softplus(body)))


def posterior(meta, margins):
    """``predict_proba`` of the model ``meta`` describes, shape (n, K), from its margins."""
    z = np.asarray(margins, dtype=np.float64)
    if not meta["start_in_booster"]:        # the booster's margins lack the start: add it
        z = z + np.asarray(meta["init_score"], dtype=np.float64)
    loss = meta["loss"]                     # GHM-C and focal_proba="confidence": the plain
    plain = loss["kind"] == "ghm" or meta["params"].get("focal_proba") == "confidence"
    gamma = 0.0 if plain else float(loss["gamma"])  # link, i.e. gamma = 0 and no alpha
    alpha = None if plain else loss["alpha"]
    if len(meta["classes"]) == 2:           # two classes: margins (0, z), weights (1-a, a)
        z = np.column_stack([np.zeros(z.shape[0]), z.reshape(-1)])
        alpha = None if alpha is None else [1.0 - alpha, alpha]
    n, k = z.shape
    # L[:, j] = log((1 - q_j) / q_j) = logsumexp(z without column j) - z_j, q = softmax(z)
    big_l = np.empty((n, k))
    for j in range(k):
        others = np.delete(z, j, axis=1)
        top = others.max(axis=1)
        big_l[:, j] = top + np.log(np.exp(others - top[:, None]).sum(axis=1)) - z[:, j]
    # log g(q) with g(q) = (1-q)^gamma / q - gamma (1-q)^(gamma-1) log q, in terms of L:
    # (gamma - 1) log(1-q) + log((1-q)/q + gamma (-log q)); log(1-q) = -softplus(-L),
    # -log q = softplus(L). Both terms of the sum are positive: no cancellation.
    log_gamma = np.log(gamma) if gamma > 0.0 else -np.inf
    log_g = -(gamma - 1.0) * softplus(-big_l) + np.logaddexp(big_l,
                                                             log_gamma + log_softplus(big_l))
    # posterior_j proportional to 1 / (alpha_j g(q_j)): a softmax of -log alpha - log g
    t = -log_g - (0.0 if alpha is None else np.log(np.asarray(alpha, dtype=np.float64)))
    e = np.exp(t - t.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


if __name__ == "__main__":
    metadata = read_metadata(sys.argv[1])
    print(metadata["classes"])
    print(posterior(metadata, np.load(sys.argv[2])))
