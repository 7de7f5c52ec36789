"""One in-memory representation of a multichannel EMG recording.

The sampling rate travels with the samples, so no function is ever handed a wrong one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EMG:
    """Multichannel signal: ``data`` is channels x samples, ``rate`` in Hz.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_samples)
    rate : float
        Sampling rate in Hz.
    channels : tuple of str
        Channel names (canonical muscle codes after mapping, e.g. ``"VL"``).
    units : str
        Physical units of ``data`` (``"uV"``, ``"mV"``, ``"V"``, or after normalisation
        ``"fraction of reference"``).
    t0 : float
        Time of the first sample in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> emg = EMG(np.zeros((2, 1000)), rate=1000.0, channels=("VL", "TA"))
    >>> emg.duration
    1.0
    >>> emg["TA"].shape
    (1000,)
    """

    data: np.ndarray
    rate: float
    channels: tuple[str, ...]
    units: str = "uV"
    t0: float = 0.0
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        data = np.asarray(self.data, dtype=float)
        if data.ndim == 1:
            data = data[np.newaxis, :]
        if data.ndim != 2:
            raise ValueError(f"EMG data must be 2-D (channels x samples), got {data.ndim}-D")
        object.__setattr__(self, "data", data)
        object.__setattr__(self, "channels", tuple(str(c) for c in self.channels))
        if len(self.channels) != data.shape[0]:
            raise ValueError(
                f"{len(self.channels)} channel names for {data.shape[0]} channels of data"
            )
        if len(set(self.channels)) != len(self.channels):
            raise ValueError(f"duplicate channel names: {self.channels}")
        if not (np.isfinite(self.rate) and self.rate > 0):
            raise ValueError(f"sampling rate must be a positive number of Hz, got {self.rate}")
        object.__setattr__(self, "rate", float(self.rate))

    @property
    def n_samples(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        """Length of the recording in seconds."""
        return self.n_samples / self.rate

    @property
    def time(self) -> np.ndarray:
        """Time of each sample in seconds."""
        return self.t0 + np.arange(self.n_samples) / self.rate

    def __getitem__(self, channel: str) -> np.ndarray:
        return self.data[self.channels.index(channel)]

    def replace(self, data: np.ndarray, units: str | None = None) -> EMG:
        """A new recording with the same rate, channels and start time but new samples."""
        return EMG(
            data=data,
            rate=self.rate,
            channels=self.channels,
            units=self.units if units is None else units,
            t0=self.t0,
            meta=dict(self.meta),
        )

    def select(self, channels: list[str] | tuple[str, ...]) -> EMG:
        """A recording holding only ``channels``, in that order."""
        idx = [self.channels.index(c) for c in channels]
        return EMG(self.data[idx], self.rate, tuple(channels), self.units, self.t0, dict(self.meta))

    def index_at(self, t: float | np.ndarray) -> np.ndarray:
        """Nearest sample index for time(s) ``t`` in seconds."""
        return np.rint((np.asarray(t, dtype=float) - self.t0) * self.rate).astype(int)
