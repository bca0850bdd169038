"""The long differential run: tens of thousands of random problems, each checked twice.

    /work/venv/bin/python scripts/long_differential.py --cases 20000 --seed 1 --jobs 2

Each case comes from ``tests/strategies.py`` (seeded: case ``k`` of seed ``s``
is the same on every machine), is derived, verified against finite
differences and compared with SymPy; a case that takes longer than
``--timeout`` seconds is stopped and counted.  The run is recorded in
``bench/DIFFERENTIAL.md`` (``--record``): date, cases, wrong gradients,
derivation errors by kind, crashes, time and the command, with every failing
case written out as a problem file would write it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import re
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

BAD = ("wrong", "crash", "timeout")


class CaseTimeout(BaseException):
    """The case ran past its time limit (not an Exception: the engine's handlers must not catch it)."""


def _alarm(signum: int, frame: object) -> None:
    raise CaseTimeout()


def case_seed(seed: int, k: int) -> int:
    return seed * 1_000_003 + k


def run_one(args: tuple[int, int, float, bool]) -> tuple[int, str, str, str, float]:
    """(k, kind, message, description, seconds) for case k of the seed."""
    from strategies import Outcome, RandomChooser, check_case, generate_case

    seed, k, timeout, use_sympy = args
    case = generate_case(RandomChooser(case_seed(seed, k)))
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            outcome = check_case(case, use_sympy=use_sympy)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except CaseTimeout:  # also when the alarm lands just as the case ends: never lose a case
        outcome = Outcome("timeout", f"more than {timeout:g} s")
    except Exception as e:  # the harness itself must survive anything
        outcome = Outcome("crash", f"harness: {type(e).__name__}: {e}")
    return k, outcome.kind, outcome.message, case.describe(), time.perf_counter() - start


def error_kind(message: str) -> str:
    """A derivation error without its particular expression: quoted text becomes '…'."""
    text = re.sub(r"'[^']*'", "'…'", message)
    text = re.sub(r"^d\w+/d[\w\[\], ()]+: ", "", text)
    return re.sub(r"\b[A-Za-z]\b(?= is used)", "X", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--max-minutes", type=float, default=None, help="stop early after this long")
    parser.add_argument("--no-sympy", action="store_true", help="finite differences only")
    parser.add_argument("--record", type=Path, default=None, help="append the run to this Markdown file")
    args = parser.parse_args(argv)

    started, t0 = dt.datetime.now(dt.timezone.utc), time.perf_counter()
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    examples: dict[str, str] = {}
    failures: list[tuple[int, str, str, str]] = []
    slowest = (0.0, -1)
    work = [(args.seed, k, args.timeout, not args.no_sympy) for k in range(args.cases)]
    done = 0
    with mp.get_context("fork").Pool(args.jobs, maxtasksperchild=200) as pool:
        for k, kind, message, describe, seconds in pool.imap_unordered(run_one, work, chunksize=4):
            done += 1
            counts[kind] += 1
            slowest = max(slowest, (seconds, k))
            if kind == "derivation_error":
                key = error_kind(message)
                kinds[key] += 1
                examples.setdefault(key, describe)
            if kind in BAD or kind == "known":
                failures.append((k, kind, message, describe))
                if kind in BAD:
                    print(f"\n!! case {k}: {kind}: {message}\n{describe}\n", flush=True)
            if done % 250 == 0 or done == args.cases:
                rate = done / (time.perf_counter() - t0)
                print(f"{done}/{args.cases} cases, {rate:.1f}/s: {dict(counts)}", flush=True)
            if args.max_minutes and time.perf_counter() - t0 > 60 * args.max_minutes:
                print(f"stopping after {args.max_minutes} minutes", flush=True)
                pool.terminate()
                break
    elapsed = time.perf_counter() - t0
    command = "python scripts/long_differential.py " + " ".join(argv if argv is not None else sys.argv[1:])
    report = _report(started, done, counts, kinds, examples, failures, elapsed, slowest, command)
    print(report)
    if args.record:
        with args.record.open("a", encoding="utf-8") as f:
            f.write(report)
    return 1 if any(counts[b] for b in BAD) else 0


def _report(started: dt.datetime, done: int, counts: Counter[str], kinds: Counter[str],
            examples: dict[str, str], failures: list[tuple[int, str, str, str]], elapsed: float,
            slowest: tuple[float, int], command: str) -> str:
    lines = [
        f"\n## Run of {started:%Y-%m-%d %H:%M} UTC\n",
        f"- command: `{command}`",
        f"- cases tried: {done}",
        (f"- **wrong gradients: {counts['wrong']}** "
         "(finite differences or SymPy disagree with a derived form)"),
        (f"- crashes (an exception other than DerivationError): {counts['crash']}; "
         f"already reported (known): {counts['known']}"),
        f"- timeouts: {counts['timeout']}",
        (f"- derived and checked: {counts['ok']}; "
         f"could not be checked (no usable point): {counts['unverifiable']}"),
        f"- DerivationErrors (\"no rule applies\", stated plainly): {counts['derivation_error']}",
        (f"- time: {elapsed / 60:.1f} min ({done / max(elapsed, 1e-9):.1f} cases/s); "
         f"slowest case {slowest[1]} ({slowest[0]:.1f} s)"),
        "",
    ]
    if kinds:
        lines += ["DerivationErrors by kind (quoted expressions elided):", "",
                  "| count | message | example |", "|---:|---|---|"]
        for key, n in kinds.most_common():
            example = examples[key].split("define:\n", 1)[-1].replace("\n", "; ").replace("|", "\\|")
            lines.append(f"| {n} | {key.replace('|', chr(92) + '|')} | `{example}` |")
        lines.append("")
    if failures:
        lines += ["Failures (first 20):", ""]
        for k, kind, message, describe in failures[:20]:
            lines += [f"- case {k}: {kind}: {message}", "", "  ```yaml",
                      *("  " + line for line in describe.splitlines()), "  ```", ""]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
