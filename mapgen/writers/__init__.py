"""Writers: each turns a :class:`~mapgen.model.BuildResult` into one kind of output.

Every writer has the signature ``write_x(build, out_dir, *, gazetteer, options) -> list[Path]``
(see ``docs/architecture.md``) and is imported from its own module, so that
importing one writer never loads another's heavy dependencies.
"""
