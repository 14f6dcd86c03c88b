"""The status words of archive verification: one per file, the worst of its signatures, the
file types that are never opened, files that are not DICOM, and the run's exit codes."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

import dicomsign
from conftest_archive import Archive
from dicomsign.archive import FileResult, Verifier
from dicomsign.archive.progress import Tally
from dicomsign.archive.status import (
    REPORT_ORDER,
    SIGNATURE_ORDER,
    RunExit,
    Status,
    file_status,
    is_failure,
    one_line,
    run_exit_code,
)
from dicomsign.exceptions import NotDicomError


def test_the_words_are_exactly_the_documented_ones() -> None:
    """Words may be added, never renamed: this list only grows."""
    assert [s.value for s in Status] == [
        "verified",
        "unsigned",
        "signature-invalid",
        "certificate-untrusted",
        "certificate-expired",
        "certificate-revoked",
        "not-dicom",
        "unreadable",
        "verified-by-timestamp",
        "revocation-unknown",
        "policy-violation",
    ]
    assert set(REPORT_ORDER) == set(Status)
    assert SIGNATURE_ORDER[0] is Status.SIGNATURE_INVALID
    assert SIGNATURE_ORDER[-1] is Status.VERIFIED


def test_each_file_gets_its_word_and_dcmtk_exit_code(archive: Archive) -> None:
    verifier = Verifier(**archive.trust)  # type: ignore[arg-type]
    dcmtk_codes = {"verified": 0, "unsigned": 0, "not-dicom": 20, "unreadable": 20}
    for relative, word in archive.expected.items():
        result = verifier.verify(archive.root / relative)
        assert (relative, result.status) == (relative, word)
        assert isinstance(result.status, str) and result.status == word
        assert result.exit_code == dcmtk_codes.get(word, 101), relative
        assert (result.reason is None) == (word == "verified"), relative
        if result.reason is not None:
            assert "\n" not in result.reason
        path = archive.root / relative
        assert result.size == path.stat().st_size
        assert result.mtime_ns == path.stat().st_mtime_ns


def test_a_file_with_several_signatures_takes_the_worst(archive: Archive) -> None:
    result = Verifier(**archive.trust).verify(archive.root / "study2/mixed.dcm")  # type: ignore[arg-type]
    assert result.report is not None
    words = [s.status for s in result.report.signatures]
    assert [w.value if w else None for w in words] == ["valid", "untrusted", "expired"]
    assert result.status == "certificate-expired"
    # The reason names every signature that failed, on one line.
    assert result.reason is not None
    assert "signature #2" in result.reason and "signature #3" in result.reason
    assert "signature #1" not in result.reason


def test_without_the_crl_the_revoked_signer_verifies(archive: Archive) -> None:
    trust = dict(archive.trust, crls=[])
    result = Verifier(**trust).verify(archive.root / "study2/revoked.dcm")  # type: ignore[arg-type]
    assert result.status == "verified"


def test_unsigned_under_require_signature(archive: Archive) -> None:
    verifier = Verifier(**archive.trust, policy="require")  # type: ignore[arg-type]
    result = verifier.verify(archive.root / "study1/unsigned.dcm")
    assert result.status == "unsigned" and result.exit_code == 100
    assert result.reason is not None and "required" in result.reason
    assert is_failure(result.status, require_signature=True)
    assert not is_failure(result.status)


def test_not_dicom_is_decided_by_the_prefix_and_the_reader(tmp_path: Path) -> None:
    """No DICM prefix and the reader cannot read a dataset: not-dicom. A DICM prefix and the
    reader fails: a damaged DICOM file, unreadable. What the reader reads (as DCMTK does, 64
    zero bytes are empty elements of group 0000) is DICOM."""
    cases = {
        "text.dcm": (b"hello, world\n" * 10, "not-dicom", "not DICOM: "),
        "empty.dcm": (b"", "not-dicom", "file is empty: "),
        "image.png": (b"\x89PNG\r\n\x1a\n" + bytes(200), "not-dicom", "not DICOM: "),
        "prefix-only.dcm": (bytes(128) + b"DICM", "unreadable", "no data elements found: "),
        "zeros.bin": (bytes(64), "unsigned", "no signatures"),
    }
    verifier = Verifier()
    for name, (data, word, start) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        result = verifier.verify(path)
        assert (name, result.status) == (name, word)
        assert result.reason is not None and result.reason.startswith(start), result.reason
        assert isinstance(result.error, NotDicomError) == (word == "not-dicom")
        assert result.exit_code == (0 if word == "unsigned" else 20)


def _verify_in_time(verifier: Verifier, path: Path, seconds: float = 20) -> FileResult:
    results: list[FileResult] = []
    worker = threading.Thread(target=lambda: results.append(verifier.verify(path)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"verifying {path} hangs"
    return results[0]


def test_files_that_are_not_regular_are_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.dcm"
    os.mkfifo(fifo)
    sock_path = tmp_path / "socket.dcm"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock_path))
    directory = tmp_path / "x.dcm"
    directory.mkdir()
    dangling = tmp_path / "dangling.dcm"
    dangling.symlink_to(tmp_path / "nowhere.dcm")
    loop = tmp_path / "loop.dcm"
    loop.symlink_to(loop)
    expected = {
        fifo: "not a regular file: a named pipe (FIFO)",
        sock_path: "not a regular file: a socket",
        Path("/dev/null"): "not a regular file: a character device",
        directory: "Is a directory",
        dangling: "No such file or directory (a dangling symbolic link)",
        loop: "Too many levels of symbolic links",
    }
    verifier = Verifier()
    try:
        for path, why in expected.items():
            result = _verify_in_time(verifier, path)
            assert result.status == "unreadable", path
            assert result.reason == f"{why}: reading file: {path}"
    finally:
        server.close()


def test_a_file_that_changes_while_it_is_verified_is_unreadable(
    archive: Archive, large_signed: Path, tmp_path: Path
) -> None:
    """Another process keeps touching a large file (read in chunks, so the read takes a
    while) while it is verified: the file changed, its verdict belongs to neither version.
    The engine's own test (rust/src/archive.rs) appends to a file at a fixed point of the
    read."""
    path = tmp_path / "touched.dcm"
    shutil.copy(large_signed, path)
    stop = threading.Event()

    def touch() -> None:
        # New modification times only: the bytes stay readable, the metadata moves.
        moment = path.stat().st_mtime_ns
        while not stop.is_set():
            moment += 1_000_000
            os.utime(path, ns=(moment, moment))
            time.sleep(0.001)

    writer = threading.Thread(target=touch)
    writer.start()
    try:
        result = Verifier(**archive.trust).verify(path)  # type: ignore[arg-type]
    finally:
        stop.set()
        writer.join()
    assert result.status == "unreadable"
    assert result.reason == f"the file changed while it was verified: reading file: {path}"
    assert result.size is None and result.mtime_ns is None


def test_file_status_of_a_policy_violation(archive: Archive) -> None:
    """A profile policy that no signature fulfils (the Verifier's creator policy)."""
    verifier = Verifier(**archive.trust, policy="creator")  # type: ignore[arg-type]
    result = verifier.verify(archive.root / "study1/series1/ec.dcm")
    assert result.exit_code == 102
    assert result.status == "policy-violation"
    assert file_status(result.report, None) is Status.POLICY_VIOLATION


@pytest.mark.parametrize(
    ("counts", "require", "strict", "code"),
    [
        ({"verified": 3, "unsigned": 1, "not-dicom": 2}, False, False, RunExit.OK),
        ({"verified": 3, "unsigned": 1}, True, False, RunExit.SOME_UNSIGNED),
        ({"verified": 3, "not-dicom": 1}, False, True, RunExit.SOME_UNREADABLE),
        ({"verified": 3, "unreadable": 1}, False, False, RunExit.SOME_UNREADABLE),
        ({"unreadable": 1, "unsigned": 1}, True, False, RunExit.SOME_UNSIGNED),
        ({"unreadable": 1, "unsigned": 1, "certificate-revoked": 1}, True, False, 101),
        ({"certificate-untrusted": 1}, False, False, RunExit.SOME_FAILED),
        ({"policy-violation": 1}, False, False, RunExit.SOME_FAILED),
        ({"verified": 1, "a-word-of-a-later-release": 1}, False, False, RunExit.SOME_FAILED),
        ({"verified": 2, "signature-invalid": 0}, False, False, RunExit.OK),
    ],
)
def test_run_exit_codes(counts: dict[str, int], require: bool, strict: bool, code: int) -> None:
    assert run_exit_code(counts, require_signature=require, strict=strict) == code


def test_run_exit_codes_are_dcmtks_numbers() -> None:
    assert [int(c) for c in RunExit] == [0, 20, 100, 101, 130]
    assert int(RunExit.SOME_FAILED) == int(dicomsign.ExitCode.SIGNATURE_VERIFICATION_FAILED)


def test_one_line() -> None:
    assert one_line("plain, näive ✓") == "plain, näive ✓"
    assert one_line("two\nlines\ttab") == "two\\nlines\\ttab"
    assert one_line(os.fsdecode(b"caf\xe9.dcm")) == "caf\\xe9.dcm"


def test_the_rust_engine_decides_alone_when_it_is_sure(archive: Archive) -> None:
    """With certificate files only (no CRL), valid files never reach the Python chain
    emulation; failures, and every file under a CRL, do, and are counted."""
    files = {word: archive.root / path for path, word in archive.expected.items()}
    quick = Verifier(trusted=archive.trust["trusted"], untrusted=archive.trust["untrusted"])
    assert quick.anchors is not None
    verified = quick.verify(files["verified"])
    assert (verified.status, verified.fallback) == ("verified", False)
    untrusted = quick.verify(files["certificate-untrusted"])
    assert (untrusted.status, untrusted.fallback) == ("certificate-untrusted", True)
    assert quick.verify(files["unsigned"]).fallback is False
    with_crl = Verifier(**archive.trust)  # type: ignore[arg-type]
    assert with_crl.anchors is None
    assert with_crl.verify(files["verified"]).fallback is True
    tally = Tally()
    for word in ("verified", "certificate-untrusted", "unsigned"):
        tally.add(quick.verify(files[word]))
    assert tally.fallbacks == 1
    assert "  1 file judged by the complete DCMTK emulation in Python" in "\n".join(tally.summary())
