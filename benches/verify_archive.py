"""Archive verification, side by side in one run (issue 13): ``dicomsign verify DIR`` against
a loop of DCMTK's ``dcmsign``, one process per file, and against ``openssl dgst``; every
verdict compared with DCMTK's; one table and one line per target.

    python benches/verify_archive.py [--quick] [--rounds N] [--files N] [--loop-sample N]
                                     [--large-count N] [--large-mib N] [--markdown]
    python benches/verify_archive.py --million [--million-files N]

The archive is generated once into benches/.cache/ (keyed by its parameters) and reused:
5,000 small files (``--files``), CT images of 10 to 40 KB, each one distinct, signed with five MAC
algorithms (SHA-256, SHA-384, SHA-512, RIPEMD-160, SHA-1) by four signers (RSA 2048 and EC
P-256 under the root CA, RSA 3072 and EC P-384 under an intermediate CA), some tampered
(a byte of the patient's name or of the pixels flipped), some unsigned, some signed by an
untrusted (self-signed) certificate, some truncated and some not DICOM (text, random bytes,
empty); and a few large images (4 x 256 MiB by default) signed with SHA-256. Every file is
read once before timing, so that every tool finds it in the page cache.

Each round runs, the order rotating: ``dicomsign verify`` over the small files on every core
and with ``--jobs 1``; a loop of DCMTK's ``dcmsign`` and one of our drop-in ``dcmsign``, one
process per file (over a fixed random sample of the small files, 1,000 by default; ``0``
means every file); DCMTK's ``dcmsign`` on every core (``xargs -P``, for information); and on
the large files ``dicomsign verify`` and ``openssl dgst -sha256`` on every core (``xargs
-P``). The table shows the median files/s (or MB/s, 10^6 bytes) of each, its ratio to the
reference (DCMTK's loop, or openssl), and the highest peak RSS (``ru_maxrss``; for the loops
and ``xargs``, that of the largest single process). Before the rounds, every small file is
verified once by ``dicomsign verify --journal`` and once by DCMTK's ``dcmsign``: each
journal record's ``exit_code`` (DCMTK's exit code for this file) must equal the exit status
of DCMTK, and the disagreements are counted and listed.

``--million`` is the memory demonstration instead: a tree of 10^6 empty files (not DICOM;
``--million-files`` for another number) is generated once into benches/.cache/ and walked by
``dicomsign verify -q --journal /dev/null``, first over about 1% of it, then over all of it;
the peak RSS of both is shown, and the target is under 200 MiB over the whole tree.

Every raw timing, the machine and the tool versions are written to
benches/results/verify-archive-<timestamp>.json (verify-million-... for ``--million``).
Exits with 0 whether or not the targets are met, and with 1 when a tool fails.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    CACHE,
    RESULTS,
    Loop,
    Run,
    find_dcmtk,
    find_openssl,
    first_line,
    machine,
    make_image,
    make_pki,
    make_small_ct,
    ours_command,
    publish,
    run,
    run_each,
    warm,
)

import dicomsign

MIB = 1 << 20
MB = 1_000_000
#: The version of the generated archive's layout: a change to the generator changes it, so
#: that an archive cached by an earlier version is not reused.
ARCHIVE_VERSION = 1
MAC_ALGORITHMS = ("SHA256", "SHA384", "SHA512", "RIPEMD160", "SHA1")
#: The signers whose certificates lead to the trusted root (see ``_common.PKI_SIGNERS``).
TRUSTED_SIGNERS = ("rsa2048", "ec256", "rsa3072", "ec384")
#: The kinds of small files and their weights (per cent).
KINDS: tuple[tuple[str, int], ...] = (
    ("signed", 70),
    ("tampered-name", 4),
    ("tampered-pixels", 4),
    ("unsigned", 7),
    ("untrusted", 4),
    ("truncated", 3),
    ("text", 3),
    ("random", 3),
    ("empty", 2),
)
#: Image sides of the small files (10 to 40 KB).
SIDES = (64, 96, 128, 140)
#: The SOP Instance UID and Patient ID of :func:`make_small_ct`, replaced in each small file
#: by values of the same length, so that every file is distinct.
TEMPLATE_UID = b"2.25.1000000000000000000000000000000002"
TEMPLATE_PATIENT_ID = b"PID000001"
PATIENT_NAME = b"Bench^Small"
PIXEL_DATA_HEADER = b"\xe0\x7f\x10\x00OW\x00\x00"
MAX_FILES = 999_999
#: Peak RSS target of ``--million`` (MiB) and its default number of paths.
MILLION_LIMIT_MIB = 200.0
MILLION = 1_000_000
FILES_PER_DIRECTORY = 1000
SPEED_TARGET = 30.0


class BenchError(Exception):
    """A tool failed or the archive could not be made."""


# -- the archive --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveSpec:
    """The parameters of a generated archive (its cache key)."""

    files: int = 5000
    large_count: int = 4
    large_mib: int = 256
    seed: int = 13

    @property
    def name(self) -> str:
        """The archive's directory name in the cache."""
        return (
            f"verify-archive-v{ARCHIVE_VERSION}-{self.files}-files-"
            f"{self.large_count}x{self.large_mib}mib-seed{self.seed}"
        )


@dataclass(frozen=True)
class Archive:
    """A generated archive: ``small/`` (a tree of small files), ``large/`` and ``pki/``.

    Attributes
    ----------
    root : Path
        Its directory.
    spec : ArchiveSpec
        Its parameters.
    kinds : dict of str to str
        The kind of each small file (:data:`KINDS`), by path relative to ``small/``.
    large : list of Path
        The large files.
    """

    root: Path
    spec: ArchiveSpec
    kinds: dict[str, str]
    large: list[Path]

    @property
    def small(self) -> Path:
        """The directory of the small files."""
        return self.root / "small"

    @property
    def large_dir(self) -> Path:
        """The directory of the large files."""
        return self.root / "large"

    @property
    def small_files(self) -> list[Path]:
        """Every small file, sorted."""
        return [self.small / rel for rel in sorted(self.kinds)]

    @property
    def dcmtk_trust(self) -> list[str]:
        """The trust options of ``dcmsign`` (DCMTK's and ours)."""
        pki = self.root / "pki"
        return ["+cf", str(pki / "root.pem"), "+uf", str(pki / "intermediate.pem")]

    @property
    def verify_trust(self) -> list[str]:
        """The same trust as ``dicomsign verify`` options."""
        pki = self.root / "pki"
        return [f"--trusted={pki / 'root.pem'}", f"--untrusted={pki / 'intermediate.pem'}"]


@dataclass(frozen=True)
class SmallFile:
    """The plan of one small file."""

    relative: str
    kind: str
    side: int
    algorithm: str
    signer: str


def plan_small(spec: ArchiveSpec) -> list[SmallFile]:
    """The small files of ``spec``: kind, image side, MAC algorithm and signer of each,
    drawn from a generator seeded with ``spec.seed``; 100 files a directory, in a tree
    ``studyNNN/seriesN/``."""
    rnd = random.Random(spec.seed)
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    files = []
    for i in range(spec.files):
        kind = rnd.choices(names, weights)[0]
        side = rnd.choice(SIDES)
        algorithm = rnd.choice(MAC_ALGORITHMS)
        signer = "self-signed" if kind == "untrusted" else rnd.choice(TRUSTED_SIGNERS)
        ext = {"text": ".txt", "random": ".bin"}.get(kind, ".dcm")
        relative = f"study{i // 500:03d}/series{i // 100 % 5}/{i:06d}{ext}"
        files.append(SmallFile(relative, kind, side, algorithm, signer))
    return files


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0xFF]) + data[offset + 1 :]


def small_bytes(
    index: int,
    plan: SmallFile,
    templates: dict[int, bytes],
    signers: dict[str, Any],
    seed: int,
) -> bytes:
    """The bytes of small file ``index`` of ``plan``: a CT image of :func:`make_small_ct`
    made distinct (its SOP Instance UID and Patient ID), then signed, damaged or replaced as
    its kind says."""
    rnd = random.Random(f"{seed}-{index}")
    kind = plan.kind
    if kind == "empty":
        return b""
    if kind == "text":
        return f"study notes {index}: not a DICOM file\n".encode() * rnd.randint(1, 200)
    if kind == "random":
        return rnd.randbytes(rnd.randrange(16, 32768))
    image = (
        templates[plan.side]
        .replace(TEMPLATE_UID, f"2.25.{2 * 10**33 + index:034d}".encode())
        .replace(TEMPLATE_PATIENT_ID, f"PID{index:06d}".encode())
    )
    if kind == "unsigned":
        return image
    signed = dicomsign.sign(image, signers[plan.signer], algorithm=plan.algorithm).document
    if kind == "tampered-name":
        return _flip(signed, signed.index(PATIENT_NAME) + len(PATIENT_NAME) - 1)
    if kind == "tampered-pixels":
        return _flip(signed, signed.index(PIXEL_DATA_HEADER) + 12 + plan.side * plan.side)
    if kind == "truncated":
        return signed[: rnd.randrange(len(signed) // 2, len(signed) - 1)]
    return signed


def _load(root: Path) -> Archive:
    manifest = json.loads((root / "manifest.json").read_text())
    return Archive(
        root,
        ArchiveSpec(**manifest["spec"]),
        manifest["kinds"],
        [root / "large" / name for name in manifest["large"]],
    )


def build_archive(spec: ArchiveSpec, cache: Path) -> Archive:
    """The archive of ``spec`` in ``cache``, generated unless it is there already (it is
    made in a temporary directory renamed when complete)."""
    root = cache / spec.name
    if (root / "manifest.json").exists():
        return _load(root)
    print(f"generating {root} ...", flush=True)
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache, prefix=f"{spec.name}.tmp-"))
    try:
        pki = make_pki(tmp / "pki")
        signers = {
            name: dicomsign.load_signer(ident.key, ident.cert)
            for name, ident in pki.signers.items()
        }
        templates = {
            side: make_small_ct(tmp / f"template-{side}.dcm", side).read_bytes() for side in SIDES
        }
        kinds = {}
        for index, plan in enumerate(plan_small(spec)):
            path = tmp / "small" / plan.relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(small_bytes(index, plan, templates, signers, spec.seed))
            kinds[plan.relative] = plan.kind
        for side in SIDES:
            (tmp / f"template-{side}.dcm").unlink()
        large = []
        if spec.large_count:
            unsigned = make_image(tmp / "large-unsigned.dcm", spec.large_mib * MIB)
            (tmp / "large").mkdir()
            for k in range(spec.large_count):
                name = f"large-{k}.dcm"
                dicomsign.sign(
                    unsigned, signers["rsa2048"], output=tmp / "large" / name, algorithm="SHA256"
                )
                large.append(name)
            unsigned.unlink()
        manifest = {"version": ARCHIVE_VERSION, "spec": asdict(spec), "kinds": kinds}
        (tmp / "manifest.json").write_text(json.dumps({**manifest, "large": large}, indent=0))
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _load(root)


# -- the verdicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One file's verdicts: ``dicomsign verify``'s word and exit code (from its journal),
    and DCMTK's exit status (and the first line it printed)."""

    relative: str
    kind: str
    status: str
    ours: int | None
    dcmtk: int
    dcmtk_said: str

    @property
    def agrees(self) -> bool:
        """Whether the exit codes are equal."""
        return self.ours == self.dcmtk


def _dcmtk_verdict(command: list[str]) -> tuple[int, str]:
    done = subprocess.run(command, check=False, capture_output=True, text=True, errors="replace")
    said = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, said[0] if said else ""


def verdicts(archive: Archive, tools: Tools, work: Path, jobs: int) -> tuple[list[Verdict], int]:
    """Every small file verified once by ``dicomsign verify --journal`` and once by DCMTK
    (``jobs`` processes at a time); also the run's exit status of ``dicomsign verify``."""
    journal = work / "verdicts.jsonl"
    done = run(
        [*tools.verify, "-q", "--journal", str(journal), *archive.verify_trust, str(archive.small)]
    )
    if done.code not in (0, 20, 101):
        raise BenchError(f"dicomsign verify failed (exit {done.code}):\n{done.stderr.strip()}")
    ours: dict[str, tuple[str, int]] = {}
    with open(journal, encoding="utf-8") as lines:
        for line in lines:
            rec = json.loads(line)
            relative = os.path.relpath(rec["path"], archive.small)
            ours[relative] = (rec["status"], rec["exit_code"])
    files = archive.small_files
    with ThreadPoolExecutor(jobs) as pool:
        theirs = list(
            pool.map(_dcmtk_verdict, ([*tools.dcmtk, *archive.dcmtk_trust, str(p)] for p in files))
        )
    out = []
    for path, (code, said) in zip(files, theirs, strict=True):
        relative = str(path.relative_to(archive.small))
        status, exit_code = ours.get(relative, ("(no record)", None))
        out.append(Verdict(relative, archive.kinds[relative], status, exit_code, code, said))
    return out, done.code


# -- the measurements ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """The commands compared."""

    dcmtk: list[str]
    ours: list[str]
    verify: list[str]
    openssl: str

    @classmethod
    def find(cls) -> Tools:
        """DCMTK's dcmsign, our dcmsign and ``dicomsign verify`` beside the running
        interpreter, and openssl."""
        verify = [*ours_command("dicomsign"), "verify"]
        return cls([find_dcmtk()], ours_command(), verify, find_openssl())


@dataclass(frozen=True)
class Op:
    """One measured operation: a key, a label, the input it works on (``amount`` files or
    bytes), its reference (the key of the op its ratio is against, or None) and a function
    running it once."""

    key: str
    label: str
    input: str
    unit: str
    amount: int
    reference: str | None
    measure: Callable[[], Run | Loop]


@dataclass
class Result:
    """The runs of one operation."""

    op: Op
    runs: list[Run | Loop] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median wall time in seconds."""
        return statistics.median(r.wall for r in self.runs)

    @property
    def rate(self) -> float:
        """Files or bytes per second of the median run (bytes: MB/s)."""
        rate = self.op.amount / self.median
        return rate / MB if self.op.unit == "MB/s" else rate

    @property
    def peak(self) -> float:
        """The highest peak RSS (MiB)."""
        return max(r.rss_mib for r in self.runs)


def _list(path: Path, files: Sequence[Path]) -> Path:
    path.write_text("".join(f"{p}\n" for p in files), encoding="utf-8")
    return path


def _checked(what: str, result: Run, allowed: Sequence[int]) -> Run:
    if result.code not in allowed:
        raise BenchError(f"{what} failed (exit {result.code}):\n{result.stderr.strip()}")
    return result


def _loop(what: str, command: list[str], files: Sequence[Path]) -> Loop:
    result = run_each(command, files)
    if len(result.codes) != len(files):
        raise BenchError(f"{what} could not run:\n{result.stderr.strip()}")
    return result


def plan_ops(
    archive: Archive, tools: Tools, sample: Sequence[Path], work: Path, expected_exit: int
) -> list[Op]:
    """The operations of a round (see the module docstring); ``dicomsign verify`` of the
    small files must exit with ``expected_exit`` (that of the verdicts' run)."""
    jobs = len(os.sched_getaffinity(0))
    files = archive.small_files
    n, m = len(files), len(sample)
    small = f"{n:,} small files"
    sampled = f"{m:,} small files" + ("" if m == n else " (sample)")
    verify = [*tools.verify, "-q", *archive.verify_trust]
    dcmtk = [*tools.dcmtk, *archive.dcmtk_trust]
    ours = [*tools.ours, *archive.dcmtk_trust]
    each = ["xargs", "-a", str(_list(work / "sample.list", sample)), "-P", str(jobs), "-n", "1"]
    ops = [
        Op(
            "dicomsign-all",
            f"dicomsign verify DIR (all {jobs} cores)",
            small,
            "files/s",
            n,
            "dcmtk-loop",
            lambda: _checked(
                "dicomsign verify", run([*verify, str(archive.small)]), [expected_exit]
            ),
        ),
        Op(
            "dicomsign-1",
            "dicomsign verify DIR --jobs 1",
            small,
            "files/s",
            n,
            "dcmtk-loop",
            lambda: _checked(
                "dicomsign verify --jobs 1",
                run([*verify, "--jobs", "1", str(archive.small)]),
                [expected_exit],
            ),
        ),
        Op(
            "dcmtk-loop",
            "DCMTK dcmsign, a loop, one process per file",
            sampled,
            "files/s",
            m,
            None,
            lambda: _loop("DCMTK's dcmsign", dcmtk, sample),
        ),
        Op(
            "ours-loop",
            "our dcmsign, a loop, one process per file",
            sampled,
            "files/s",
            m,
            "dcmtk-loop",
            lambda: _loop("our dcmsign", ours, sample),
        ),
        Op(
            "dcmtk-parallel",
            f"DCMTK dcmsign, xargs -P {jobs} (information)",
            sampled,
            "files/s",
            m,
            "dcmtk-loop",
            lambda: _checked("DCMTK's dcmsign under xargs", run([*each, *dcmtk]), [0, 123]),
        ),
    ]
    if archive.large:
        large = f"{len(archive.large)} x {archive.spec.large_mib} MiB"
        large_bytes = sum(p.stat().st_size for p in archive.large)
        digest = ["xargs", "-a", str(_list(work / "large.list", archive.large))]
        digest += ["-P", str(jobs), "-n", "1", tools.openssl, "dgst", "-sha256"]
        ops += [
            Op(
                "dicomsign-large",
                f"dicomsign verify DIR (all {jobs} cores)",
                large,
                "MB/s",
                large_bytes,
                "openssl-large",
                lambda: _checked(
                    "dicomsign verify of the large files",
                    run([*verify, str(archive.large_dir)]),
                    [0],
                ),
            ),
            Op(
                "openssl-large",
                f"openssl dgst -sha256, xargs -P {jobs}",
                large,
                "MB/s",
                large_bytes,
                None,
                lambda: _checked("openssl dgst", run(digest), [0]),
            ),
        ]
    return ops


def measure(ops: Sequence[Op], rounds: int) -> list[Result]:
    """Run every op ``rounds`` times, the order rotating each round."""
    results = {op.key: Result(op) for op in ops}
    for n in range(rounds):
        print(f"  round {n + 1}/{rounds} ...", flush=True)
        shift = n % len(ops)
        for op in [*ops[shift:], *ops[:shift]]:
            results[op.key].runs.append(op.measure())
    return list(results.values())


# -- the report ---------------------------------------------------------------------------------


def ratio(result: Result, results: Sequence[Result]) -> float | None:
    """The rate of ``result`` over that of its reference (None without one)."""
    found = {r.op.key: r for r in results}
    ref = found.get(result.op.reference or "")
    return None if ref is None else result.rate / ref.rate


def _reference_name(result: Result, results: Sequence[Result]) -> str:
    found = {r.op.key: r for r in results}
    ref = found.get(result.op.reference or "")
    return (
        ""
        if ref is None
        else {"dcmtk-loop": "DCMTK loop", "openssl-large": "openssl"}.get(ref.op.key, ref.op.label)
    )


def table_rows(results: Sequence[Result]) -> list[list[str]]:
    """The cells of the table: operation, input, median rate, ratio, peak RSS."""
    rows = []
    for r in results:
        x = ratio(r, results)
        rows.append(
            [
                r.op.label,
                r.op.input,
                f"{r.rate:,.0f} {r.op.unit}" if r.rate >= 100 else f"{r.rate:.1f} {r.op.unit}",
                "reference" if x is None else f"{x:.2f}× {_reference_name(r, results)}",
                f"{r.peak:.1f}",
            ]
        )
    return rows


HEADERS = ["operation", "input", "median rate", "ratio", "peak RSS MiB"]


def _numeric(rows: Sequence[Sequence[str]], column: int) -> bool:
    return all(row[column][:1].isdigit() or row[column] == "reference" for row in rows)


def format_table(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> str:
    """A plain-text table (columns of numbers right-aligned)."""
    columns = range(len(headers))
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in columns]
    right = [bool(rows) and _numeric(rows, i) for i in columns]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    head = line(headers)
    return "\n".join([head, "-" * len(head), *(line(row) for row in rows)])


def format_markdown(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> str:
    """The same table in Markdown."""
    align = ["---:" if rows and _numeric(rows, i) else "---" for i in range(len(headers))]
    lines = [headers, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


@dataclass(frozen=True)
class Target:
    """A target of issue 13 and whether it is met (None: not measured)."""

    description: str
    met: bool | None
    detail: str


def targets(results: Sequence[Result], checked: Sequence[Verdict]) -> list[Target]:
    """The targets of issue 13: 30 times DCMTK's files/s, every verdict equal."""
    found = {r.op.key: r for r in results}
    speed = None if "dicomsign-all" not in found else ratio(found["dicomsign-all"], results)
    differ = sum(not v.agrees for v in checked)
    return [
        Target(
            f"≥{SPEED_TARGET:g}× DCMTK files/s (all cores)",
            None if speed is None else speed >= SPEED_TARGET,
            "not measured" if speed is None else f"ratio {speed:.2f}",
        ),
        Target(
            "every verdict equal to DCMTK's",
            None if not checked else differ == 0,
            f"{differ:,} of {len(checked):,} files differ",
        ),
    ]


def format_target(t: Target) -> str:
    """One target line."""
    verdict = {None: "not measured", True: "met", False: "NOT met"}[t.met]
    return f"target: {t.description}: {verdict} ({t.detail})"


def _by_kind(checked: Sequence[Verdict]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for v in checked:
        out.setdefault(v.kind, Counter())[v.status] += 1
    return out


def crosstab(checked: Sequence[Verdict]) -> list[str]:
    """One line per kind of file: how many, and the words ``dicomsign verify`` gave them."""
    by_kind = _by_kind(checked)
    lines = []
    for kind, _ in KINDS:
        if kind in by_kind:
            words = ", ".join(f"{w} {n:,}" for w, n in by_kind[kind].most_common())
            lines.append(f"  {kind:<16} {sum(by_kind[kind].values()):>6,}  ({words})")
    return lines


def _result_dict(r: Result, results: Sequence[Result]) -> dict[str, Any]:
    return {
        "key": r.op.key,
        "label": r.op.label,
        "input": r.op.input,
        "unit": r.op.unit,
        "amount": r.op.amount,
        "median_s": r.median,
        "rate": r.rate,
        "reference": r.op.reference,
        "ratio": ratio(r, results),
        "peak_rss_mib": r.peak,
        "runs": [{"wall_s": x.wall, "peak_rss_mib": x.rss_mib} for x in r.runs],
    }


def _versions(tools: Tools) -> dict[str, str]:
    return {
        "DCMTK": first_line([*tools.dcmtk, "--version"]),
        "ours": first_line([*tools.ours, "--version"]),
        "openssl": first_line([tools.openssl, "version"]),
    }


def _header(info: dict[str, Any], rounds: int | None) -> None:
    m = info["machine"]
    tail = "" if rounds is None else f"; {rounds} rounds"
    print(
        f"{m['cpu_model']}, {m['cores']} cores, load average {m['load_average'][0]:.2f}{tail}",
        flush=True,
    )
    for name, version in info["tools"].items():
        print(f"{name}: {version}")


# -- the archive run ----------------------------------------------------------------------------


def loop_agreement(
    results: Sequence[Result], checked: Sequence[Verdict], archive: Archive, sample: Sequence[Path]
) -> dict[str, int]:
    """How many files of the loop our ``dcmsign`` gave an exit status other than DCMTK's,
    in any round."""
    by_file = {v.relative: v.dcmtk for v in checked}
    dcmtk = [by_file[str(p.relative_to(archive.small))] for p in sample]
    differ: set[int] = set()
    for r in results:
        if r.op.key == "ours-loop":
            for loop in r.runs:
                if isinstance(loop, Loop):
                    differ.update(i for i, code in enumerate(loop.codes) if code != dcmtk[i])
    return {"files": len(sample), "differ": len(differ)}


def sample_of(files: Sequence[Path], size: int, seed: int) -> list[Path]:
    """A fixed random sample of ``size`` files (all of them when ``size`` is 0 or at least
    their number), in their order."""
    if size == 0 or size >= len(files):
        return list(files)
    chosen = set(random.Random(seed).sample(range(len(files)), size))
    return [f for i, f in enumerate(files) if i in chosen]


def print_verdicts(checked: Sequence[Verdict], ours_loop: dict[str, int]) -> None:
    """How many verdicts agree, the first disagreements, and our loop's agreement."""
    differ = [v for v in checked if not v.agrees]
    if checked:
        print(
            f"\nverdicts: {len(checked) - len(differ):,} of {len(checked):,} files, "
            "dicomsign verify's exit_code equal to DCMTK's exit status"
        )
    for v in differ[:10]:
        print(
            f"  {v.relative} ({v.kind}): dicomsign verify {v.status}, exit code {v.ours}; "
            f"DCMTK exit {v.dcmtk}: {v.dcmtk_said}"
        )
    if len(differ) > 10:
        print(f"  ... and {len(differ) - 10:,} more (all in the JSON)")
    if ours_loop:
        same = ours_loop["files"] - ours_loop["differ"]
        print(
            f"our dcmsign's exit status equal to DCMTK's on {same:,} of {ours_loop['files']:,} "
            "files of its loop"
        )


def run_archive(
    args: argparse.Namespace, tools: Tools, info: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The side-by-side run over the archive: its printed table and targets, its JSON
    document and the error that stopped it, if one did."""
    spec = ArchiveSpec(args.files, args.large_count, args.large_mib, args.seed)
    results: list[Result] = []
    checked: list[Verdict] = []
    ours_loop: dict[str, int] = {}
    archive = None
    sample: list[Path] = []
    error = None
    try:
        archive = build_archive(spec, args.cache)
        files = archive.small_files
        sample = sample_of(files, args.loop_sample, spec.seed)
        for path in [*files, *archive.large]:
            warm(path)
        with tempfile.TemporaryDirectory(dir=args.cache, prefix="work-") as tmp:
            work = Path(tmp)
            print(f"verdicts of {len(files):,} files, dicomsign verify and DCMTK ...", flush=True)
            jobs = len(os.sched_getaffinity(0))
            checked, expected_exit = verdicts(archive, tools, work, jobs)
            ops = plan_ops(archive, tools, sample, work, expected_exit)
            results = measure(ops, args.rounds)
        ours_loop = loop_agreement(results, checked, archive, sample)
    except (BenchError, OSError) as e:
        error = str(e)
    _finish(info, error)
    rows = table_rows(results)
    print()
    if archive is not None:
        print(f"archive: {archive.root}")
        for line in crosstab(checked):
            print(line)
        if sample and len(sample) < len(archive.kinds):
            print(
                f"the loops run over a fixed random sample of {len(sample):,} of the "
                f"{len(archive.kinds):,} small files; the verdicts cover every file"
            )
    print()
    print(format_markdown(rows) if args.markdown else format_table(rows))
    print(f"load average at the end: {info['machine']['load_average_end'][0]:.2f}")
    print_verdicts(checked, ours_loop)
    print()
    found = targets(results, checked)
    for t in found:
        print(format_target(t))
    settings = {"rounds": args.rounds, "quick": args.quick, "loop_sample": args.loop_sample}
    document = {
        **info,
        "mode": "archive",
        "settings": {**settings, **asdict(spec)},
        "archive": None
        if archive is None
        else {
            "directory": str(archive.root),
            "kinds": dict(Counter(archive.kinds.values())),
            "small_bytes": sum(p.stat().st_size for p in archive.small_files),
            "large_bytes": sum(p.stat().st_size for p in archive.large),
            "loop_files": len(sample),
        },
        "results": [_result_dict(r, results) for r in results],
        "table_markdown": format_markdown(rows),
        "verdicts": {
            "files": len(checked),
            "differ": sum(not v.agrees for v in checked),
            "disagreements": [asdict(v) for v in checked if not v.agrees],
            "by_kind": {k: dict(c) for k, c in _by_kind(checked).items()},
            "ours_dcmsign_loop": ours_loop,
        },
        "targets": [asdict(t) for t in found],
    }
    return document, error


def _finish(info: dict[str, Any], error: str | None) -> None:
    info["finished"] = dt.datetime.now(dt.UTC).isoformat()
    info["machine"]["load_average_end"] = list(os.getloadavg())
    info["error"] = error


# -- the million paths ----------------------------------------------------------------------


def million_tree(cache: Path, count: int) -> Path:
    """A tree of ``count`` empty files, :data:`FILES_PER_DIRECTORY` a directory, made in
    ``cache`` unless it is complete there already (an interrupted making goes on)."""
    root = cache / f"million-{count}"
    done = cache / f"million-{count}.complete"
    if done.exists():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    have = sum(1 for _ in root.rglob("*")) if root.exists() else 0
    free = os.statvfs(cache).f_favail
    if count + count // FILES_PER_DIRECTORY + 1 - have > free:
        raise BenchError(f"{count:,} files need that many inodes; {free:,} are free in {cache}")
    print(f"generating {count:,} empty files in {root} ...", flush=True)
    for d in range((count + FILES_PER_DIRECTORY - 1) // FILES_PER_DIRECTORY):
        directory = root / f"d{d:04d}"
        directory.mkdir(parents=True, exist_ok=True)
        for j in range(min(FILES_PER_DIRECTORY, count - d * FILES_PER_DIRECTORY)):
            os.close(os.open(directory / f"f{j:04d}", os.O_CREAT | os.O_WRONLY, 0o644))
    done.touch()
    return root


def run_million(
    args: argparse.Namespace, tools: Tools, info: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The memory demonstration over a tree of empty files: as :func:`run_archive`."""
    count = args.million_files
    runs: list[tuple[int, Run]] = []
    error = None
    try:
        root = million_tree(args.cache, count)
        directories = sorted(root.iterdir())
        part = directories[: max(1, len(directories) // 100)]
        part_count = min(count, len(part) * FILES_PER_DIRECTORY)
        verify = [*tools.verify, "-q", "--journal", os.devnull]
        for n, paths in [(part_count, part), (count, [root])]:
            print(f"  dicomsign verify over {n:,} paths ...", flush=True)
            done = run([*verify, *map(str, paths)])
            runs.append((n, _checked("dicomsign verify", done, [0])))
    except (BenchError, OSError) as e:
        error = str(e)
    _finish(info, error)
    headers = ["paths", "wall s", "paths/s", "peak RSS MiB"]
    rows = [[f"{n:,}", f"{r.wall:.1f}", f"{n / r.wall:,.0f}", f"{r.rss_mib:.1f}"] for n, r in runs]
    print()
    print(format_markdown(rows, headers) if args.markdown else format_table(rows, headers))
    whole = runs[-1][1].rss_mib if len(runs) == 2 else None
    over = "10^6" if count == MILLION else f"{count:,}"
    target = Target(
        f"peak RSS < {MILLION_LIMIT_MIB:g} MiB over {over} paths",
        None if whole is None else whole < MILLION_LIMIT_MIB,
        "not measured" if whole is None else f"{whole:.1f} MiB",
    )
    print()
    print(format_target(target))
    document = {
        **info,
        "mode": "million",
        "settings": {"million_files": count},
        "runs": [
            {"paths": n, "wall_s": r.wall, "peak_rss_mib": r.rss_mib, "exit": r.code}
            for n, r in runs
        ],
        "targets": [asdict(target)],
    }
    return document, error


# -- the command line ---------------------------------------------------------------------------


def _count(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, not {value}")
        return value

    return parse


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line (``--quick`` changes the defaults)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: small and fast")
    parser.add_argument("--rounds", type=_count(1, 1000), help="rounds (5; 3 with --quick)")
    parser.add_argument(
        "--files", type=_count(1, MAX_FILES), help="small files (5,000; 300 with --quick)"
    )
    parser.add_argument(
        "--loop-sample",
        type=_count(0, MAX_FILES),
        help="small files of the one-process-per-file loops, a fixed random sample "
        "(1,000; 100 with --quick; 0: every file)",
    )
    parser.add_argument(
        "--large-count", type=_count(0, 100), help="large files (4; 2 with --quick)"
    )
    parser.add_argument(
        "--large-mib", type=_count(1, 16384), help="MiB of each large file (256; 16 with --quick)"
    )
    parser.add_argument("--seed", type=int, default=13, help="seed of the archive and sample")
    parser.add_argument("--markdown", action="store_true", help="print the table in Markdown")
    parser.add_argument(
        "--million", action="store_true", help="the peak RSS demonstration over 10^6 paths"
    )
    parser.add_argument(
        "--million-files",
        type=_count(1, 100 * MILLION),
        default=MILLION,
        help="paths of --million (10^6)",
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help="where inputs are generated")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    quick = args.quick
    defaults = {
        "rounds": 3 if quick else 5,
        "files": 300 if quick else 5000,
        "loop_sample": 100 if quick else 1000,
        "large_count": 2 if quick else 4,
        "large_mib": 16 if quick else 256,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark (or, with ``--million``, the memory demonstration); return the
    exit status."""
    args = parse_args(argv)
    try:
        tools = Tools.find()
    except SystemExit as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    info: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(),
        "machine": machine(),
        "tools": _versions(tools),
    }
    _header(info, None if args.million else args.rounds)
    document, error = (run_million if args.million else run_archive)(args, tools, info)
    stamp = dt.datetime.fromisoformat(info["started"]).strftime("%Y%m%dT%H%M%SZ")
    return publish(document, args.results, f"verify-{document['mode']}-{stamp}", error)


if __name__ == "__main__":
    sys.exit(main())
