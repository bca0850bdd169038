"""Reading problem files: the YAML, the expression language, names and shapes.

``loader.load_problem(path)`` is the stage's entry: it reads the file safely
(:mod:`.yamlsource`), parses every expression (:mod:`.parser` into the trees
of :mod:`.expr`), checks names (:mod:`.scope`), defines (:mod:`.defines`),
finds (:mod:`.finds`) and shapes (:mod:`.shapes`), and returns the
:class:`.model.Problem` the later stages read.
"""
