"""Compare our drop-in ``dcmsign`` with DCMTK's, and both with ``openssl dgst`` (the hashing
limit), on deterministic inputs; print one table and one line per target of issue 4.

    python benches/compare_dcmtk.py [--rounds N] [--quick] [--only INPUT ...] [--baseline CMD]

The inputs are generated once into benches/.cache/: a CT image of about 40 KB, 64 MiB and
1 GiB single-frame and multi-frame native images, and an RLE image of 10,000 fragments
(``--quick`` skips the 1 GiB inputs). Each input is read once before timing so that every
tool reads it from the page cache. For each case, the tools run alternately (the order
rotates every round); signing writes the output file, verifying reads a file the same tool
signed beforehand. Medians of wall time and the highest peak RSS (``os.wait4``) are shown.
``--baseline`` adds another ``dcmsign`` (an earlier build of ours, installed in its own
environment) to the same rounds, so that a change is judged against the code before it on the
same machine at the same moment: the table then shows ours/baseline too.

Every raw timing, the CPU model, core count, load average and tool versions are written to
benches/results/<timestamp>.json. Exits with 0 whether or not the targets are met, and with
1 when a tool fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from _common import (
    CACHE,
    RESULTS,
    Identity,
    Run,
    find_dcmtk,
    find_openssl,
    first_line,
    machine,
    make_encapsulated,
    make_identity,
    make_image,
    make_multiframe,
    make_small_ct,
    ours_command,
    publish,
    run,
    warm,
)

MIB = 1 << 20
GIB = 1 << 30

#: DCMTK option and ``openssl dgst`` option of each MAC algorithm measured.
ALGORITHMS: dict[str, tuple[str, str]] = {
    "SHA256": ("+m2", "-sha256"),
    "RIPEMD160": ("+mr", "-ripemd160"),
}
TOOLS = ("DCMTK", "ours", "openssl")
BASELINE = "baseline"


class BenchError(Exception):
    """A tool failed or an input could not be made."""


@dataclass(frozen=True)
class Sizes:
    """Sizes of the generated inputs (smaller ones make a smoke test)."""

    medium: int = 64 * MIB
    large: int = GIB
    fragments: int = 10_000
    small_side: int = 140
    frame_side: int = 512


@dataclass(frozen=True)
class InputSpec:
    """An input to generate: a key (for ``--only``), a label, a file name in the cache and
    the function writing it."""

    key: str
    label: str
    filename: str
    make: Callable[[Path], Path]
    large: bool = False


@dataclass(frozen=True)
class Input:
    """A generated input file."""

    key: str
    label: str
    path: Path

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return self.path.stat().st_size


@dataclass(frozen=True)
class Case:
    """One operation measured on one input with one MAC algorithm."""

    operation: str
    input: Input
    algorithm: str


@dataclass
class Result:
    """The runs of each tool for one case."""

    case: Case
    runs: dict[str, list[Run]] = field(default_factory=lambda: {t: [] for t in TOOLS})

    @property
    def tools(self) -> list[str]:
        """The tools measured, in :data:`TOOLS` order, then the baseline."""
        return list(self.runs)

    def median(self, tool: str) -> float:
        """Median wall time of ``tool`` in seconds."""
        return statistics.median(r.wall for r in self.runs[tool])

    def peak(self, tool: str) -> float:
        """Highest peak RSS of ``tool`` in MiB."""
        return max(r.rss_mib for r in self.runs[tool])

    def ratio(self, tool: str, of: str = "ours") -> float:
        """Median wall time of ``of`` divided by that of ``tool``."""
        return self.median(of) / self.median(tool)


@dataclass(frozen=True)
class Target:
    """A target of issue 4: a measured value against a limit (``value`` is None when the
    case was not measured)."""

    description: str
    limit: float
    value: float | None

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when not measured)."""
        return None if self.value is None else self.value <= self.limit


def _size_name(size: int) -> str:
    return f"{size // MIB}mib" if size % MIB == 0 else f"{size}b"


def _human(size: int) -> str:
    if size >= GIB:
        return f"{size / GIB:.2f} GiB"
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    return f"{size / 1024:.1f} KiB"


def input_specs(sizes: Sizes = Sizes()) -> list[InputSpec]:
    """The inputs of the comparison for ``sizes``."""
    medium, large, frags, side = sizes.medium, sizes.large, sizes.fragments, sizes.small_side
    frame = sizes.frame_side
    return [
        InputSpec(
            "small",
            "CT, small",
            f"ct-small-{side}-v1.dcm",
            lambda p: make_small_ct(p, side),
        ),
        InputSpec(
            "fragments",
            f"RLE, {frags} fragments",
            f"rle-{frags}-fragments-v1.dcm",
            lambda p: make_encapsulated(p, frags),
        ),
        InputSpec(
            "single-medium",
            f"1 frame, {_human(medium)}",
            f"ct-{_size_name(medium)}.dcm",
            lambda p: make_image(p, medium),
        ),
        InputSpec(
            "multi-medium",
            f"multi-frame, {_human(medium)}",
            f"enhanced-ct-{_size_name(medium)}-{frame}-v1.dcm",
            lambda p: make_multiframe(p, medium, frame),
        ),
        InputSpec(
            "single-large",
            f"1 frame, {_human(large)}",
            f"ct-{_size_name(large)}.dcm",
            lambda p: make_image(p, large),
            large=True,
        ),
        InputSpec(
            "multi-large",
            f"multi-frame, {_human(large)}",
            f"enhanced-ct-{_size_name(large)}-{frame}-v1.dcm",
            lambda p: make_multiframe(p, large, frame),
            large=True,
        ),
    ]


def generate(spec: InputSpec, cache: Path) -> Input:
    """Generate the input of ``spec`` in ``cache`` unless it is there already."""
    path = cache / spec.filename
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        spec.make(path)
    return Input(spec.key, spec.label, path)


def plan(inputs: Sequence[Input]) -> list[Case]:
    """The cases measured on ``inputs``: sign and verify with SHA-256 on every input, and
    with RIPEMD-160 too on the large single-frame image."""
    cases = []
    for inp in inputs:
        algorithms = ["SHA256", "RIPEMD160"] if inp.key == "single-large" else ["SHA256"]
        for algorithm in algorithms:
            for operation in ("sign", "verify"):
                cases.append(Case(operation, inp, algorithm))
    return cases


@dataclass(frozen=True)
class Tools:
    """The commands compared."""

    dcmtk: list[str]
    ours: list[str]
    openssl: str
    baseline: list[str] | None = None

    @classmethod
    def find(cls) -> Tools:
        """DCMTK's dcmsign, ours beside the running interpreter, and openssl."""
        return cls([find_dcmtk()], ours_command(), find_openssl())

    @property
    def names(self) -> tuple[str, ...]:
        """The tools measured: :data:`TOOLS`, and the baseline when there is one."""
        return TOOLS if self.baseline is None else (*TOOLS, BASELINE)

    @property
    def signers(self) -> tuple[str, ...]:
        """The tools that sign and verify (all but ``openssl``)."""
        return tuple(t for t in self.names if t != "openssl")

    def dcmsign(self, tool: str) -> list[str]:
        """The dcmsign command of ``tool`` (``"DCMTK"``, ``"ours"`` or ``"baseline"``)."""
        if tool == BASELINE and self.baseline is not None:
            return self.baseline
        return self.dcmtk if tool == "DCMTK" else self.ours


def _check(tool: str, what: str, result: Run, verify: bool = False) -> None:
    if result.code != 0 or (verify and "Verification : OK" not in result.stderr):
        raise BenchError(f"{tool} failed to {what} (exit {result.code}):\n{result.stderr.strip()}")


def _sign_command(tools: Tools, tool: str, case: Case, pki: Identity, output: Path) -> list[str]:
    option = ALGORITHMS[case.algorithm][0]
    return [
        *tools.dcmsign(tool),
        "+s",
        str(pki.key),
        str(pki.cert),
        option,
        str(case.input.path),
        str(output),
    ]


def measure(case: Case, tools: Tools, pki: Identity, work: Path, rounds: int) -> Result:
    """Measure ``case`` for ``rounds`` rounds, the tools alternating."""
    result = Result(case, {t: [] for t in tools.names})
    warm(case.input.path)
    signed: dict[str, Path] = {}
    if case.operation == "verify":
        for tool in tools.signers:
            signed[tool] = work / f"signed-{tool}.dcm"
            made = run(_sign_command(tools, tool, case, pki, signed[tool]))
            _check(tool, f"sign {case.input.path.name}", made)
            warm(signed[tool])
    hashed = signed.get("ours", case.input.path)
    names = tools.names
    for n in range(rounds):
        shift = n % len(names)
        for tool in names[shift:] + names[:shift]:
            output = work / f"out-{tool}.dcm"
            if tool == "openssl":
                command = [tools.openssl, "dgst", ALGORITHMS[case.algorithm][1], str(hashed)]
            elif case.operation == "sign":
                command = _sign_command(tools, tool, case, pki, output)
            else:
                command = [*tools.dcmsign(tool), "+cf", str(pki.root), str(signed[tool])]
            measured = run(command)
            verifying = case.operation == "verify" and tool != "openssl"
            _check(tool, f"{case.operation} {case.input.path.name}", measured, verifying)
            result.runs[tool].append(measured)
            if output.exists():
                output.unlink()
                os.sync()
    for path in signed.values():
        path.unlink()
    return result


def targets(results: Sequence[Result]) -> list[Target]:
    """The targets of issue 4, evaluated on ``results``."""
    found = {(r.case.operation, r.case.input.key, r.case.algorithm): r for r in results}

    def ratio(operation: str, key: str, algorithm: str, tool: str) -> float | None:
        r = found.get((operation, key, algorithm))
        return None if r is None else r.ratio(tool)

    peak = max((r.peak("ours") for r in results), default=None)
    large = "single-large"
    return [
        Target("verify 1 GiB SHA-256, ours/DCMTK", 0.5, ratio("verify", large, "SHA256", "DCMTK")),
        Target(
            "verify 1 GiB SHA-256, ours/openssl", 1.25, ratio("verify", large, "SHA256", "openssl")
        ),
        Target(
            "verify 1 GiB RIPEMD-160, ours/openssl",
            1.25,
            ratio("verify", large, "RIPEMD160", "openssl"),
        ),
        Target("sign 1 GiB SHA-256, ours/DCMTK", 0.6, ratio("sign", large, "SHA256", "DCMTK")),
        Target(
            "sign 1 GiB RIPEMD-160, ours/DCMTK", 0.6, ratio("sign", large, "RIPEMD160", "DCMTK")
        ),
        Target("peak RSS of ours, any input (MiB)", 100.0, peak),
        Target(
            "small file verify, start-up included, ours/DCMTK",
            5.0,
            ratio("verify", "small", "SHA256", "DCMTK"),
        ),
        Target(
            "small file sign, start-up included, ours/DCMTK",
            5.0,
            ratio("sign", "small", "SHA256", "DCMTK"),
        ),
        Target(
            "10,000 fragments sign, ours/DCMTK", 0.5, ratio("sign", "fragments", "SHA256", "DCMTK")
        ),
        Target(
            "10,000 fragments verify, ours/DCMTK",
            0.5,
            ratio("verify", "fragments", "SHA256", "DCMTK"),
        ),
    ]


def format_table(results: Sequence[Result]) -> str:
    """The comparison table."""
    head = (
        f"{'op':<6} {'input':<24} {'size':>10} {'MAC':<9} {'DCMTK s':>8} {'ours s':>8} "
        f"{'ours/DCMTK':>10} {'openssl s':>9} {'ours/openssl':>12} "
        f"{'DCMTK MiB':>9} {'ours MiB':>8}"
    )
    baseline = any(BASELINE in r.runs for r in results)
    if baseline:
        head += f" {'base s':>8} {'base/DCMTK':>10} {'ours/base':>9} {'base MiB':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        c = r.case
        line = (
            f"{c.operation:<6} {c.input.label:<24} {_human(c.input.size):>10} "
            f"{c.algorithm:<9} {r.median('DCMTK'):>8.3f} {r.median('ours'):>8.3f} "
            f"{r.ratio('DCMTK'):>10.2f} {r.median('openssl'):>9.3f} "
            f"{r.ratio('openssl'):>12.2f} {r.peak('DCMTK'):>9.1f} {r.peak('ours'):>8.1f}"
        )
        if baseline:
            line += (
                f" {r.median(BASELINE):>8.3f} {r.ratio('DCMTK', of=BASELINE):>10.2f} "
                f"{r.ratio(BASELINE):>9.2f} {r.peak(BASELINE):>8.1f}"
            )
        lines.append(line)
    return "\n".join(lines)


def format_target(t: Target) -> str:
    """One target line: the measured value, the limit, and whether it is met."""
    value = "-" if t.value is None else f"{t.value:.3f}"
    verdict = {None: "not measured", True: "met", False: "NOT met"}[t.met]
    return f"target: {t.description} <= {t.limit:g}: {value:>6}  {verdict}"


def versions(tools: Tools) -> dict[str, str]:
    """The version line of each tool."""
    found = {
        "DCMTK": first_line([*tools.dcmtk, "--version"]),
        "ours": first_line([*tools.ours, "--version"]),
        "openssl": first_line([tools.openssl, "version"]),
    }
    if tools.baseline is not None:
        found[BASELINE] = first_line([*tools.baseline, "--version"])
    return found


def _run_dict(r: Run) -> dict[str, Any]:
    return {"wall_s": r.wall, "peak_rss_mib": r.rss_mib, "exit": r.code}


def report(
    results: Sequence[Result], info: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document of a run."""
    return {
        **info,
        "settings": settings,
        "cases": [
            {
                "operation": r.case.operation,
                "input": r.case.input.key,
                "label": r.case.input.label,
                "file": r.case.input.path.name,
                "size_bytes": r.case.input.size,
                "algorithm": r.case.algorithm,
                "median_s": {t: r.median(t) for t in r.tools},
                "peak_rss_mib": {t: r.peak(t) for t in r.tools},
                "ours_over_dcmtk": r.ratio("DCMTK"),
                "ours_over_openssl": r.ratio("openssl"),
                **(
                    {
                        "baseline_over_dcmtk": r.ratio("DCMTK", of=BASELINE),
                        "ours_over_baseline": r.ratio(BASELINE),
                    }
                    if BASELINE in r.runs
                    else {}
                ),
                "runs": {t: [_run_dict(x) for x in r.runs[t]] for t in r.tools},
            }
            for r in results
        ],
        "targets": [{**asdict(t), "met": t.met} for t in targets(results)],
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, help="rounds per case (default 5, 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="skip the 1 GiB inputs")
    parser.add_argument(
        "--only",
        action="append",
        choices=[s.key for s in input_specs()],
        help="measure only this input (repeatable)",
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help="where inputs are generated")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another dcmsign to measure in the same rounds, e.g. an earlier build of ours "
        "installed in its own environment (its ratios appear beside ours)",
    )
    args = parser.parse_args(argv)
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None, sizes: Sizes = Sizes()) -> int:
    """Run the comparison; return the exit status.

    When a tool fails, the cases measured so far are still printed and written, with the
    error, and the status is 1.
    """
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    try:
        tools = Tools.find()
    except SystemExit as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if args.baseline is not None:
        tools = replace(tools, baseline=[str(args.baseline)])
    info: dict[str, Any] = {
        "started": started.isoformat(),
        "machine": machine(),
        "tools": versions(tools),
    }
    m = info["machine"]
    print(
        f"{m['cpu_model']}, {m['cores']} cores, load average {m['load_average'][0]:.2f}; "
        f"{args.rounds} rounds",
        flush=True,
    )
    for name, version in info["tools"].items():
        print(f"{name}: {version}")
    specs = [
        s
        for s in input_specs(sizes)
        if not (args.quick and s.large) and (not args.only or s.key in args.only)
    ]
    results: list[Result] = []
    error = None
    try:
        args.cache.mkdir(parents=True, exist_ok=True)
        inputs = [generate(s, args.cache) for s in specs]
        with tempfile.TemporaryDirectory(dir=args.cache, prefix="work-") as tmp:
            work = Path(tmp)
            pki = make_identity(work / "pki")
            for case in plan(inputs):
                print(f"  {case.operation} {case.input.label} {case.algorithm} ...", flush=True)
                results.append(measure(case, tools, pki, work, args.rounds))
    except (BenchError, OSError) as e:
        error = str(e)
    info["finished"] = dt.datetime.now(dt.UTC).isoformat()
    info["machine"]["load_average_end"] = list(os.getloadavg())
    info["error"] = error
    settings = {
        "rounds": args.rounds,
        "quick": args.quick,
        "only": args.only,
        "baseline": None if args.baseline is None else str(args.baseline),
    }
    print()
    print(format_table(results))
    load = info["machine"]["load_average_end"][0]
    print(f"load average at the end: {load:.2f} (the comparison itself adds about 1)")
    print()
    for t in targets(results):
        print(format_target(t))
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    return publish(report(results, info, settings), args.results, stamp, error)


if __name__ == "__main__":
    sys.exit(main())
