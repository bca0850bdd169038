"""Derive, verify and render problems in parallel: the fork pool, the time limit per problem.

Each problem runs in a worker process of its own (forked, so the engine
imported once in the parent is shared).  The parent enforces
:data:`derivgen.limits.MAX_SECONDS_PER_PROBLEM` from outside: a worker still
running at its deadline is killed (``SIGKILL``), wherever it is, even inside
NumPy, where a signal handler in the worker would never run.  Each worker also
has an address-space limit (:data:`derivgen.limits.MAX_BYTES_PER_PROBLEM`
more than it started with).  Whatever happens in a worker, an
:class:`Outcome` comes back: derivations and rendered files, or error lines;
one problem's crash, timeout or memory use never stops the others.

Where ``fork`` is not available (or :data:`ISOLATE` is turned off, as the
tests that trace calls in one process do) the problems run one by one in the
build's own process, under ``SIGALRM``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from derivgen.build.progress import Progress
from derivgen.build.report import error_lines
from derivgen.build.stages import RenderOptions, Stages, with_layout
from derivgen.errors import DerivgenError, Interrupted, LimitError, ProblemError
from derivgen.limits import MAX_BYTES_PER_PROBLEM, MAX_SECONDS_PER_PROBLEM

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


#: Run each problem in a worker process the parent can kill (False: in the build's own process).
ISOLATE = True


def process_all(tasks: Sequence[Task], stages: Stages, opts: RenderOptions, jobs: int | None,
                progress: Progress) -> list[Outcome]:
    """Every task's outcome, in the tasks' order: in at most ``jobs`` workers at once (default all cores)."""
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    if ISOLATE and "fork" in _start_methods():
        return _in_workers(tasks, stages, opts, workers, progress)
    return _in_process(tasks, stages, opts, progress)


def process_problem(problem: Problem, display: str, number: str, stages: Stages,
                    opts: RenderOptions) -> Outcome:
    """Derive every find, verify each result, render the per-problem files."""
    timings: dict[str, float] = {}
    try:
        with time_limit(MAX_SECONDS_PER_PROBLEM):
            return _process(problem, display, number, stages, opts, timings)
    except _Failed as e:
        return Outcome(None, {}, e.lines, timings)
    except DerivgenError as e:
        return Outcome(None, {}, error_lines(e, display), timings)
    except MemoryError:
        return Outcome(None, {}, [f"{display}: {_memory_message()}"], timings)
    except RecursionError:
        return Outcome(None, {}, [f"{display}: derive, check and render nest too deeply for derivgen "
                                  "(simplify the expression or split it into defines)"], timings)
    except Exception as e:  # one problem's internal error must not stop the others
        return Outcome(None, {}, [f"{display}: internal error: {type(e).__name__}: {e}"], timings,
                       traceback.format_exc())


def _time_message(seconds: float) -> str:
    return f"derive, check and render took longer than derivgen's limit of {seconds:g} s per problem"


def _memory_message() -> str:
    return (f"derive, check and render needed more memory than derivgen's limit of "
            f"{MAX_BYTES_PER_PROBLEM >> 20} MiB per problem")


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Stop one problem's work after ``seconds`` (where signals can be used: the main thread)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise LimitError(_time_message(seconds))

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _process(problem: Problem, display: str, number: str, stages: Stages, opts: RenderOptions,
             timings: dict[str, float]) -> Outcome:
    """Every find that derives and verifies is rendered; each one that does not is an error line.

    With some finds failed, the pages hold the others (the problem's ``find`` narrowed to
    them) and the outcome carries both, so the build writes the pages and still fails."""
    t0 = time.perf_counter()
    problem = with_layout(problem, opts)
    pairs, errors = _derive_each(problem, stages)
    t1 = time.perf_counter()
    derivations, kept = [], []
    for find, d in pairs:
        try:
            derivations.append(stages.verify(problem, find, d))
            kept.append(find)
        except ProblemError as e:
            errors.extend(str(x) for x in e.diagnostics)
    t2 = time.perf_counter()
    timings.update(derive=t1 - t0, verify=t2 - t1)
    if not derivations:
        raise _Failed(errors)
    if errors:
        problem = dataclasses.replace(problem, find=tuple(kept))
    files = stages.render_problem(problem, derivations, number, opts)
    timings.update(render=time.perf_counter() - t2)
    return Outcome(derivations, files, errors, timings)


class _Failed(DerivgenError):
    """Every find of the problem failed: the error lines of each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def _derive_each(problem: Problem, stages: Stages) -> tuple[list, list[str]]:
    """The derivations of the finds that derive, and the error lines of those that do not.

    All finds are derived together first (they share their work); only when that fails is
    each derived on its own, to tell which derive."""
    try:
        return stages.derive(problem), []
    except ProblemError:
        if len(problem.find) < 2:
            raise
    pairs: list = []
    errors: list[str] = []
    for find in problem.find:
        try:
            pairs.extend(stages.derive(dataclasses.replace(problem, find=(find,))))
        except ProblemError as e:
            errors.extend(str(d) for d in e.diagnostics)
    return pairs, errors


def _in_process(tasks: Sequence[Task], stages: Stages, opts: RenderOptions,
                progress: Progress) -> list[Outcome]:
    stages.prepare()
    outcomes: list[Outcome] = []
    try:
        for task in tasks:
            outcomes.append(process_problem(task.problem, task.display, task.number, stages, opts))
            progress.advance()
    except KeyboardInterrupt:  # Ctrl-C: the finished outcomes go back with it
        raise Interrupted(partial=[*outcomes, *[None] * (len(tasks) - len(outcomes))]) from None
    return outcomes


def _start_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


@dataclass
class _Running:
    number: int
    process: Any
    deadline: float


def _in_workers(tasks: Sequence[Task], stages: Stages, opts: RenderOptions, workers: int,
                progress: Progress) -> list[Outcome]:
    """Outcomes in the tasks' order; a worker past its deadline is killed, its problem fails alone."""
    import multiprocessing
    from multiprocessing.connection import wait

    stages.prepare()  # imported before forking: workers start warm
    gc.freeze()  # the workers' collector then leaves the shared pages alone (no copy-on-write storm)
    ctx = multiprocessing.get_context("fork")
    outcomes: list[Outcome | None] = [None] * len(tasks)
    waiting = list(range(len(tasks)))[::-1]
    running: dict[Any, _Running] = {}
    try:
        while waiting or running:
            while waiting and len(running) < workers:
                n = waiting.pop()
                receive, send = ctx.Pipe(duplex=False)
                process = ctx.Process(target=_work, args=(send, tasks[n], stages, opts), daemon=True)
                with _sigint_held():
                    process.start()
                send.close()
                running[receive] = _Running(n, process, time.monotonic() + MAX_SECONDS_PER_PROBLEM)
            timeout = max(0.0, min(r.deadline for r in running.values()) - time.monotonic())
            for conn in wait(list(running), timeout):
                job = running.pop(conn)
                outcomes[job.number] = _receive(conn, job, tasks[job.number])
                progress.advance()
            now = time.monotonic()
            for conn, job in list(running.items()):
                if now >= job.deadline:
                    del running[conn]
                    _stop(job.process)
                    conn.close()
                    message = _time_message(MAX_SECONDS_PER_PROBLEM)
                    outcomes[job.number] = Outcome(None, {}, [f"{tasks[job.number].display}: {message}"], {})
                    progress.advance()
    except KeyboardInterrupt:  # Ctrl-C: the finished outcomes go back with it, the workers are stopped
        raise Interrupted(partial=list(outcomes)) from None
    finally:
        for conn, job in running.items():  # interrupted: no worker outlives the build
            _stop(job.process)
            conn.close()
        gc.unfreeze()
    return [o for o in outcomes if o is not None]


@contextlib.contextmanager
def _sigint_held() -> Iterator[None]:
    """Ctrl-C held back while a worker is forked, and delivered right after.

    Python runs hooks after ``fork`` (logging registers one), and a KeyboardInterrupt
    raised inside such a hook is printed as "Exception ignored" and dropped: the build
    would go on as if Ctrl-C had never been pressed.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _work(send: Any, task: Task, stages: Stages, opts: RenderOptions) -> None:
    """In the worker: limit its memory, build the one problem, send the outcome back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the workers
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # held while forking (_sigint_held)
    _die_with_parent()
    _limit_memory(MAX_BYTES_PER_PROBLEM)
    outcome = process_problem(task.problem, task.display, task.number, stages, opts)
    try:
        send.send(outcome)
    except Exception as e:  # the result did not pickle, or memory ran out on the way
        send.send(Outcome(None, {}, [f"{task.display}: internal error in a worker: {type(e).__name__}: {e}"],
                          outcome.timings, traceback.format_exc()))
    send.close()


def _die_with_parent() -> None:
    """On Linux: killed when the build is (a killed build leaves no worker running on)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)


def _limit_memory(extra: int) -> None:
    """At most ``extra`` bytes of address space beyond what this process has now (never raising a limit)."""
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as f:
            current = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = current + extra
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, soft)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        return  # no /proc or no setrlimit: the time limit still holds


def _receive(conn: Any, job: _Running, task: Task) -> Outcome:
    try:
        outcome: Outcome = conn.recv()
    except (EOFError, OSError, MemoryError, ValueError) as e:
        job.process.join(5)
        code = job.process.exitcode
        if code is not None and code < 0:
            why = f"it was stopped by signal {-code}"
        else:
            why = f"it ended with exit code {code}" if code is not None else f"{type(e).__name__}"
        outcome = Outcome(None, {}, [f"{task.display}: the worker building it ended without a result "
                                     f"({why}); it may have needed more memory than derivgen's limit of "
                                     f"{MAX_BYTES_PER_PROBLEM >> 20} MiB per problem"], {})
    finally:
        conn.close()
    job.process.join(5)
    if job.process.is_alive():
        _stop(job.process)
    return outcome


def _stop(process: Any) -> None:
    with contextlib.suppress(Exception):
        process.kill()
    process.join()
