"""The writers: one module per output family, all with the same signature.

See the writer contract in ``docs/architecture.md``::

    write_x(build, out_dir, *, gazetteer, options) -> list[Path]
"""
