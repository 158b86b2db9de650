"""Run a chunk generator one step ahead in a thread, so parsing overlaps decoding and loading.

The parsers spend their time in numpy, polars and file reads, which release the GIL, as do the
decoder and DuckDB: with the parser a chunk ahead, the two halves of an ingest share the cores.
At most ``depth`` chunks wait in the queue, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

__all__ = ["prefetch"]

T = TypeVar("T")
_END = object()


def prefetch(chunks: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what ``chunks`` yields, produced in a worker thread up to ``depth`` items ahead.

    An exception in the producer is raised in the consumer at the point it occurred; closing
    the returned generator early stops the producer (it is joined before this returns).
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in chunks:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put((_END, exc))
            return
        finally:
            close = getattr(chunks, "close", None)
            if close is not None and stop.is_set():
                close()
        put((_END, None))

    worker = threading.Thread(target=produce, name="prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if isinstance(item, tuple) and len(item) == 2 and item[0] is _END:
                if item[1] is not None:
                    raise item[1]
                return
            yield item
    finally:
        stop.set()
        worker.join()
