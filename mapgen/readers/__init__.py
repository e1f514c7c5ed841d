"""Readers: every input file becomes records (the first step of the pipeline).

- :mod:`.table`: a CSV (any encoding, separator and dialect Excel or LimeSurvey writes) or
  an XLSX sheet as text cells.
- :mod:`.survey`: a LimeSurvey export through the mapping file to ``Initiative`` records
  (column layout in ``_columns``, cell values in ``_values``).
- :mod:`.starter_mapping`: the draft mapping file ``mapgen init-config`` writes.
- :mod:`.previous_map`: the previous edition's map (uMap layer, ``.umap``, GeoJSON,
  GeoPackage) to records and carried layers (fields in ``_previous_fields``, geometry
  repair in ``_previous_geometry``).

Nothing is imported here, so that reading one kind of file loads only its module.
"""
