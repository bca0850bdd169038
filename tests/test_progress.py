"""Long builds: the bar's elapsed time and estimate, and Ctrl-C keeping the problems already finished."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivgen.build.progress import Bar, clock_time

ROOT = Path(__file__).resolve().parent.parent


def test_bar_shows_elapsed_time_then_an_estimate() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = Bar(stream, clock=lambda: now[0])
    bar.start("derive", 30)
    now[0] = 0.6
    bar.advance()  # 1 of 30 after 0.6 s: too early to tell
    assert stream.getvalue().endswith("   1/30  0:01")
    now[0] = 12.0
    bar.advance(8)  # 9 of 30 after 12 s: 21 more at 4/3 s each
    assert stream.getvalue().endswith("   9/30  0:12, about 0:28 left")
    now[0] = 40.0
    bar.advance(21)
    bar.finish()  # done: no estimate, and the shorter line leaves nothing of the longer one behind
    *_, longer, done, last = stream.getvalue().split("\r")
    assert done.rstrip(" ") == "derive   [##############################]   30/30  0:40"
    assert len(done) == len(longer)  # blanks over the end of the longer line before it
    assert last == "derive   [##############################]   30/30  0:40\n"


def test_clock_time() -> None:
    assert [clock_time(s) for s in (0.2, 59.6, 75.3, 3725)] == ["0:00", "1:00", "1:15", "1:02:05"]


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_problems_and_exits_130(tmp_path: Path) -> None:
    """SIGINT to a cold build of several problems: the finished ones are written and cached."""
    src = tmp_path / "sheet"
    src.mkdir()
    names = ["chain-rule-2x-plus-1", "logistic-sigmoid", "product-rule", "quotient-rule",
             "power-from-definition"]
    for name in names:
        shutil.copy(ROOT / "problems" / "1-scalar" / f"{name}.yaml", src / f"{name}.yaml")
    for n in range(60):  # seconds more work than the test waits for, so the build is still running
        shutil.copy(ROOT / "problems" / "3-matrix" / "two-layer-network.yaml", src / f"z-net-{n:02}.yaml")
    out = tmp_path / "out"
    total = len(names) + 60
    command = [sys.executable, "-m", "derivgen", "build", str(src), "-o", str(out), "--format", "md,json",
               "-j", "1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # stderr on a terminal, so the progress bar says when a problem is done
    master, slave = pty.openpty()
    build = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    def done() -> int:  # problems derived so far, as the bar last said
        counts = re.findall(rb"derive +\[[#.]+\] +(\d+)/%d" % total, seen)
        return int(counts[-1]) if counts else 0

    while time.monotonic() < deadline and done() < 2:
        if select.select([master], [], [], 0.5)[0]:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
    assert build.poll() is None, f"the build ended before it could be interrupted: {seen!r}"
    build.send_signal(signal.SIGINT)
    while True:  # read on as a terminal does (a full terminal would hold the build up)
        if select.select([master], [], [], 0.2)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            seen += chunk
            if chunk:
                continue
        if build.poll() is not None or time.monotonic() > deadline:
            break
    assert build.wait(timeout=5) == 130, seen
    os.close(master)
    stderr = seen.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    last = stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("derivgen: interrupted; kept "), stderr
    kept = int(last.split("kept ")[1].split()[0])
    md = out / "sheet" / "md"
    written = sorted(p.stem for p in md.glob("*.md"))
    assert 2 <= kept < total and len(written) == kept, (kept, written)
    assert written[:2] == ["chain-rule-2x-plus-1", "logistic-sigmoid"]  # in order, the first ones
    assert all((out / "json" / f"{stem}.json").is_file() for stem in written)
    # the next build takes the finished problems from the cache (the rest left out to keep this quick)
    for path in sorted(src.glob("*.yaml"))[kept:]:
        path.unlink()
    again = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"{kept} problems (0 built, {kept} cached)" in again.stderr
