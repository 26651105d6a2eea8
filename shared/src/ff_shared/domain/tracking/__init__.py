"""Journey tracking: the versioned event schema, batch validation, and sessionisation.

The application form's tracker sends batches of events. Each event is validated on its own, so
one bad event never sinks a batch; accepted events are stamped with the server's time and the
environment they belong to (:mod:`.events`, :mod:`.batches`). Sessions are built by folding events
into aggregates whose merge is commutative and associative (least, greatest, sum, earliest-wins),
so the result does not depend on arrival order, batch boundaries or how many processors share the
queue (:mod:`.sessions`). The same merge is written in SQL in ``stores/postgres/tracker/``.
"""
