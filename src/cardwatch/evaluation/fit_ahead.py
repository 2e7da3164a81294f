"""Fitting a replay's retrained models on the other core, ahead of when they are needed.

A retraining at time T fits on the rows whose labels are visible at T: rows at least a
label delay older than T, whose features the replay computed long before it reaches T.
So the fit can start as soon as the replay has passed those rows, in a worker process,
while the replay goes on scoring on this one; at T the replay takes the finished model.
The inputs are exactly those of a fit made at T (same rows, labels, seed), so the model
is the same one: only the wall-clock time changes.

The feature matrix lives in shared memory, written by the replay and read by the worker
(no copy per fit). One worker at most, fitting with :func:`training_threads` threads.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from cardwatch.training.fit import fit_artifact

__all__ = ["Fitter", "background_fitter", "inline_fitter"]

Artifact = dict[str, Any]
#: the worker's scheduling priority below the replay's (Unix nice increment)
_NICENESS = 5


class Fitter:
    """Fits models on the first rows of ``order`` in a feature matrix: ``submit`` a fit
    early, ``take`` its artifact when it is needed."""

    def __init__(
        self, features: NDArray[np.float32], labels: NDArray[np.int8], order: NDArray[np.int64]
    ) -> None:
        self.features, self.labels, self.order = features, labels, order
        self._pending: dict[int, Callable[[], Artifact]] = {}

    def submit(self, key: int, rows: int, seed: int, note: dict[str, Any]) -> None:
        """Fit on the rows ``order[:rows]`` (their features written by now)."""
        features, labels, chosen = self.features, self.labels, self.order[:rows]
        self._pending[key] = lambda: fit_artifact(
            features, labels, seed=seed, note=note, rows=chosen
        )

    def take(self, key: int) -> Artifact:
        return self._pending.pop(key)()

    def close(self) -> NDArray[np.float32]:
        """Stop; the feature matrix, now the caller's own."""
        return self.features


def inline_fitter(
    features: NDArray[np.float32], labels: NDArray[np.int8], order: NDArray[np.int64]
) -> Fitter:
    """Each fit made when its model is taken, in this process."""
    return Fitter(features, labels, order)


class _Background(Fitter):
    def __init__(
        self, shape: tuple[int, int], labels: NDArray[np.int8], order: NDArray[np.int64]
    ) -> None:
        size = max(1, int(np.prod(shape)) * np.dtype(np.float32).itemsize)
        self._memory: SharedMemory | None = SharedMemory(create=True, size=size)
        features: NDArray[np.float32] = np.ndarray(shape, np.float32, buffer=self._memory.buf)
        features[:] = 0.0
        super().__init__(features, labels, order)
        # a process of its own (not multiprocessing's): it needs nothing of the caller's
        # main module, and starts no OpenMP runtime in the caller
        self._worker = subprocess.Popen(  # noqa: S603 - this interpreter, this module
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._send((self._memory.name, shape, labels, order))
        self._done: dict[int, Artifact] = {}

    def _send(self, message: object) -> None:
        assert self._worker.stdin is not None
        pickle.dump(message, self._worker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        self._worker.stdin.flush()

    def submit(self, key: int, rows: int, seed: int, note: dict[str, Any]) -> None:
        self._send((key, rows, seed, note))  # a few bytes: the worker has the order

    def take(self, key: int) -> Artifact:
        assert self._worker.stdout is not None
        while key not in self._done:  # fits come back in the order they were asked for
            try:
                done, artifact = pickle.load(self._worker.stdout)  # noqa: S301 - our worker
            except EOFError:
                raise RuntimeError(
                    f"the fitting worker stopped (exit code {self._worker.wait()})"
                ) from None
            self._done[done] = artifact
        return self._done.pop(key)

    def close(self) -> NDArray[np.float32]:
        if self._memory is None:
            return self.features
        if self._worker.stdin is not None:
            self._worker.stdin.close()  # the worker ends at the end of its input
        try:  # a fit still running is of no use any more
            self._worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._worker.kill()
            self._worker.wait()
        if self._worker.stdout is not None:
            self._worker.stdout.close()
        features = self.features.copy()
        self.features = features
        self._memory.close()
        self._memory.unlink()
        self._memory = None
        return features


def background_fitter(
    shape: tuple[int, int], labels: NDArray[np.int8], order: NDArray[np.int64]
) -> Fitter:
    """A fitter with its own worker process and a shared feature matrix of ``shape``
    (the replay writes its features into :attr:`Fitter.features`)."""
    return _Background(shape, labels, order)


def _work(requests: BinaryIO, replies: BinaryIO) -> None:
    """The worker: attach the shared features, then fit each request in turn."""
    name, shape, labels, order = pickle.load(requests)  # noqa: S301 - from our own parent
    # a fit is needed only a label delay after its rows: it yields to the replay itself
    os.nice(_NICENESS)
    memory = SharedMemory(name=name)
    # the parent owns (and unlinks) the block: this process's tracker must not
    resource_tracker.unregister(memory._name, "shared_memory")  # type: ignore[attr-defined]
    features: NDArray[np.float32] = np.ndarray(shape, np.float32, buffer=memory.buf)
    while True:
        try:
            key, rows, seed, note = pickle.load(requests)  # noqa: S301 - from our parent
        except EOFError:
            break
        artifact = fit_artifact(features, labels, seed=seed, note=note, rows=order[:rows])
        pickle.dump((key, artifact), replies, protocol=pickle.HIGHEST_PROTOCOL)
        replies.flush()
    del features
    memory.close()


if __name__ == "__main__":
    _replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    _work(sys.stdin.buffer, _replies)
