"""Joint kinematics: sagittal-plane joint angles from C3D model outputs, cut into each leg's
gait cycles like the EMG, time-normalised, and their per-cycle features."""

from analysis.kinematics.angles import (
    ANGLE_CURVE_SCHEMA,
    ANGLE_FEATURE_SCHEMA,
    JOINTS,
    angle_curves,
    angle_features,
    sagittal_angles,
)

__all__ = [
    "ANGLE_CURVE_SCHEMA",
    "ANGLE_FEATURE_SCHEMA",
    "JOINTS",
    "angle_curves",
    "angle_features",
    "sagittal_angles",
]
