"""Presentation: every format's words and LaTeX, from one step tree.

:mod:`.narrate` turns a derivation into paragraphs at a detail level
(:mod:`.detail`, :mod:`.names`, :mod:`.identities`), with one sentence per step
kind (:mod:`.sentences`) and the LaTeX of :mod:`.mathlatex`; :mod:`.markdown`,
:mod:`.latex`, :mod:`.html` and :mod:`.json` lay the paragraphs out through the
templates; :mod:`.statement` writes the statement every format shows.
"""
