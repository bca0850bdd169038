"""Scalar differentiation: rule by rule (:mod:`.rules`), from the definition (:mod:`.definition`),
with SymPy only to tidy and compare results (:mod:`.symbolic`, :mod:`.terms`)."""
