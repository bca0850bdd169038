"""The differentials route (``method: differentials``): the differential of each define by rules
(`.rules`), the result written as ``tr(G dX)`` or ``g dx`` (`.linear`), and the steps (`.route`)."""
