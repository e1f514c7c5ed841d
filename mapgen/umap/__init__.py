"""uMap's format, in one place: what readers, writers and ``mapgen publish`` share.

uMap 3.8.1's rules for text (:mod:`~mapgen.umap.template`, :mod:`~mapgen.umap.markup`,
:mod:`~mapgen.umap.html`). Like ``model.py``, the package is shared by every step: it
imports only shared modules, never a reader, a writer or ``publish``.
"""
