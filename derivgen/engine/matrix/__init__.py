"""Closed matrix forms: a normal form of sums of products (:mod:`.normal_form`), forward and
reverse differentiation on it (:mod:`.forward`, :mod:`.reverse`), tidying (:mod:`.simplify`)
and the identities (5.99)-(5.108) recognised (:mod:`.identities`); :mod:`.closed_form` is the entry."""
