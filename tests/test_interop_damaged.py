"""Damaged signed files, judged by DCMTK and by us alike (the differential test of the reader).

Signed files of every kind (signed by DCMTK and by us, several MACs, a signature in a nested
item, two signatures, RLE fragments, big endian, implicit VR, undefined-length sequences) are
damaged at every structural point (tests/damage.py). For each variant, DCMTK's ``dcmsign
--verify`` runs beside ours, and the exit code and the ``F:`` line must be equal. Where DCMTK
crashes or hangs, the variant is a documented exception (:data:`EXCEPTIONS`) and ours must fail
cleanly with exit 20.

A second rule holds above the reader, in every front end: a damaged file that DCMTK does not
read as "unsigned" is never reported unsigned-and-fine by ``dicomsign verify``.

The variants are generated and judged once per session; the counts are written to
``damaged-summary.txt`` in the session's directory and printed with ``-s``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

import dicomsign
from damage import Variant, nested, variants
from dcmtk import DCMTK_DIR, dcmtk, ours
from dicomsign.cli.dcmsign import main as dcmsign_main
from dicomsign.exceptions import DicomFormatError, InputFileError
from pki import PKI

TIMEOUT = 30
#: Variants where DCMTK does not give an answer to compare with, and what ours does instead.
EXCEPTIONS = {
    # DCMTK 3.6.7 recurses once per level and overflows an 8 MiB stack near 5,600 levels
    # (SIGSEGV); ours reads 6,000 levels and stops cleanly below that.
    "12000 levels deep": (20, "F: Sequences nested too deeply"),
}
#: Per-kind plain-element stride (every signature element, sequence and item is damaged).
STRIDE = 4


@dataclass(frozen=True)
class Run:
    code: int
    stderr: str

    @property
    def fatal(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.startswith("F: ")]
        return lines[-1] if lines else ""


@dataclass(frozen=True)
class Judged:
    kind: str
    variant: Variant
    path: Path
    theirs: Run
    mine: Run
    argv: tuple[str, ...] = ()


def _run(argv: list[str]) -> Run:
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return Run(-1000, "timeout")
    return Run(done.returncode, done.stderr.decode("latin-1"))


def _in_process(argv: list[str]) -> Run:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = dcmsign_main(argv)
    return Run(code, stderr.getvalue())


def _sign(who: str, args: list[str | Path]) -> None:
    done = dcmtk("dcmsign", *args) if who == "dcmtk" else ours(*args)
    assert done.returncode == 0, (who, args, done.stderr)


@pytest.fixture(scope="session")
def signed_files(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Signed files of every kind, made once."""
    work = tmp_path_factory.mktemp("damaged-sources")
    rsa: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    ec: list[str | Path] = [pki.ec256.key, pki.ec256.cert]
    plans: dict[str, tuple[str, list[list[str | Path]]]] = {
        "dcmtk-sha256": ("explicit_le", [["dcmtk", "+s", *rsa, "+m2"]]),
        "ours-ripemd160": ("explicit_le", [["ours", "+s", *ec]]),
        "two-signatures": ("explicit_le", [["ours", "+s", *rsa, "+m2"], ["dcmtk", "+s", *ec]]),
        "nested-item": (
            "nested_explicit_length",
            [["ours", "+si", *rsa, "RequestAttributesSequence[0]", "+m5"]],
        ),
        "nested-undefined": (
            "nested_undefined_length",
            [["dcmtk", "+s", *rsa, "+ms"], ["ours", "+si", *ec, "RequestAttributesSequence[0]"]],
        ),
        "rle": ("rle_lossless", [["ours", "+s", *rsa, "+m3"]]),
        "big-endian": ("explicit_be", [["dcmtk", "+s", *rsa, "+m2"]]),
        "implicit": ("implicit_le", [["ours", "+s", *ec, "+m2"]]),
    }
    out: dict[str, Path] = {}
    for kind, (source, steps) in plans.items():
        current = dicom_corpus[source]
        for index, (who, *args) in enumerate(steps):
            target = work / f"{kind}-{index}.dcm"
            _sign(str(who), [*args, current, target])
            current = target
        out[kind] = current
    return out


@pytest.fixture(scope="session")
def judged(
    pki: PKI, signed_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> list[Judged]:
    """Every variant, run through DCMTK's and our ``dcmsign --verify``."""
    work = tmp_path_factory.mktemp("damaged")
    trust = ["+cf", str(pki.rsa2048.root), "+uf", str(pki.rsa2048.chain)]
    jobs: list[tuple[str, Variant, Path]] = []
    for kind, path in signed_files.items():
        for index, variant in enumerate(variants(path.read_bytes(), stride=STRIDE)):
            target = work / f"{kind}-{index:04d}.dcm"
            target.write_bytes(variant.data)
            jobs.append((kind, variant, target))
    for depth, undefined in ((1000, False), (3000, True), (12000, True)):
        variant = Variant(f"{depth} levels deep", nested(depth, undefined=undefined))
        target = work / f"deep-{depth}-{int(undefined)}.dcm"
        target.write_bytes(variant.data)
        jobs.append(("deep", variant, target))
    theirs_exe = [str(DCMTK_DIR / "dcmsign")]
    workers = max(2, os.cpu_count() or 2)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        theirs = [
            pool.submit(_run, [*theirs_exe, "--verify", *trust, str(path)]) for _, _, path in jobs
        ]
        # Ours runs in this process meanwhile (the same main() as the command; a sample is run
        # as the real command below).
        mine = [_in_process(["--verify", *trust, str(path)]) for _, _, path in jobs]
        results = [
            Judged(kind, variant, path, done.result(), run, ("--verify", *trust, str(path)))
            for (kind, variant, path), done, run in zip(jobs, theirs, mine, strict=True)
        ]
    summary = Counter(
        "documented exception"
        if r.variant.name in EXCEPTIONS
        else "agree"
        if (r.theirs.code, r.theirs.fatal) == (r.mine.code, r.mine.fatal)
        else "differ"
        for r in results
    )
    text = f"{len(results)} variants: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.items()))
    (work / "damaged-summary.txt").write_text(text + "\n")
    (work / "damaged-results.json").write_text(
        json.dumps(
            [
                {
                    "kind": r.kind,
                    "name": r.variant.name,
                    "path": str(r.path),
                    "dcmtk": [r.theirs.code, r.theirs.stderr],
                    "ours": [r.mine.code, r.mine.stderr],
                }
                for r in results
            ],
            indent=1,
        )
    )
    print(text)
    return results


def _explain(rows: list[Judged]) -> str:
    lines = []
    for r in rows[:40]:
        lines.append(
            f"{r.kind}: {r.variant.name} ({r.path.name})\n"
            f"   DCMTK {r.theirs.code} {r.theirs.fatal!r}\n   ours  {r.mine.code} {r.mine.fatal!r}"
        )
    return f"{len(rows)} variants differ:\n" + "\n".join(lines)


def test_every_damaged_variant_gets_dcmtks_exit_code_and_fatal_line(judged: list[Judged]) -> None:
    plain = [r for r in judged if r.variant.name not in EXCEPTIONS]
    differ = [r for r in plain if (r.theirs.code, r.theirs.fatal) != (r.mine.code, r.mine.fatal)]
    assert len(plain) > 1000
    assert not differ, _explain(differ)


def test_where_dcmtk_crashes_ours_fails_cleanly(judged: list[Judged]) -> None:
    odd = [r for r in judged if r.variant.name in EXCEPTIONS]
    assert len(odd) == len(EXCEPTIONS)
    for r in odd:
        code, fatal = EXCEPTIONS[r.variant.name]
        assert r.theirs.code != 20, r.theirs  # a crash (or, with a huge stack, a reading)
        assert r.mine.code == code
        assert r.mine.fatal.startswith(fatal), r.mine.stderr


def test_the_command_judges_as_the_in_process_run(judged: list[Judged]) -> None:
    """A sample of the variants through the real ``dcmsign`` command of ours: the same."""
    sample = judged[::25]
    mine_exe = [sys.executable, "-m", "dicomsign.cli.dcmsign"]
    with concurrent.futures.ThreadPoolExecutor(max(2, os.cpu_count() or 2)) as pool:
        runs = list(
            pool.map(lambda r: _run([*mine_exe, "--verify", *_trust_of(r), str(r.path)]), sample)
        )
    differ = [
        (r.path.name, r.mine.code, run.code)
        for r, run in zip(sample, runs, strict=True)
        if (r.mine.code, r.mine.fatal) != (run.code, run.fatal)
    ]
    assert len(sample) > 20
    assert not differ


def _trust_of(r: Judged) -> list[str]:
    return [a for a in r.argv if a != str(r.path)][1:]


def _read_as_unsigned(run: Run) -> bool:
    return run.code == 0 and "no signatures found" in run.stderr


def test_no_front_end_reports_a_damaged_signed_file_as_unsigned(judged: list[Judged]) -> None:
    """Acceptance: unless DCMTK reads a variant as unsigned, neither ``dicomsign verify`` nor
    the API does; a file DCMTK cannot read is ``unreadable`` in both."""
    variants = [r for r in judged if r.kind != "deep"]
    paths = [str(r.path) for r in variants]
    done = subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", "--json", *paths],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr
    status = {entry["path"]: entry["status"] for entry in json.loads(done.stdout)["files"]}
    wrong = []
    for r in variants:
        unsigned_for_dcmtk = _read_as_unsigned(r.theirs)
        cli = status[str(r.path)]
        try:
            api = "unsigned" if not dicomsign.verify(r.path).signatures else "signed"
        except DicomFormatError:
            api = "unreadable"
        except InputFileError:
            api = "unreadable"
        if not unsigned_for_dcmtk and "unsigned" in (cli, api):
            wrong.append((r.kind, r.variant.name, cli, api))
        if r.theirs.code == 20 and (cli, api) != ("unreadable", "unreadable"):
            wrong.append((r.kind, r.variant.name, cli, api))
    assert not wrong, wrong[:20]
