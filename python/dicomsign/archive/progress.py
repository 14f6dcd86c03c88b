"""What a run has done so far (:class:`Tally`), the progress bar on a terminal and the summary.

The bar goes to standard error, redrawn at most ten times a second on one line: files done
(and the total once it is known), files/s, MB/s, the ETA (``…`` while the total is unknown)
and the failures so far. The total is known at once for a list of files, and for trees when
a background walk (:class:`BackgroundCount`) has counted them.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TextIO

from ..exceptions import DicomFormatError
from .status import REPORT_ORDER, is_failure
from .verifier import FileResult

__all__ = ["BackgroundCount", "ProgressBar", "Tally", "human_bytes"]


def human_bytes(n: float) -> str:
    """``n`` bytes in decimal units (``"12.3 MB"``)."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Tally:
    """Files, bytes and failures of a run, and the count of each status word."""

    def __init__(self, *, require_signature: bool = False, strict: bool = False) -> None:
        self.require_signature = require_signature
        self.strict = strict
        self.counts: Counter[str] = Counter()
        self.files = 0
        self.bytes = 0
        self.failures = 0
        #: Files whose signatures the complete DCMTK emulation in Python judged (the Rust
        #: engine was not sure of them: a failure, an unusual chain, CRLs).
        self.fallbacks = 0
        self.skipped = 0
        #: Files left out because a journal (``--resume``) has them, by their recorded word.
        self.recorded: Counter[str] = Counter()
        self.recorded_failures = 0
        self.started = time.monotonic()
        self.finished: float | None = None

    def add(self, result: FileResult) -> bool:
        """Count one result; True when it fails the run."""
        status = result.status
        self.counts[status] += 1
        self.files += 1
        if result.size is not None and (
            result.report is not None or isinstance(result.error, DicomFormatError)
        ):
            self.bytes += result.size  # the files that were read
        failed = is_failure(status, require_signature=self.require_signature, strict=self.strict)
        self.failures += failed
        self.fallbacks += result.fallback
        return failed

    def skip(self, recorded: tuple[str, bool] | None = None) -> None:
        """Count a file left out (unchanged since a journal); ``recorded`` is its recorded
        (status, ok) when it counts in this run's outcome (``--resume``)."""
        self.skipped += 1
        if recorded is not None:
            word, ok = recorded
            self.recorded[word] += 1
            self.recorded_failures += not ok

    @property
    def outcome(self) -> Counter[str]:
        """Files per word, this run's and those recorded for it (``--resume``)."""
        return self.counts + self.recorded

    def stop(self) -> None:
        """The run is over: freeze the elapsed time."""
        self.finished = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since the run started (until :meth:`stop`)."""
        return (self.finished or time.monotonic()) - self.started

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        return {
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.elapsed, 3),
            "failures": self.failures,
            "fallbacks": self.fallbacks,
            "skipped": self.skipped,
            "recorded": {str(s): self.recorded[s] for s in REPORT_ORDER if self.recorded[s]},
            "statuses": {str(s): self.counts[s] for s in REPORT_ORDER if self.counts[s]},
        }

    def summary(self, *, interrupted: bool = False, notes: Iterable[str] = ()) -> list[str]:
        """The summary lines printed at the end of a run."""
        elapsed = max(self.elapsed, 1e-9)
        head = "interrupted after" if interrupted else ""
        plural = "s" if self.files != 1 else ""
        lines = [
            (
                f"dicomsign verify: {head}{' ' if head else ''}{self.files:,} file{plural} "
                f"({human_bytes(self.bytes)}) in {elapsed:.2f} s: "
                f"{self.files / elapsed:,.1f} files/s, {human_bytes(self.bytes / elapsed)}/s"
            )
        ]
        words = [f"{self.counts[s]:,} {s}" for s in REPORT_ORDER if self.counts[s]]
        lines.append("  " + (", ".join(words) if words else "no files"))
        if self.fallbacks:
            plural = "s" if self.fallbacks != 1 else ""
            lines.append(
                f"  {self.fallbacks:,} file{plural} judged by the complete DCMTK emulation in"
                " Python (the rest by the Rust engine alone)"
            )
        if self.skipped:
            line = f"  {self.skipped:,} unchanged since the journal, not verified again"
            words = [f"{self.recorded[s]:,} {s}" for s in REPORT_ORDER if self.recorded[s]]
            lines.append(line + (f" (recorded: {', '.join(words)})" if words else ""))
        lines.extend(f"  {note}" for note in notes)
        return lines


class BackgroundCount:
    """Counts an iterable in a daemon thread; ``total`` is None until it is done."""

    def __init__(self, items: Iterable[object]) -> None:
        self.total: int | None = None
        self._items = items
        threading.Thread(target=self._count, name="dicomsign-count", daemon=True).start()

    def _count(self) -> None:
        n = 0
        try:
            for _ in self._items:
                n += 1
        except Exception:  # noqa: BLE001 - a count only: the run reports every problem
            return
        self.total = n


class Counts(Protocol):
    """What a progress bar shows of a run (a :class:`Tally`, or a signing run's counts)."""

    files: int
    bytes: int
    failures: int
    skipped: int
    recorded_failures: int

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        ...


class ProgressBar:
    """One line on a terminal, redrawn at most ``rate`` times a second."""

    def __init__(
        self,
        stream: TextIO,
        tally: Counts,
        *,
        total: Callable[[], int | None] = lambda: None,
        rate: float = 10.0,
    ) -> None:
        self.stream = stream
        self.tally = tally
        self.total = total
        self.interval = 1.0 / rate
        self._last = 0.0
        self._shown = False

    def line(self) -> str:
        """The text of the bar now."""
        tally = self.tally
        elapsed = max(tally.elapsed, 1e-9)
        done = tally.files + tally.skipped
        total = self.total()
        files = f"{done:,}/{total:,} files" if total is not None else f"{done:,} files"
        rate = tally.files / elapsed
        if total is not None and rate > 0:
            eta = _duration(max(total - done, 0) / rate)
        else:
            eta = "…"
        return (
            f"{files}  {rate:,.1f} files/s  {human_bytes(tally.bytes / elapsed)}/s  "
            f"ETA {eta}  {tally.failures + tally.recorded_failures:,} failed"
        )

    def update(self, *, force: bool = False) -> None:
        """Redraw when the last drawing is older than the interval (or ``force``)."""
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        width = shutil.get_terminal_size((80, 24)).columns
        self.stream.write("\r\x1b[K" + self.line()[: max(width - 1, 10)])
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        """Erase the bar (before other output on the same terminal)."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
            self._last = 0.0
