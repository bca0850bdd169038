"""The numeric check: every derived result is compared with central finite differences.

:mod:`.numeric` evaluates expressions and their finite differences with NumPy,
:mod:`.values` draws the points and sizes, and :mod:`.verify` compares a
derivation's closed, index and explicit forms with the numbers.
"""
