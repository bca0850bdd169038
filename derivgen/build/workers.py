"""Derive, verify and render problems in parallel: the fork pool, the time limit per problem.

Each problem runs in a worker process (forked, so the engine imported once in
the parent is shared), under :data:`derivgen.limits.MAX_SECONDS_PER_PROBLEM`
enforced with ``SIGALRM``.  Whatever happens in a worker, an :class:`Outcome`
comes back: derivations and rendered files, or error lines; one problem's
crash or timeout never stops the others.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from derivgen.build.progress import Progress
from derivgen.build.report import error_lines
from derivgen.build.stages import RenderOptions, Stages
from derivgen.errors import DerivgenError, LimitError
from derivgen.limits import MAX_SECONDS_PER_PROBLEM

if TYPE_CHECKING:
    from derivgen.problem.model import Problem


@dataclass(frozen=True)
class Task:
    """One problem to derive, verify and render."""

    problem: Problem
    display: str
    """The problem file as shown to the user."""
    number: str
    """The problem's number in its sheet."""


@dataclass
class Outcome:
    """What a worker sends back for one problem: plain, picklable data."""

    derivations: list | None
    files: dict[str, str]
    errors: list[str]
    timings: dict[str, float]
    internal: str | None = None


def process_all(tasks: Sequence[Task], stages: Stages, opts: RenderOptions, jobs: int | None,
                progress: Progress) -> list[Outcome]:
    """Every task's outcome, in the tasks' order: in a pool of ``jobs`` workers (default all cores)."""
    workers = min(jobs or os.cpu_count() or 1, len(tasks))
    if workers > 1:
        return _in_pool(tasks, stages, opts, workers, progress)
    return _in_process(tasks, stages, opts, progress)


def process_problem(problem: Problem, display: str, number: str, stages: Stages,
                    opts: RenderOptions) -> Outcome:
    """Derive every find, verify each result, render the per-problem files."""
    timings: dict[str, float] = {}
    try:
        with time_limit(MAX_SECONDS_PER_PROBLEM):
            return _process(problem, display, number, stages, opts, timings)
    except DerivgenError as e:
        return Outcome(None, {}, error_lines(e, display), timings)
    except Exception as e:  # one problem's internal error must not stop the others
        return Outcome(None, {}, [f"{display}: internal error: {type(e).__name__}: {e}"], timings,
                       traceback.format_exc())


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop one problem's work after ``seconds`` (where signals can be used: the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise LimitError(f"derive, check and render took longer than derivgen's limit of {seconds:g} s "
                         "per problem")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _process(problem: Problem, display: str, number: str, stages: Stages, opts: RenderOptions,
             timings: dict[str, float]) -> Outcome:
    t0 = time.perf_counter()
    pairs = stages.derive(problem)
    t1 = time.perf_counter()
    derivations = [stages.verify(problem, find, d) for find, d in pairs]
    t2 = time.perf_counter()
    files = stages.render_problem(problem, derivations, number, opts)
    t3 = time.perf_counter()
    timings.update(derive=t1 - t0, verify=t2 - t1, render=t3 - t2)
    return Outcome(derivations, files, [], timings)


def _in_process(tasks: Sequence[Task], stages: Stages, opts: RenderOptions,
                progress: Progress) -> list[Outcome]:
    stages.prepare()
    outcomes = []
    for task in tasks:
        outcomes.append(process_problem(task.problem, task.display, task.number, stages, opts))
        progress.advance()
    return outcomes


def _in_pool(tasks: Sequence[Task], stages: Stages, opts: RenderOptions, workers: int,
             progress: Progress) -> list[Outcome]:
    """Outcomes in the tasks' order, whatever order the workers finish in."""
    import multiprocessing

    stages.prepare()  # imported before forking: workers start warm
    gc.freeze()  # the workers' collector then leaves the shared pages alone (no copy-on-write storm)
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    outcomes: list[Outcome | None] = [None] * len(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(process_problem, t.problem, t.display, t.number, stages, opts): n
                   for n, t in enumerate(tasks)}
        for future in as_completed(futures):
            outcomes[futures[future]] = _result(future, tasks[futures[future]])
            progress.advance()
    gc.unfreeze()
    return [o for o in outcomes if o is not None]


def _result(future: Future[Any], task: Task) -> Outcome:
    try:
        return future.result()
    except Exception as e:  # a worker died (killed, out of memory) or the result did not pickle
        return Outcome(None, {}, [f"{task.display}: internal error in a worker: {type(e).__name__}: {e}"], {},
                       traceback.format_exc())
