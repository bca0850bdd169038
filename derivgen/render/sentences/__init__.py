"""derivgen's own sentences, one small function per step kind (see :mod:`.registry`).

Importing the package registers every sentence: :mod:`.steps` (vector and matrix
derivations), :mod:`.rules` (scalar rules, the definition), :mod:`.identities` and
:mod:`.layout` (denominator layout), :mod:`.differentials` (``method: differentials``),
:mod:`.backprop` (``method: backprop``) and
:mod:`.second` (second derivatives).
"""

from derivgen.render.sentences import backprop, differentials, identities, layout, rules, second, steps
from derivgen.render.sentences.registry import SENTENCES, sentence
from derivgen.render.sentences.steps import fact_words

__all__ = ["SENTENCES", "backprop", "differentials", "fact_words", "identities", "layout", "rules", "second",
           "sentence", "steps"]
