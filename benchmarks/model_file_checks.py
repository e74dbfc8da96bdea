"""What checking a model file costs ``load_model`` on a 1,000-tree model.

For XGBoost JSON, XGBoost UBJSON and LightGBM text files of a 1,000-tree focal model
(binary, 20,000 rows x 20 features; XGBoost depth 6, LightGBM 31 leaves), the arms, run
alternating in one process, medians over the repeats:

- ``unchecked load``: what a load costs without the checks: the booster library's own
  load (``XGBClassifier.load_model`` / ``lightgbm.Booster(model_str=...)``) plus reading
  the boostfocal metadata from the booster (XGBoost) or the text (LightGBM);
- ``load_model``: the estimator's ``load_model`` (parse, tree check, metadata check, the
  booster's own load, the state swap);
- the parts of the check: parsing the file in Python (JSON, boostfocal's UBJSON reader,
  UTF-8 text) and the tree check on the parsed document;
- XGBoost only, the alternative not taken: load the file into a booster first, then
  check the trees of ``booster.save_raw("ubj")`` before any prediction. (Not taken:
  XGBoost's own UBJSON reader crashes on some truncated files, and the trees would not
  be checked before XGBoost reads them.)

Run: ``PYTHONPATH=. python benchmarks/model_file_checks.py [--repeats 7]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import lightgbm as lgb
import xgboost as xgb
from sklearn.datasets import make_classification

from boostfocal._shared import model_files, model_io
from boostfocal.lightgbm import FocalLGBMClassifier
from boostfocal.lightgbm._tree_check import check_lightgbm_text
from boostfocal.xgboost import FocalXGBClassifier
from boostfocal.xgboost._tree_check import check_xgboost_document

N_TREES = 1000


def fit_models(tmp: str) -> dict[str, str]:
    X, y = make_classification(n_samples=20_000, n_features=20, n_informative=10,
                               weights=[0.9], random_state=0)
    paths = {}
    xgb_est = FocalXGBClassifier(n_estimators=N_TREES, max_depth=6, learning_rate=0.05,
                                 n_jobs=2).fit(X, y)
    for fmt in ("json", "ubj"):
        paths[f"XGBoost {fmt.upper()}"] = os.path.join(tmp, f"m.{fmt}")
        xgb_est.save_model(paths[f"XGBoost {fmt.upper()}"])
    lgb_est = FocalLGBMClassifier(n_estimators=N_TREES, num_leaves=31, learning_rate=0.05,
                                  n_jobs=2, verbose=-1).fit(X, y)
    paths["LightGBM text"] = os.path.join(tmp, "m.txt")
    lgb_est.save_model(paths["LightGBM text"])
    return paths


def xgb_unchecked(path: str) -> None:
    est = xgb.XGBClassifier()
    est.load_model(path)
    json.loads(est.get_booster().attr(model_io.META_KEY))


def xgb_load_then_check(path: str) -> None:
    booster = xgb.Booster()
    booster.load_model(path)
    raw = bytes(booster.save_raw("ubj"))
    check_xgboost_document(model_files.parse_ubjson(raw, path), path)


def xgb_parse(path: str) -> dict:
    with open(path, "rb") as f:
        data = f.read()
    return model_files.xgboost_document(data, model_files.sniff(data), path)


def lgb_unchecked(path: str) -> None:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lgb.Booster(model_str=text)
    json.loads(model_io.lgbm_meta_from_text(text))


def lgb_parse(path: str) -> str:
    with open(path, "rb") as f:
        return model_files.lightgbm_text(f.read(), path)


def arms(name: str, path: str) -> dict:
    if name.startswith("XGBoost"):
        doc = xgb_parse(path)
        return {"unchecked load": lambda: xgb_unchecked(path),
                "load_model": lambda: FocalXGBClassifier().load_model(path),
                "parse": lambda: xgb_parse(path),
                "tree check": lambda: check_xgboost_document(doc, path),
                "load, then check": lambda: xgb_load_then_check(path)}
    text = lgb_parse(path)
    return {"unchecked load": lambda: lgb_unchecked(path),
            "load_model": lambda: FocalLGBMClassifier().load_model(path),
            "parse": lambda: lgb_parse(path),
            "tree check": lambda: check_lightgbm_text(text, path)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = fit_models(tmp)
        print(f"{N_TREES}-tree binary focal models; medians of {args.repeats} alternating "
              "repeats, milliseconds")
        print(f"{'file':<15} {'MB':>6} {'unchecked':>10} {'load_model':>11} {'ratio':>6} "
              f"{'parse':>7} {'trees':>7} {'load, then check':>17}")
        for name, path in paths.items():
            fns = arms(name, path)
            times: dict[str, list[float]] = {k: [] for k in fns}
            for _ in range(args.repeats):
                for key, fn in fns.items():
                    start = time.perf_counter()
                    fn()
                    times[key].append(1e3 * (time.perf_counter() - start))
            med = {k: statistics.median(v) for k, v in times.items()}
            size = os.path.getsize(path) / 1e6
            print(f"{name:<15} {size:>6.1f} {med['unchecked load']:>10.1f} "
                  f"{med['load_model']:>11.1f} "
                  f"{med['load_model'] / med['unchecked load']:>6.2f} {med['parse']:>7.1f} "
                  f"{med['tree check']:>7.1f} "
                  f"{med.get('load, then check', float('nan')):>17.1f}")


if __name__ == "__main__":
    main()
