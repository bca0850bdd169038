"""The index route: expressions entry by entry (:mod:`.to_index`), partial derivatives with
Kronecker deltas (:mod:`.differentiate`), the route's steps (:mod:`.route`), values
(:mod:`.evaluate`) and concrete entries (:mod:`.concrete`)."""
