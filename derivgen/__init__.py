"""derivgen: worked, verified solutions for vector and matrix calculus problems.

Importing the package is cheap: SymPy and NumPy are imported only by the
stages that need them.
"""

__version__ = "0.1.0"
