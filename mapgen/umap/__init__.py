"""uMap's format, in one place: what readers, writers and ``mapgen publish`` share.

- :mod:`~mapgen.umap.files`: a ``.umap`` backup or a layer GeoJSON split into layers;
- :mod:`~mapgen.umap.layers`: the one reading of a layer's options (uMap 3.8.1's order) and
  the names of carried layers;
- :mod:`~mapgen.umap.template`, :mod:`~mapgen.umap.markup`, :mod:`~mapgen.umap.html`: uMap
  3.8.1's text rules (``{key}`` placeholders, markup), for what is published and previewed.

Like ``model.py``, the package is shared by every step: it imports only shared modules,
never a reader, a writer or ``publish`` (``tests/test_layout.py``).
"""
