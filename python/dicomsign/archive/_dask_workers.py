"""What the local cluster of ``dicomsign verify --dask local:N`` installs on its workers (this
module imports ``distributed``: :mod:`.cluster` imports it only for a local cluster)."""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING

from distributed import WorkerPlugin

if TYPE_CHECKING:
    from distributed import Worker

__all__ = ["IgnoreInterrupts"]


class IgnoreInterrupts(WorkerPlugin):
    """Ctrl-C on a terminal reaches the whole process group, the local workers too: they
    ignore it, and the command stops the run (it cancels the batches and closes the cluster)
    without a traceback from each worker."""

    idempotent = True

    def setup(self, worker: Worker) -> None:
        """Ignore SIGINT in this worker process."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
