"""Exams: papers, solutions and keys in several versions, through the build's own stages.

:mod:`.papers` reads an exam file and writes every version; :mod:`.variants`
renames variables and redraws constants for each version.
"""
