"""Loss objects: the single home of boostfocal's math.

``focal``, ``softmax_focal`` and ``ghm`` hold the losses; ``base`` the API they share
(scikit-learn's ``sklearn/_loss`` convention) and ``link`` the links from raw predictions
to probabilities; ``_kernels/`` the fused kernels behind the focal losses (compiled C,
with a numpy fallback) and the generator of their polynomial coefficients.
"""

# The kernels are chosen at import: the compiled extension, or the numpy fallback with
# one warning that says so (see _kernels/__init__.py).
from . import _kernels  # noqa: F401
from .focal import FocalLoss
from .ghm import GHMLoss
from .softmax_focal import SoftmaxFocalLoss

__all__ = ["FocalLoss", "GHMLoss", "SoftmaxFocalLoss"]
