"""The biomechZoo sample (``../shared/data/biomechzoo_sample``): where it is and how to read it.

Twelve adults walking straight and turning, recorded with Vicon (C3D: EMG of both legs, force
plates, markers, Plug-in Gait angles). Tests copy the files to a temporary folder, never into
the repository, and skip with the reason when the folder is absent.
"""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RETROWALK_SHARED_DATA", REPO.parent / "shared" / "data"))
BIOMECHZOO = SHARED / "biomechzoo_sample"

# the C3D analog labels of both legs and the muscle codes they map to
CHANNELS = {"Tib Ant": "TA", "Gast": "GAS", "Hams": "HAM", "Rect": "RF", "Tib Post": "TP"}
CHANNEL_MAP = {
    **{f"{s} {name}": f"{s}_{code}" for s in "LR" for name, code in CHANNELS.items()},
    "L Spare": None,
    "R Spare": None,
}
# the files' stored events are not used: six files store none, some lie outside the frames
EVENTS = {"source": ["forceplate", "markers"], "forceplate": {"on_n": 20, "off_n": 10}}


def require_zoo() -> Path:
    """The sample's folder, or a skip that says where it was looked for."""
    if not BIOMECHZOO.is_dir():
        pytest.skip(f"biomechZoo sample recordings not available at {BIOMECHZOO}")
    return BIOMECHZOO
