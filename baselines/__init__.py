"""Debugging tools behind one :class:`~baselines.base.Detector` interface.

:data:`BUILTIN_DETECTORS` is the one in-tree mapping from tool name to ``"module:Class"``;
third-party tools register through the ``deeplocalize.detectors`` entry-point group.
"""

from baselines.base import Detector, Finding, StopEvent, Verdict

BUILTIN_DETECTORS: dict[str, str] = {
    "terminate_on_nan": "baselines.keras_builtin:TerminateOnNaNDetector",
    "early_stopping_loss": "baselines.keras_builtin:EarlyStoppingLossDetector",
    "early_stopping_accuracy": "baselines.keras_builtin:EarlyStoppingAccuracyDetector",
    "keras_union": "baselines.keras_builtin:KerasUnionDetector",
    "deeplocalize": "baselines.deeplocalize:DeepLocalizeDetector",
    "deeplocalize_released": "baselines.deeplocalize:DeepLocalizeReleasedDetector",
    "deeplocalize_bench": "baselines.deeplocalize:DeepLocalizeBenchDetector",
    "autotrainer": "baselines.autotrainer:AutoTrainerDetector",
    "deepdiagnosis": "baselines.deepdiagnosis:DeepDiagnosisDetector",
    "umlaut": "baselines.umlaut:UmlautDetector",
}

__all__ = ["BUILTIN_DETECTORS", "Detector", "Finding", "StopEvent", "Verdict"]
