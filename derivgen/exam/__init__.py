"""Exams: papers, solutions, LMS questions and keys in several versions, through the build's own stages.

:mod:`.examfile` reads an exam file; :mod:`.papers` draws the versions
(:mod:`.variants` renames and redraws numbers, :mod:`.vary` picks structural
alternatives), derives and verifies them and writes every output;
:mod:`.questions` makes numeric and multiple-choice questions (:mod:`.choices`,
with :mod:`.distractors`' mistakes) for :mod:`.moodle` and :mod:`.qti`;
:mod:`.keys` writes the key and marking scheme, :mod:`.study` the self-study
page, :mod:`.stress` tries many seeds.
"""
