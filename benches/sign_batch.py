"""Batch signing, side by side in one run (issue 14): ``dicomsign sign DIR --out OUT`` against a
loop of DCMTK's ``dcmsign --sign``, one process per file.

    python benches/sign_batch.py [--quick] [--rounds N] [--files N] [--loop-sample N]

The inputs are generated once into benches/.cache/ (keyed by their number): unsigned CT-like
images of about 10 to 40 KB, each a distinct size, and a root CA with an RSA-2048 signer.
Each round runs, the order rotating: ``dicomsign sign`` over every file on every core and with
``--jobs 1`` (a fresh output directory each time), and loops of DCMTK's ``dcmsign --sign`` and
of our drop-in, one process per file, over a fixed random sample of the files (``--loop-sample``;
each writes to /dev/null through ``sh -c``, the same for both). All sign with SHA-256. The
table shows the median files/s of each, its ratio to DCMTK's loop and the highest peak RSS;
DCMTK then verifies a sample of what ``dicomsign sign`` wrote (every one must pass), so a
fast but wrong run cannot count. Raw timings go to benches/results/sign-batch-<timestamp>.json.
Exits with 0 whether or not our batch is faster, with 1 when a tool fails or a signed file does
not verify.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shlex
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    CACHE,
    RESULTS,
    Identity,
    find_dcmtk,
    first_line,
    machine,
    make_identity,
    make_small_ct,
    ours_command,
    publish,
    run,
    run_each,
    warm,
)

#: The shell step of a loop (``sh -c STEP KEY CERT FILE``): sign FILE to /dev/null.
_LOOP = 'exec {tool} --sign "$0" "$1" --mac-sha256 "$2" /dev/null'


@dataclass(frozen=True)
class Op:
    """One measured operation: its name, the files it covers and how to run it once."""

    name: str
    files: int
    run: Callable[[], tuple[float, float]]
    reference: bool = False


def inputs(cache: Path, count: int) -> tuple[list[Path], Identity]:
    """The unsigned files (generated once) and the signer."""
    root = cache / f"sign-batch-v1-{count}"
    done = root / ".complete"
    files = [root / "in" / f"d{i // 500:03d}" / f"{i:06d}.dcm" for i in range(count)]
    if not done.exists():
        shutil.rmtree(root, ignore_errors=True)
        for i, path in enumerate(files):
            path.parent.mkdir(parents=True, exist_ok=True)
            make_small_ct(path, side=64 + (i * 7) % 80)
        make_identity(root / "pki")
        done.touch()
    identity = Identity(
        key=root / "pki" / "key.pem", cert=root / "pki" / "cert.pem", root=root / "pki" / "root.pem"
    )
    for path in files:
        warm(path)
    return files, identity


def _batch(
    sign: list[str], source: Path, out: Path, jobs: int | None
) -> Callable[[], tuple[float, float]]:
    def once() -> tuple[float, float]:
        shutil.rmtree(out, ignore_errors=True)
        extra = [] if jobs is None else ["--jobs", str(jobs)]
        result = run([*sign, str(source), "--out", str(out), "-q", "--no-progress", *extra])
        if result.code != 0:
            raise SystemExit(f"dicomsign sign failed ({result.code}): {result.stderr[-500:]}")
        return result.wall, result.rss_mib

    return once


def _loop(
    tool: list[str], identity: Identity, files: Sequence[Path]
) -> Callable[[], tuple[float, float]]:
    def once() -> tuple[float, float]:
        step = _LOOP.format(tool=shlex.join(tool))
        # run_each appends the file to ``sh -c STEP KEY CERT``.
        loop = run_each(["sh", "-c", step, str(identity.key), str(identity.cert)], files)
        if not loop.codes or any(loop.codes):
            raise SystemExit(f"{tool[0]} loop failed: {loop.stderr[-500:] or loop.codes[:5]}")
        return loop.wall, loop.rss_mib

    return once


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 files, 2 rounds")
    parser.add_argument("--rounds", type=int, help="rounds (5; 2 with --quick)")
    parser.add_argument("--files", type=int, help="files (2,000; 200 with --quick)")
    parser.add_argument("--loop-sample", type=int, help="files of the loops (300; 50 with --quick)")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    count = args.files or (200 if args.quick else 2000)
    sample_size = min(count, args.loop_sample or (50 if args.quick else 300))
    dcmtk = find_dcmtk()
    dicomsign = [*ours_command("dicomsign"), "sign"]
    ours_dcmsign = ours_command("dcmsign")
    files, identity = inputs(args.cache, count)
    sample = sorted(random.Random(7).sample(files, sample_size))
    source = files[0].parent.parent
    work = args.cache / "sign-batch-out"
    key = ["--key", str(identity.key), "--cert", str(identity.cert), "--mac", "SHA256"]
    ops = [
        Op(
            "dicomsign sign DIR --out OUT (all cores)",
            count,
            _batch([*dicomsign, *key], source, work / "all", None),
        ),
        Op(
            "dicomsign sign DIR --out OUT --jobs 1",
            count,
            _batch([*dicomsign, *key], source, work / "one", 1),
        ),
        Op(
            "DCMTK dcmsign --sign, a loop, one process per file",
            sample_size,
            _loop([dcmtk], identity, sample),
            True,
        ),
        Op(
            "our dcmsign --sign, a loop, one process per file",
            sample_size,
            _loop(ours_dcmsign, identity, sample),
        ),
    ]
    info: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "machine": machine(),
        "tools": {"dcmtk": first_line([dcmtk, "--version"])},
        "files": count,
        "loop_sample": sample_size,
        "rounds": rounds,
    }
    cpu = info["machine"]["cpu_model"]
    print(f"{cpu}; {count:,} files, loops over {sample_size:,}; {rounds} rounds")
    timings: dict[str, list[tuple[float, float]]] = {op.name: [] for op in ops}
    try:
        for r in range(rounds):
            print(f"  round {r + 1}/{rounds} ...", flush=True)
            for op in ops[r % len(ops) :] + ops[: r % len(ops)]:
                timings[op.name].append(op.run())
    except SystemExit as exc:
        return publish({"mode": "sign-batch", **info}, args.results, "sign-batch-failed", str(exc))
    rates = {
        op.name: statistics.median(op.files / wall for wall, _ in timings[op.name]) for op in ops
    }
    reference = next(rates[op.name] for op in ops if op.reference)
    print()
    print(
        f"{'operation':<52} {'files':>6} {'median files/s':>15} {'ratio':>16} {'peak RSS MiB':>13}"
    )
    rows = []
    for op in ops:
        rss = max(m for _, m in timings[op.name])
        ratio = "reference" if op.reference else f"{rates[op.name] / reference:.2f}× DCMTK loop"
        rows.append(
            {
                "operation": op.name,
                "files": op.files,
                "files_per_s": rates[op.name],
                "ratio": ratio,
                "rss_mib": rss,
            }
        )
        print(f"{op.name:<52} {op.files:>6,} {rates[op.name]:>15,.1f} {ratio:>16} {rss:>13.1f}")
    # What was measured must be right: DCMTK verifies a sample of the batch's outputs.
    outputs = sorted((work / "all").rglob("*.dcm"))
    checked = random.Random(11).sample(outputs, min(50, len(outputs)))
    bad = [
        p
        for p in checked
        if subprocess.run(
            [dcmtk, "--verify", "+cf", str(identity.root), str(p)], capture_output=True, check=False
        ).returncode
    ]
    print(
        f"\nDCMTK verified {len(checked) - len(bad)} of {len(checked)} files signed by dicomsign sign"
    )
    error = f"{len(bad)} signed files do not verify with DCMTK, e.g. {bad[0]}" if bad else None
    document = {
        "mode": "sign-batch",
        **info,
        "rows": rows,
        "timings": timings,
        "dcmtk_verified": len(checked) - len(bad),
    }
    stamp = dt.datetime.fromisoformat(info["started"]).strftime("%Y%m%dT%H%M%SZ")
    return publish(document, args.results, f"sign-batch-{stamp}", error)


if __name__ == "__main__":
    sys.exit(main())
