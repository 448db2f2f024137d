"""The server's resident copy of every client's 360 view, encoded once and answered without touching the store.

**Why.** An advisor opens a client's view many times a day, and the view is
built from four tables. Built from the store for each request it costs ~3 ms
of CPU on the 1M-client store, most of it DuckDB's fixed cost per statement
(see :mod:`wealthdesk.profiles.view`), which held the server to ~155
requests/s. Kept in memory as the JSON the endpoint sends, a request costs a
dictionary lookup, a ~15 µs decompress and the role's masking of the name.

**What keeps it right.**

- At start-up a background thread loads every profiled client from one
  snapshot of the store (:func:`~wealthdesk.profiles.view.all_client_records`);
  until it is done, and for any client it does not hold, the view is built
  from the store on request and kept.
- The server owns the store while it runs (:mod:`wealthdesk.api.app`), so
  the only writes are its own: whatever changes clients' views (the live
  intake) calls :meth:`ClientViewCache.forget` with those clients once its
  transaction has committed. A view built from a read that began before a
  ``forget`` of its client is not kept (the generation check in
  :meth:`ClientViewCache.keep`), so a stale view never outlives the write.
- What is kept is the view with the name whole; everyone but the client's
  advisor and branch manager gets the name masked at answer time
  (:func:`~wealthdesk.profiles.view.hide_name`), and the scope check and the
  audit row happen for every request as before
  (:mod:`wealthdesk.api.client_access`).

**Garbage collection.** The loaded views, and everything the server holds by
then, are frozen out of Python's cycle collector (:func:`gc.freeze`): they
live as long as the server, and full collections that walked them stalled
every request in flight.

**Memory.** Each view is zlib-compressed with a preset dictionary made from
the first views loaded (the keys and common values every view repeats):
~2.4 KB of JSON becomes ~0.5 KB. With a million clients loaded the server
process holds about 1.8 GB, DuckDB's own caches included; the load takes
about 4 minutes.
"""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from itertools import islice
from typing import Literal

import duckdb
import pydantic_core

from wealthdesk.profiles.view import ClientRecord, all_client_records, hide_name

log = logging.getLogger(__name__)

LoadState = Literal["loading", "ready", "failed"]
_DICTIONARY_SAMPLE = 32  # views whose JSON makes the preset dictionary
_DICTIONARY_BYTES = 4096  # zlib: 4 KB compresses nearly as well as 32 KB and decompresses three times faster
_LEVEL = 3
_FREEZE_EVERY = 50_000  # views loaded between two gc.freeze() calls


@dataclass(frozen=True, slots=True)
class EncodedView:
    """One client's view as JSON, compressed: the body sent with the name whole is ``data[:masked_at]``, its
    identity object ``data[identity_at:identity_end]``; ``data[masked_at:]`` is that identity with the name masked,
    put in its place for everyone else. The advisor and branch decide who may see the client at all
    (:func:`wealthdesk.access.scope.may_see`)."""

    advisor_id: str | None
    branch_id: str | None
    packed: bytes
    identity_at: int
    identity_end: int
    masked_at: int


class ClientViewCache:
    """customer_id → :class:`EncodedView`, loaded in the background and kept right by :meth:`forget`."""

    def __init__(self, sample: list[ClientRecord]) -> None:
        """``sample``: a few views to build the compression dictionary from (none: no dictionary)."""
        self._zdict = b"".join(b"".join(_parts(r)) for r in sample)[-_DICTIONARY_BYTES:]
        self._views: dict[str, EncodedView] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._forgotten: dict[str, int] = {}  # customer_id → generation of its latest forget
        self._floor = 0  # views read before this generation are not kept (see reload)
        self._stop = threading.Event()
        self._loader: threading.Thread | None = None
        self.state: LoadState = "loading"

    @classmethod
    def open(cls, con: duckdb.DuckDBPyConnection) -> ClientViewCache:
        """A cache for the store ``con`` is on, its dictionary made from the store's first views; not loaded yet."""
        return cls(list(islice(all_client_records(con, clients_per_query=_DICTIONARY_SAMPLE), _DICTIONARY_SAMPLE)))

    def __len__(self) -> int:
        return len(self._views)

    @property
    def generation(self) -> int:
        """Read before building a view from the store, and handed to :meth:`keep` with it."""
        return self._generation

    def get(self, customer_id: str) -> EncodedView | None:
        return self._views.get(customer_id)

    def encode(self, record: ClientRecord) -> EncodedView:
        head, identity, tail = _parts(record)
        masked = _json(hide_name(record.view["identity"]))
        packer = zlib.compressobj(_LEVEL, zdict=self._zdict) if self._zdict else zlib.compressobj(_LEVEL)
        packed = packer.compress(head + identity + tail + masked) + packer.flush()
        at, end = len(head), len(head) + len(identity)
        return EncodedView(_shared(record.advisor_id), _shared(record.branch_id), packed, at, end, end + len(tail))

    def body(self, view: EncodedView, reveal_name: bool) -> bytes:
        """The JSON body for a user who sees the name whole (``reveal_name``) or masked."""
        unpacker = zlib.decompressobj(zdict=self._zdict) if self._zdict else zlib.decompressobj()
        data = unpacker.decompress(view.packed) + unpacker.flush()
        if reveal_name:
            return data[: view.masked_at]
        return data[: view.identity_at] + data[view.masked_at :] + data[view.identity_end : view.masked_at]

    def keep(self, customer_id: str, view: EncodedView, generation: int) -> bool:
        """Keep ``view``, built from a read that began at ``generation``, unless its client was forgotten since."""
        with self._lock:
            if generation < self._floor or self._forgotten.get(customer_id, -1) > generation:
                return False
            self._views[customer_id] = view
            return True

    def forget(self, customer_ids: list[str]) -> None:
        """Drop these clients' views: their data has changed (call once the change is committed)."""
        with self._lock:
            self._generation += 1
            for customer_id in customer_ids:
                self._forgotten[customer_id] = self._generation
                self._views.pop(customer_id, None)

    def reload(self, con: duckdb.DuckDBPyConnection) -> None:
        """Forget every view and load them all again in the background: after a write that failed half-way, whose
        changed clients are not known."""
        self.stop_loading()
        with self._lock:
            self._generation += 1
            self._floor = self._generation
            self._views.clear()
        self._stop = threading.Event()
        self.state = "loading"
        self.start_loading(con)

    def start_loading(self, con: duckdb.DuckDBPyConnection) -> None:
        """Load every profiled client in a background thread (:attr:`state` tells how far it is)."""
        self._loader = threading.Thread(target=self.load, args=(con,), name="wd-view-loader", daemon=True)
        self._loader.start()

    def stop_loading(self) -> None:
        """Stop a load still running and wait for its thread (before the store connection closes)."""
        self._stop.set()
        if self._loader is not None:
            self._loader.join()

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """Load every profiled client's view from one snapshot of the store (what the background thread runs)."""
        started = time.perf_counter()
        generation = self.generation  # before the snapshot is taken: a forget after this wins over the load
        records = all_client_records(con)
        try:
            for loaded, record in enumerate(records, 1):
                if self._stop.is_set():
                    return
                if record.customer_id not in self._views:
                    try:
                        view = self.encode(record)
                    except Exception:  # that client is built from the store when asked for; the others load
                        log.exception("client %s's view could not be encoded", record.customer_id)
                        continue
                    self.keep(record.customer_id, view, generation)
                if loaded % _FREEZE_EVERY == 0:
                    _freeze()
        except Exception:  # the server still answers, from the store
            self.state = "failed"
            log.exception("loading the client views failed; views are built from the store on request")
            return
        finally:
            records.close()
        _freeze()
        self.state = "ready"
        log.info("client views loaded: %d clients in %.1f s", len(self), time.perf_counter() - started)


def _json(value: object) -> bytes:
    """JSON as FastAPI sends a ``dict`` answer (a NaN or infinite float as null), so the resident answer is the
    very bytes the store-built one was."""
    return pydantic_core.to_json(value, inf_nan_mode="null")


def _shared(text: str | None) -> str | None:
    """One string object per advisor and branch, not one per client (a million clients share a few thousand)."""
    return None if text is None else sys.intern(text)


def _freeze() -> None:
    """Tell Python's cycle collector to leave alone everything that exists now: the views stay for the server's
    life, and a full collection walking a million of them stalled every request in flight (p99 over 200 ms)."""
    gc.collect()
    gc.freeze()


def _parts(record: ClientRecord) -> tuple[bytes, bytes, bytes]:
    """The view's JSON body in three pieces, the identity object in the middle, the keys in the view's order."""
    members = [_json(key) + b":" + _json(value) for key, value in record.view.items()]
    at = list(record.view).index("identity")
    head = b"{" + b"".join(m + b"," for m in members[:at]) + b'"identity":'
    tail = b"".join(b"," + m for m in members[at + 1 :]) + b"}"
    return head, _json(record.view["identity"]), tail
