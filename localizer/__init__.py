"""DeepLocalize (Wardat, Le, Rajan, ICSE 2021) for Keras 3: fault localization while training.

>>> from localizer import DeepLocalize
>>> model.fit(x, y, callbacks=[DeepLocalize()])  # doctest: +SKIP
"""

from baselines.base import Finding
from localizer.deeplocalize import CODES, DeepLocalize, FaultDetected
from localizer.probe import UnsupportedModelError

__all__ = ["CODES", "DeepLocalize", "FaultDetected", "Finding", "UnsupportedModelError"]
