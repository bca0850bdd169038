"""The index route: expressions entry by entry (:mod:`.to_index`), partial derivatives with
Kronecker deltas (:mod:`.differentiate`), the route's steps (:mod:`.route`) and concrete
entries (:mod:`.concrete`).  The numeric values of an index form are the check's
(``check/index_values.py``)."""
