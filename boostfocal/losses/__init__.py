"""Loss objects: the single home of boostfocal's math."""

from .focal import FocalLoss
from .ghm import GHMLoss
from .softmax_focal import SoftmaxFocalLoss

__all__ = ["FocalLoss", "GHMLoss", "SoftmaxFocalLoss"]
