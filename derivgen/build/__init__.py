"""The build: the stages put together, run in parallel, typeset, written and cached.

:mod:`.pipeline` is the one place where the stages meet (``build``, ``check``,
``eval``); :mod:`.typeset` runs LaTeX; :mod:`.atomic`, :mod:`.manifest` and
:mod:`.cache` write outputs, remember them and reuse them; :mod:`.config`
reads ``derivgen.yaml``; :mod:`.progress` draws the progress bar.
"""
