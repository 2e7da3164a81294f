"""A replay's state side: labels learnt as they become visible, each row observed.

The engine's state never depends on a decision: a transaction changes its card's and
its terminal's state whatever it was scored, and a label changes it when it becomes
visible. So a replay can be split in two, each row going through the same code as in
the deployment: the state side (:meth:`Detector.observe`, then the change applied)
gives each row's feature vector; the judging side (:meth:`Detector.judge` with the
model and the thresholds in force) scores it.

:func:`observed` runs the state side in this process. :func:`stream` runs it in a
worker process of its own, one step ahead on the other core: the worker writes each
row's features into a ring of shared memory, says every :data:`_BATCH` rows how far it
has got, and waits when it is a whole ring ahead of the judging side's last word. The
features are float64, exactly what the judging side would have computed itself.
"""

from __future__ import annotations

import gc
import os
import pickle
import struct
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.shared_memory import SharedMemory
from typing import IO, BinaryIO

import numpy as np
from numpy.typing import NDArray

from cardwatch.adapters.memory import InFlight, InFlightState, InMemoryState
from cardwatch.domain.engine.detection import Detector, Label
from cardwatch.domain.engine.features import FEATURES, Observation
from cardwatch.domain.engine.rules import default_policy

__all__ = ["Columns", "InFlight", "Observed", "collector_paused", "observed", "stream"]

#: (the row's index in the file, labels known, its features or None: a repeated id)
Observed = tuple[int, int, list[float] | None]

#: rows between two words from either side, and rows the ring holds
_BATCH = 1024
_RING = 64 * _BATCH
_WORD = struct.Struct("<q")
#: columns of a ring row after the features: index, labels known, repeated (1.0)
_META = 3


@dataclass(frozen=True, slots=True)
class Columns:
    """What the state side needs of each row (in the file's order) and the time order."""

    ids: list[str]
    stamps: list[int]
    users: list[str]
    terminals: list[str]
    amounts: list[float]
    latitudes: list[float | None]
    longitudes: list[float | None]
    offsets: list[int]
    #: device, IP address, country, channel, merchant category ("" when absent)
    context: list[list[str]]
    labels: list[int]
    positions: list[int]
    label_delay_ms: int
    #: None: each transaction's effects land before the next is read (a sequential
    #: ideal); else as late as the deployment lands them under load
    in_flight: InFlight | None = None

    def __len__(self) -> int:
        return len(self.positions)

    def state(self) -> InMemoryState:
        """The state the rows are observed against."""
        return InMemoryState() if self.in_flight is None else InFlightState(self.in_flight)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector: the replay makes next to no reference cycles (a
    retraining leaves about 150 small objects), yet each automatic pass would rescan
    every profile built so far, about a tenth of a run."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def observed(columns: Columns, detector: Detector) -> Iterator[Observed]:
    """Each row in time order, observed against the state with every label visible by
    then (a label is visible a label delay after its transaction), then applied."""
    ids, stamps, users, terminals = (
        columns.ids,
        columns.stamps,
        columns.users,
        columns.terminals,
    )
    amounts, latitudes, longitudes, offsets = (
        columns.amounts,
        columns.latitudes,
        columns.longitudes,
        columns.offsets,
    )
    labels, positions = columns.labels, columns.positions
    devices, addresses, countries, channels, categories = (
        [text or None for text in column] for column in columns.context
    )
    delay = columns.label_delay_ms
    state = detector.state
    visible = 0  # labels of positions[:visible] are known to the engine
    for step, index in enumerate(positions):
        now = stamps[index]
        while visible < step and stamps[positions[visible]] + delay <= now:
            known = positions[visible]
            when = stamps[known]
            detector.learn(
                Label(
                    ids[known],
                    when,
                    users[known],
                    terminals[known],
                    bool(labels[known]),
                    when + delay,
                    categories[known],
                )
            )
            visible += 1
        seen = detector.observe(
            Observation(
                ids[index],
                now,
                users[index],
                terminals[index],
                amounts[index],
                latitudes[index],
                longitudes[index],
                offsets[index],
                devices[index],
                addresses[index],
                countries[index],
                channels[index],
                categories[index],
            )
        )
        if seen is None:
            yield index, visible, None
            continue
        x, change = seen
        if change is not None:
            state.apply(change)
        yield index, visible, x


def stream(columns: Columns, ring_rows: int = _RING) -> Iterator[Observed]:
    """:func:`observed` in a worker process, read as it goes (the same rows), through a
    ring of ``ring_rows`` rows (at least two batches)."""
    if ring_rows < 2 * _BATCH:
        raise ValueError(f"a ring of {ring_rows} rows is under two batches ({2 * _BATCH})")
    width = len(FEATURES) + _META
    memory = SharedMemory(create=True, size=ring_rows * width * 8)
    worker = subprocess.Popen(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert worker.stdin is not None and worker.stdout is not None
    finished = False
    ring: NDArray[np.float64] = np.ndarray((ring_rows, width), np.float64, buffer=memory.buf)
    try:
        pickle.dump(
            (memory.name, ring_rows, columns), worker.stdin, protocol=pickle.HIGHEST_PROTOCOL
        )
        worker.stdin.flush()
        features = len(FEATURES)
        ready = 0
        for step in range(len(columns)):
            if step == ready:
                _write_word(worker.stdin, step)  # rows before this one are read
                word = _read_word(worker.stdout)
                if word is None:
                    raise RuntimeError(f"the state worker stopped (exit code {worker.wait()})")
                ready = word
            row = ring[step % ring_rows].tolist()
            index, visible, repeated = row[features:]
            yield int(index), int(visible), None if repeated else row[:features]
        finished = True
    finally:
        del ring
        worker.stdin.close()
        if not finished:  # the reader gave up (or the worker failed): no use going on
            worker.kill()
        code = worker.wait()
        worker.stdout.close()
        memory.close()
        memory.unlink()
    if code != 0:
        raise RuntimeError(f"the state worker stopped (exit code {code})")


def _read_word(source: IO[bytes]) -> int | None:
    """The other side's next word; None when it has closed its end."""
    word = source.read(_WORD.size)
    return int(_WORD.unpack(word)[0]) if len(word) == _WORD.size else None


def _write_word(sink: IO[bytes], value: int) -> None:
    sink.write(_WORD.pack(value))
    sink.flush()


def _work(requests: BinaryIO, replies: BinaryIO) -> None:
    """The worker: observe every row into the ring, never more than a ring ahead of
    what the reader has taken."""
    name, ring_rows, columns = pickle.load(requests)  # noqa: S301 - from our own parent
    memory = SharedMemory(name=name)
    # the parent owns (and unlinks) the block: this process's tracker must not
    resource_tracker.unregister(memory._name, "shared_memory")  # type: ignore[attr-defined]
    ring: NDArray[np.float64] = np.ndarray(
        (ring_rows, len(FEATURES) + _META), np.float64, buffer=memory.buf
    )
    detector = Detector(columns.state(), default_policy())
    with collector_paused():
        _fill(ring, observed(columns, detector), len(columns), requests, replies)
    del ring
    memory.close()


def _fill(
    ring: NDArray[np.float64],
    rows: Iterator[Observed],
    size: int,
    requests: BinaryIO,
    replies: BinaryIO,
) -> None:
    """Write each row into the ring, never more than a ring ahead of the reader."""
    ring_rows, width = ring.shape
    features = width - _META
    taken = 0  # rows before this one are read: their slots are free
    for step, (index, visible, x) in enumerate(rows):
        while step - taken >= ring_rows:
            word = _read_word(requests)
            if word is None:  # the reader gave up
                return
            taken = word
        slot = step % ring_rows
        if x is not None:
            ring[slot, :features] = x
        ring[slot, features:] = (index, visible, 0.0 if x is not None else 1.0)
        done = step + 1
        if done % _BATCH == 0 or done == size:
            _write_word(replies, done)
    while requests.read(_WORD.size):  # the reader's last words, until it closes
        pass


if __name__ == "__main__":
    _replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints go to stderr
    _work(sys.stdin.buffer, _replies)
