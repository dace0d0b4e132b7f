"""The embedded adapter (LadybugDB), one module per section of the store port.

``base`` opens, locks and runs queries (``faults`` says what the engine's storage
failures mean, a full disk above all); ``writes``, ``identities``, ``projection``
(and its cache files), ``scores`` (runs and rankings), ``reads`` (timelines,
accounts, metrics), ``care`` (care workflow and privacy) and ``export`` are the
sections, composed into :class:`EmbeddedStore` in ``store``. Reach it through
``graph.open_store()`` unless you need this adapter in particular.
"""

from __future__ import annotations

from graph.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore"]
