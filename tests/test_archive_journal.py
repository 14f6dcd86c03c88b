"""The journal: its records, torn lines, the lock, ``--resume`` and ``--changed-since``, and
runs stopped by Ctrl-C (SIGINT) or ``kill -9`` that resume to a complete journal."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conftest_archive import Archive
from dcmtk import dicomsign_cli
from dicomsign.archive import Verifier
from dicomsign.archive.journal import (
    SCHEMA_VERSION,
    JournalError,
    JournalReader,
    JournalWriter,
    Seen,
    record,
    record_path,
)


def _lines(journal: Path) -> list[dict[str, Any]]:
    """Every line, strictly: UTF-8, one JSON object each."""
    data = journal.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def test_a_record_has_the_documented_fields(archive: Archive) -> None:
    verifier = Verifier(**archive.trust)  # type: ignore[arg-type]
    mixed = archive.root / "study2/mixed.dcm"
    rec = record(verifier.verify(mixed))
    assert rec["v"] == SCHEMA_VERSION == 1
    assert rec["path"] == str(mixed) and "path_base64" not in rec
    assert (rec["status"], rec["ok"], rec["exit_code"]) == ("certificate-expired", False, 101)
    assert rec["size"] == mixed.stat().st_size and rec["mtime_ns"] == mixed.stat().st_mtime_ns
    assert rec["reason"].count("signature #") == 2
    assert rec["checked_at"].endswith("Z")
    assert [s["status"] for s in rec["signatures"]] == [
        "verified",
        "certificate-untrusted",
        "certificate-expired",
    ]
    first = rec["signatures"][0]
    assert set(first) == {
        "number",
        "uid",
        "location",
        "mac_algorithm",
        "signer",
        "datetime",
        "purpose",
        "status",
        "signature_status",
        "message",
        "revocation",
        "timestamp",
        "validated_at",
    }
    assert first["revocation"] is None  # not checked live (OCSP off)
    assert first["timestamp"] is None and first["validated_at"] is None  # none; judged now
    assert first["location"] == "Main Dataset" and first["signer"].startswith("/")
    assert first["mac_algorithm"] and first["datetime"] and first["uid"]
    verified = record(verifier.verify(archive.root / "study1/series1/rsa.dcm"))
    assert (verified["status"], verified["ok"], verified["reason"]) == ("verified", True, None)
    unsigned = verifier.verify(archive.root / "study1/unsigned.dcm")
    assert record(unsigned)["ok"] is True
    assert record(unsigned, require_signature=True)["ok"] is False
    notes = verifier.verify(archive.root / "misc/notes.txt")
    assert (record(notes)["ok"], record(notes, strict=True)["ok"]) == (True, False)


def test_an_undecodable_name_gives_valid_json(archive: Archive, tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/\xff\xfe.dcm"
    shutil.copy(archive.root / "study1/unsigned.dcm", raw)
    journal = tmp_path / "journal.jsonl"
    with JournalWriter(journal) as writer:
        writer.write(record(Verifier().verify(os.fsdecode(raw))))
    (rec,) = _lines(journal)
    assert base64.b64decode(rec["path_base64"]) == raw == record_path(rec)
    assert rec["path"].endswith("/\\xff\\xfe.dcm")
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(rec, ensure_ascii=False))


def test_a_torn_last_line_is_ignored_and_cut_before_appending(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    good = {"v": 1, "path": "a.dcm", "status": "verified", "size": 1, "mtime_ns": 2}
    journal.write_text(json.dumps(good) + "\n" + '{"v": 1, "path": "b.d')
    reader = JournalReader(journal)
    assert [r["path"] for r in reader] == ["a.dcm"]
    assert reader.torn and reader.damaged == 0
    with JournalWriter(journal) as writer:
        writer.write(dict(good, path="c.dcm"))
    assert [r["path"] for r in _lines(journal)] == ["a.dcm", "c.dcm"]
    # A damaged line inside the journal is skipped and counted.
    journal.write_text(json.dumps(good) + "\nnot json\n[1, 2]\n" + json.dumps(good) + "\n")
    reader = JournalReader(journal)
    assert len(list(reader)) == 2 and reader.damaged == 2 and not reader.torn
    # A journal that is one torn line only is emptied.
    journal.write_text('{"v": 1, "pa')
    with JournalWriter(journal):
        pass
    assert journal.read_bytes() == b""


def test_one_journal_one_run_at_a_time(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    with JournalWriter(journal), pytest.raises(JournalError, match="in use by another run"):
        JournalWriter(journal)
    with JournalWriter(journal):  # released
        pass
    with pytest.raises(JournalError, match="cannot be read: No such file or directory"):
        list(JournalReader(tmp_path / "missing.jsonl"))


def test_seen_matches_path_size_and_mtime(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    journal = tmp_path / "journal.jsonl"
    verifier = Verifier(**archive.trust)  # type: ignore[arg-type]
    paths = [str(root / p) for p in archive.expected]
    with JournalWriter(journal) as writer:
        for path in paths:
            writer.write(record(verifier.verify(path)))
    seen = Seen()
    seen.add_journals([journal])
    assert all(seen.lookup(p) is not None for p in paths)
    assert seen.lookup(str(root / "study2/revoked.dcm")) == ("certificate-revoked", False)
    target = root / "study1" / "unsigned.dcm"
    st = target.stat()
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert seen.lookup(str(target)) is None
    with open(root / "misc" / "notes.txt", "a") as file:
        file.write("more")
    assert not seen.unchanged(str(root / "misc" / "notes.txt"))
    # The same file by another spelling of its path is another file.
    assert not seen.unchanged(os.path.join(str(root), ".", "study2", "revoked.dcm"))


def test_cli_journal_resume_and_changed_since(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    journal = tmp_path / "run.jsonl"
    done = dicomsign_cli("verify", "-q", *archive.cli_trust, "--journal", journal, root)
    assert done.returncode == 101
    first = _lines(journal)
    assert sorted(os.path.relpath(r["path"], root) for r in first) == sorted(archive.expected)
    assert {os.path.relpath(r["path"], root): r["status"] for r in first} == archive.expected
    # Nothing changed: nothing verified again, and the recorded failures still count.
    done = dicomsign_cli("verify", *archive.cli_trust, "--journal", journal, "--resume", root)
    assert done.returncode == 101
    assert done.stdout == ""
    assert f"{len(archive.expected)} unchanged since the journal" in done.stderr
    assert len(_lines(journal)) == len(first)
    # A changed file and a new one: only those are verified and appended.
    changed = root / "study2" / "tampered.dcm"
    shutil.copy(root / "study1/series1/rsa.dcm", changed)
    shutil.copy(root / "study1/series1/ec.dcm", root / "study1" / "new.dcm")
    done = dicomsign_cli("verify", *archive.cli_trust, "--journal", journal, "--resume", root)
    appended = _lines(journal)[len(first) :]
    assert sorted((r["path"], r["status"]) for r in appended) == [
        (str(root / "study1" / "new.dcm"), "verified"),
        (str(changed), "verified"),
    ]
    nightly = tmp_path / "nightly.jsonl"
    (root / "study1" / "new.dcm").touch()
    done = dicomsign_cli(
        "verify", *archive.cli_trust, "--journal", nightly, "--changed-since", journal, root
    )
    assert [r["path"] for r in _lines(nightly)] == [str(root / "study1" / "new.dcm")]
    # Unchanged files of another run do not count in this one: only the new file did.
    assert done.returncode == 0, done.stderr


def test_resume_needs_a_journal_and_bad_journals_are_errors(tmp_path: Path) -> None:
    done = dicomsign_cli("verify", "--resume", tmp_path)
    assert done.returncode == 2 and "--resume needs --journal" in done.stderr
    done = dicomsign_cli("verify", "--changed-since", tmp_path / "missing.jsonl", tmp_path)
    assert done.returncode == 20
    assert "journal" in done.stderr and "No such file or directory" in done.stderr
    done = dicomsign_cli("verify", "--journal", tmp_path, tmp_path)
    assert done.returncode == 40
    assert f"journal '{tmp_path}' cannot be opened: Is a directory" in done.stderr


def _big_tree(archive: Archive, root: Path, n: int) -> Path:
    """``n`` files (hard links of a few real ones, in 10 directories)."""
    sources = [archive.root / p for p in ("study1/series1/rsa.dcm", "study1/unsigned.dcm")]
    for d in range(10):
        (root / f"d{d}").mkdir(parents=True)
    for i in range(n):
        os.link(sources[i % 2], root / f"d{i % 10}" / f"{i:05d}.dcm")
    return root


def _start(args: list[str | Path]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_records(journal: Path, process: subprocess.Popen[str], n: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_bytes().count(b"\n") >= n:
            return
        assert process.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError("no records in the journal")


def _complete(journal: Path, root: Path, n: int) -> None:
    """Each file exactly once, every line valid."""
    counts = Counter(r["path"] for r in _lines(journal))
    assert len(counts) == n and set(counts.values()) == {1}
    assert all(p.startswith(str(root)) for p in counts)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_cleanly_and_resume_completes(
    archive: Archive, tmp_path: Path, jobs: str
) -> None:
    n = 4000
    root = _big_tree(archive, tmp_path / "tree", n)
    journal = tmp_path / "journal.jsonl"
    args: list[str | Path] = [*archive.cli_trust, "-j", jobs, "--journal", journal, root]
    process = _start(args)
    _wait_for_records(journal, process, 50)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "dicomsign verify: interrupted after" in stderr
    assert "run the same command with --resume to go on" in stderr
    done_before = _lines(journal)  # valid: every line whole
    assert 50 <= len(done_before) < n
    assert len({r["path"] for r in done_before}) == len(done_before)
    resumed = dicomsign_cli(*["verify", "-q", "--resume"], *args)
    assert resumed.returncode == 0, resumed.stderr
    _complete(journal, root, n)


def test_kill_9_loses_at_most_the_records_in_flight(archive: Archive, tmp_path: Path) -> None:
    n = 4000
    root = _big_tree(archive, tmp_path / "tree", n)
    journal = tmp_path / "journal.jsonl"
    args: list[str | Path] = [*archive.cli_trust, "--journal", journal, root]
    process = _start(args)
    _wait_for_records(journal, process, 50)
    process.kill()
    process.wait(timeout=60)
    reader = JournalReader(journal)
    before = list(reader)
    assert reader.damaged == 0 and len(before) >= 50
    resumed = dicomsign_cli("verify", "-q", "--resume", *args)
    assert resumed.returncode == 0, resumed.stderr
    _complete(journal, root, n)
