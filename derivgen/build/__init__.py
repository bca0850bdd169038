"""The build: the stages put together, run in parallel, typeset, written and cached.

In pipeline order:

- :mod:`.pipeline`: ``build()``, the one place where the stages meet, read top to bottom.
- :mod:`.stages`: the stage seam: :class:`~.stages.Stages`, one Protocol per stage, the real stages.
- :mod:`.gather`: the problem files, their sheets and numbers, the render options.
- :mod:`.workers`: derive, verify and render in a fork pool, each problem under a time limit.
- :mod:`.typeset`: all typesetting: LaTeX to PDF with latexmk, in parallel, TeX's warnings.
- :mod:`.index`: ``index.md`` and ``index.json``, the build's table of contents.
- :mod:`.write`: where each output goes, atomic writes, the manifest, outdated files.
- :mod:`.report`: what a build reports: :class:`~.report.BuildReport`, :class:`~.report.Failure`.
- :mod:`.commands`: ``check`` and ``eval``: the same stages, nothing written.

Beneath them: :mod:`.atomic` (write a file whole or not at all), :mod:`.manifest`
(which problem owns which output), :mod:`.cache` (reuse what did not change),
:mod:`.config` (read ``derivgen.yaml``), :mod:`.progress` (the progress bar).
"""
