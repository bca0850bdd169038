"""The engine: derives what a problem asks for and records every step as data.

:mod:`.derive` chooses a route per ``find`` (:mod:`.routes`: scalar rules,
components and literals, index notation with a closed form; :mod:`.chain`:
the chain rule through defines) in a context of the problem (:mod:`.context`);
the routes live in :mod:`.scalar`, :mod:`.index` and :mod:`.matrix`, and
:mod:`.explicit` writes Jacobians of literal arrays (Figure 5.7).  Nothing here
is LaTeX or English: the renderers decide how steps read.
"""
