"""Sampling a server with py-spy while one fan-out phase runs (`--py-spy`).

The output is py-spy's raw (collapsed) format, one line per distinct stack with its count;
`summary()` sums the samples per function in which they were taken (the leaf) and per
function they passed through (inclusive), which is enough to see where a delivery goes.
"""

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def sampling(pid: int, output: Path, *, rate: int = 200) -> Iterator[None]:
    """py-spy samples `pid` for the duration of the block; a no-op without py-spy."""
    # The venv's py-spy first: the benchmark is often run as .venv/bin/python, venv not active.
    executable = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if executable is None:
        print("py-spy not found: no profile", flush=True)
        yield
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(
        [executable, "record", "--pid", str(pid), "--rate", str(rate), "--gil", "--format", "raw", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        _, errors = spy.communicate(timeout=60)
        if spy.returncode not in (0, -signal.SIGINT) and not output.exists():
            print(f"py-spy failed: {errors.decode(errors='replace')[-500:]}", flush=True)


def _frames(stack: str) -> list[str]:
    # "frame;frame;leaf count" -> frames, each "function (file:line)"; the line is dropped
    # so that one function counts once.
    return [frame.rsplit(":", 1)[0] + ")" if ":" in frame else frame for frame in stack.split(";")]


def summary(path: Path, top: int = 25) -> str:
    """The functions where the samples were taken, and those they passed through, by share."""
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = _frames(stack)
        total += count
        leaves[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "no samples"
    lines = [f"{total} samples; where the CPU was (leaf):"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(top)]
    lines.append("passed through (inclusive):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    return "\n".join(lines)
