"""How familiar a picture is to a model: a score measured in the same forward pass as the
answer, and a threshold calibrated on held-out pictures, saved as plain data beside a weight.

A model answers every picture, even one unlike anything it was trained on (a photo given to a
digit classifier); this says when its answer is a guess. Two scores, higher meaning stranger:

- ``"energy"`` (Liu et al. 2020, *Energy-based out-of-distribution detection*): minus the
  log-sum-exp of a classifier's logits. A classifier's logits are one of its two outputs, so it
  costs nothing. On MNIST classifiers it separated photos and Tux Paint stamps from MNIST test
  digits better than the maximum softmax probability and than a Mahalanobis distance on the
  penultimate features (see ``scripts/calibrate_familiarity.py`` and the README).
- ``"mahalanobis"``: the Mahalanobis distance of a feature vector (a captioner's image features
  averaged over the grid) to the mean of the training pictures' features, with their covariance
  (one Gaussian; with ``class_means`` the nearest of several, shared covariance: Lee et al.
  2018).

The threshold is the score that a chosen share of held-out in-domain pictures exceeds (the
false-alarm rate, 5% by default); :attr:`Familiarity.quantiles` turns a score into the
``familiarity`` a person reads: the share of held-out in-domain pictures at least as strange
(1.0: as ordinary as they come; below the false-alarm rate: flagged).

Files beside the weight: ``familiarity.json`` (method, threshold, quantiles, the figures of the
calibration, the SHA-256 of the arrays and of the weights file it was measured with) and, for
``"mahalanobis"``, ``familiarity.npz`` (plain float arrays, read without pickle). A weight without them has no familiarity signal: its answers
carry ``familiar=None``, and so do weights other than the ones calibrated (retrained ones
published over the same folder: a warning says so). Loading checks every key and array, and
the arrays' hash.

Example:
    >>> import numpy as np
    >>> fam = Familiarity.calibrate("energy", in_domain=np.arange(100.0), false_alarm_rate=0.05)
    >>> fam.threshold, fam.familiar(np.array([10.0, 99.5])).tolist()
    (94.05, [True, False])
"""

import io
import math
import pathlib
import warnings

import numpy as np

from zoo._hashing import sha256_bytes, sha256_file
from zoo._io import read_json, write_bytes, write_json
from zoo._naming import shown
from zoo.errors import DataError

FILE = "familiarity.json"
ARRAYS_FILE = "familiarity.npz"
FORMAT = "zoo-familiarity/1"
METHODS = ("energy", "mahalanobis")
FALSE_ALARM_RATE = 0.05
GUESS_NOTE = "this picture looks unlike the training data; the answer is a guess"
WEIGHTS_FILE = "model.weights.h5"  # zoo.saving.WEIGHTS_FILE: the weights it was calibrated on
_QUANTILES = 201  # stored in-domain score quantiles (every 0.5%)
_MAX_DIM = 4096


# -- the scores ----------------------------------------------------------------------------------

def energy(logits):
    """Minus the log-sum-exp of each row of ``logits`` (float64): higher is stranger."""
    logits = np.asarray(logits, dtype=np.float64)
    top = logits.max(axis=-1, keepdims=True)
    return -(top[..., 0] + np.log(np.exp(logits - top).sum(axis=-1)))


def max_softmax(logits):
    """Minus the largest softmax probability of each row (the usual baseline)."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return -(shifted.max(axis=-1) / shifted.sum(axis=-1))


def fit_gaussian(features, labels=None, *, ridge=1e-4):
    """Mean(s) and the inverse covariance's Cholesky factor of ``features`` ``(n, d)``: one
    Gaussian, or with ``labels`` one mean per class and their shared covariance. ``ridge``
    times the mean variance is added to the diagonal (a few directions barely vary)."""
    features = np.asarray(features, dtype=np.float64)
    if labels is None:
        means = features.mean(axis=0, keepdims=True)
        centred = features - means
    else:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        means = np.stack([features[labels == c].mean(axis=0) for c in classes])
        centred = features - means[np.searchsorted(classes, labels)]
    cov = centred.T @ centred / max(len(features) - 1, 1)
    cov += ridge * float(np.trace(cov)) / len(cov) * np.eye(len(cov))
    # the precision P = L L^T: the distance is |L^T (x - mean)|^2
    factor = np.linalg.cholesky(np.linalg.inv(cov))
    return {"means": means.astype(np.float32), "whitener": factor.astype(np.float32)}


def mahalanobis(features, means, whitener):
    """The squared Mahalanobis distance of each row of ``features`` to the nearest mean."""
    features = np.asarray(features, dtype=np.float64)
    best = None
    for mean in np.asarray(means, dtype=np.float64):
        z = (features - mean) @ np.asarray(whitener, dtype=np.float64)
        distance = (z * z).sum(axis=-1)
        best = distance if best is None else np.minimum(best, distance)
    return best


# -- the calibrated signal -----------------------------------------------------------------------

class Familiarity:
    """A calibrated familiarity signal: the method, its arrays, the threshold and the figures.

    Attributes:
        method: one of :data:`METHODS`.
        threshold: scores above it are flagged (unfamiliar).
        quantiles: the held-out in-domain scores' quantiles, 0% to 100% (for
            :meth:`familiarity`).
        arrays: ``{"means", "whitener"}`` for ``"mahalanobis"``, else empty.
        calibration: plain data: the data used, the false-alarm rate, the detection rates.
    """

    def __init__(self, method, threshold, quantiles, *, arrays=None, calibration=None):
        self.method = method
        self.threshold = float(threshold)
        self.quantiles = np.asarray(quantiles, dtype=np.float64)
        self._levels = np.linspace(0.0, 1.0, len(self.quantiles))  # what each quantile is
        self.arrays = dict(arrays or {})
        self.calibration = dict(calibration or {})

    @classmethod
    def calibrate(cls, method, in_domain, *, false_alarm_rate=FALSE_ALARM_RATE, arrays=None,
                  calibration=None):
        """The signal whose threshold flags ``false_alarm_rate`` of the held-out in-domain
        scores ``in_domain``."""
        in_domain = np.asarray(in_domain, dtype=np.float64)
        threshold = float(np.quantile(in_domain, 1.0 - float(false_alarm_rate)))
        quantiles = np.quantile(in_domain, np.linspace(0.0, 1.0, _QUANTILES))
        return cls(method, threshold, quantiles, arrays=arrays,
                   calibration=dict(calibration or {}, false_alarm_rate=float(false_alarm_rate)))

    def score(self, *, logits=None, features=None):
        """The strangeness scores of a batch from the model's own outputs (higher: stranger)."""
        if self.method == "energy":
            return energy(logits)
        return mahalanobis(features, self.arrays["means"], self.arrays["whitener"])

    def familiar(self, scores):
        """Whether each score is within the threshold."""
        return np.asarray(scores) <= self.threshold

    def familiarity(self, scores):
        """The share of held-out in-domain pictures at least as strange as each score (0-1)."""
        scores = np.asarray(scores, dtype=np.float64)
        if len(self._levels) != len(self.quantiles):
            self._levels = np.linspace(0.0, 1.0, len(self.quantiles))
        below = np.interp(scores, self.quantiles, self._levels, left=0.0, right=1.0)
        return 1.0 - below

    def needs(self):
        """What the model must give beside its answer: ``"logits"`` or ``"features"``."""
        return "logits" if self.method == "energy" else "features"

    def record_figures(self):
        """What a weight's record keeps of the calibration: the method, the threshold, the
        false-alarm rate, the detection rates, the data used (the comparison of methods stays in
        ``familiarity.json``)."""
        figures = {k: v for k, v in self.calibration.items() if k != "methods_compared"}
        return dict(figures, method=self.method, threshold=self.threshold)

    # -- as files --------------------------------------------------------------------------------

    def save(self, directory):
        """Write ``familiarity.json`` (and ``familiarity.npz`` when there are arrays) into
        ``directory``; returns the paths written."""
        directory = pathlib.Path(directory)
        written = []
        data = {"format": FORMAT, "method": self.method, "threshold": self.threshold,
                "quantiles": [float(q) for q in self.quantiles],
                "calibration": self.calibration}
        if (directory / WEIGHTS_FILE).is_file():
            data["weights_sha256"] = sha256_file(directory / WEIGHTS_FILE)
        if self.arrays:
            path = directory / ARRAYS_FILE
            buffer = io.BytesIO()
            np.savez(buffer, **{k: np.asarray(v, np.float32)
                                for k, v in sorted(self.arrays.items())})
            write_bytes(path, buffer.getvalue())
            data["arrays"] = {"file": ARRAYS_FILE, "sha256": sha256_bytes(buffer.getvalue())}
            written.append(path)
        write_json(directory / FILE, data)
        return [directory / FILE] + written

    @classmethod
    def load(cls, directory):
        """The signal saved in ``directory``, or ``None`` when it has none; a damaged or
        altered file is a :class:`DataError` naming it."""
        directory = pathlib.Path(directory)
        path = directory / FILE
        if not path.is_file():
            return None
        data = read_json(path, what="familiarity calibration")

        def bad(key, wanted):
            raise DataError(f"{shown(path)}: damaged familiarity calibration: {key!r} must be "
                            f"{wanted}; restore the weight's files or run "
                            "scripts/calibrate_familiarity.py again")

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            bad("format", repr(FORMAT))
        if data.get("method") not in METHODS:
            bad("method", " or ".join(map(repr, METHODS)))
        threshold = data.get("threshold")
        if not _finite(threshold):
            bad("threshold", "a finite number")
        quantiles = data.get("quantiles")
        if not (isinstance(quantiles, list) and 2 <= len(quantiles) <= 10_000
                and all(_finite(q) for q in quantiles)
                and all(a <= b for a, b in zip(quantiles, quantiles[1:]))):
            bad("quantiles", "a rising list of finite numbers")
        if not isinstance(data.get("calibration", {}), dict):
            bad("calibration", "an object")
        weights = directory / WEIGHTS_FILE
        if weights.is_file() and data.get("weights_sha256") != sha256_file(weights):
            warnings.warn(f"{shown(path)} was calibrated on other weights than "
                          f"{shown(weights)}; the answers say nothing about familiarity (run "
                          "scripts/calibrate_familiarity.py on these weights)", stacklevel=2)
            return None
        arrays = {}
        if data["method"] == "mahalanobis":
            arrays = _read_arrays(directory, data.get("arrays"), bad)
        return cls(data["method"], threshold, quantiles, arrays=arrays,
                   calibration=data.get("calibration") or {})


def save_beside(signal, directory):
    """Write ``signal``'s files beside the weights in ``directory`` (bound to the weights file
    there, so write it after them), or, when ``signal`` is ``None``, remove a calibration left
    there by other weights; returns the paths written."""
    if signal is not None:
        return signal.save(directory)
    for stale in (FILE, ARRAYS_FILE):
        (pathlib.Path(directory) / stale).unlink(missing_ok=True)
    return []


def _finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value)


def _read_arrays(directory, entry, bad):
    """The Mahalanobis arrays, their file's hash and every shape checked."""
    if not (isinstance(entry, dict) and entry.get("file") == ARRAYS_FILE
            and isinstance(entry.get("sha256"), str)):
        bad("arrays", f"{{\"file\": {ARRAYS_FILE!r}, \"sha256\": ...}}")
    path = directory / ARRAYS_FILE
    if not path.is_file():
        raise DataError(f"{shown(path)} is missing; the familiarity calibration needs it "
                        "(restore the weight's files)")
    if sha256_file(path) != entry["sha256"]:
        raise DataError(f"{shown(path)}: its SHA-256 differs from {FILE}'s; the file was "
                        "changed or damaged: restore the weight's files")
    try:
        with np.load(path, allow_pickle=False) as store:
            arrays = {key: np.asarray(store[key]) for key in ("means", "whitener")}
    except (OSError, ValueError, KeyError) as err:
        raise DataError(f"{shown(path)}: not the familiarity arrays ({err})") from None
    means, whitener = arrays["means"], arrays["whitener"]
    if not (means.ndim == 2 and whitener.ndim == 2 and 1 <= means.shape[1] <= _MAX_DIM
            and whitener.shape == (means.shape[1], means.shape[1]) and len(means) <= 10_000
            and all(a.dtype.kind == "f" and np.isfinite(a).all() for a in (means, whitener))):
        raise DataError(f"{shown(path)}: the arrays have the wrong shapes or values (means "
                        "(k, d) and whitener (d, d), finite floats); restore the weight's files")
    return arrays
