"""The modern ``dicomsign`` command: ``--version`` and ``verify PATH...`` (files and trees:
lines, JSON, summary, progress bar, exit codes); the journal and reports have their own
test modules (test_archive_journal.py, test_archive_reports.py)."""

from __future__ import annotations

import base64
import json
import os
import pty
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import dicomsign
from conftest_archive import Archive
from dcmtk import dcmtk, dicomsign_cli
from pki import PKI


def test_version() -> None:
    done = dicomsign_cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"dicomsign {dicomsign.__version__}"


def test_verify_several_files(pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path) -> None:
    good = tmp_path / "good.dcm"
    assert (
        dcmtk(
            "dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, dicom_corpus["explicit_le"], good
        ).returncode
        == 0
    )
    bad = tmp_path / "bad.dcm"
    shutil.copy(good, bad)
    assert dcmtk("dcmodify", "-nb", "-q", "-m", "(0010,0010)=X", bad).returncode == 0
    unsigned = dicom_corpus["implicit_le"]
    trust = ["--trusted", str(pki.root.cert), "--untrusted", str(pki.rsa2048.chain)]
    done = dicomsign_cli("verify", *trust, good, unsigned)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{good}: OK (1 signature)" in done.stdout
    assert f"{unsigned}: OK (0 signatures)" in done.stdout
    done = dicomsign_cli("verify", *trust, good, bad, tmp_path / "missing.dcm")
    assert done.returncode == 101
    assert "document corrupted" in done.stdout and "UNREADABLE" in done.stdout
    assert "Traceback" not in done.stderr
    done = dicomsign_cli("verify", "--require-signature", unsigned)
    assert done.returncode == 100
    done = dicomsign_cli("verify", "--json", *trust, good, bad)
    report = json.loads(done.stdout)
    files = {f["path"]: f for f in report["files"]}  # in the order they completed
    assert [files[str(p)]["exit_code"] for p in (good, bad)] == [0, 101]
    assert [files[str(p)]["status"] for p in (good, bad)] == ["verified", "signature-invalid"]
    assert files[str(bad)]["signatures"][0]["status"] == "signature-invalid"
    assert files[str(bad)]["signatures"][0]["signature_status"] == "corrupted"
    assert files[str(good)]["signatures"][0]["signed_tags"][0] == "00080005"
    assert report["exit_code"] == done.returncode == 101


def test_usage_errors() -> None:
    assert dicomsign_cli().returncode == 1
    assert dicomsign_cli("verify").returncode == 2


def test_unloadable_trust_file_stops_the_run(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """A ``--trusted`` typo or a CRL that is not one: one line naming the file and the cause,
    exit 20, and no file verified (no "untrusted" verdicts, no CRL silently left out)."""
    files = [dicom_corpus["explicit_le"], dicom_corpus["implicit_le"], tmp_path / "x.dcm"]
    typo = tmp_path / "root.pm"
    for args, line in (
        (
            ["--trusted", typo],
            f"trusted certificate file '{typo}' not loaded: No such file or directory",
        ),
        (
            ["--trusted", pki.root.cert, "--untrusted", tmp_path],
            f"untrusted certificate file '{tmp_path}' not loaded: Is a directory",
        ),
        (
            ["--trusted", pki.root.cert, "--crl", pki.intermediate.cert],
            f"CRL file '{pki.intermediate.cert}' not loaded: it holds a certificate, no CRL",
        ),
    ):
        for output in ([], ["--json"]):
            done = dicomsign_cli("verify", *output, *args, *files)
            assert done.returncode == 20
            assert done.stderr == f"dicomsign verify: error: {line}\n"
            assert done.stdout == ""


def test_unreadable_input_names_the_reason_in_words(tmp_path: Path) -> None:
    """A missing PATH, and a directory where a file is expected (a --files-from name: a
    directory given as PATH is walked)."""
    folder = tmp_path / "folder.dcm"
    folder.mkdir()
    missing = tmp_path / "missing.dcm"
    listed = tmp_path / "list.txt"
    listed.write_text(f"{folder}\n")
    done = dicomsign_cli("verify", "-j1", missing, "--files-from", listed)
    assert done.returncode == 20
    assert done.stdout.splitlines() == [
        f"{missing}: UNREADABLE: No such file or directory: reading file: {missing}",
        f"{folder}: UNREADABLE: Is a directory: reading file: {folder}",
    ]


# -- whole trees ---------------------------------------------------------------------------------


def _labels(stdout: str, root: Path) -> dict[str, set[str]]:
    """File (relative) -> the labels of its lines."""
    labels: dict[str, set[str]] = {}
    for line in stdout.splitlines():
        path, label = line.split(": ", 2)[:2]
        labels.setdefault(os.path.relpath(path, root), set()).add(label)
    return labels


def test_verify_a_tree_one_line_per_file_and_a_summary(archive: Archive) -> None:
    done = dicomsign_cli("verify", *archive.cli_trust, archive.root)
    assert done.returncode == 101
    labels = _labels(done.stdout, archive.root)
    assert set(labels) == set(archive.expected)
    for relative, word in archive.expected.items():
        if word in ("verified", "unsigned"):
            (label,) = labels[relative]
            assert label.startswith("OK (") and (label == "OK (0 signatures)") == (
                word == "unsigned"
            )
        else:
            assert word.upper() in labels[relative], (relative, labels[relative])
    # The mixed file: one line per failed signature, each with its own word.
    assert labels["study2/mixed.dcm"] == {"CERTIFICATE-UNTRUSTED", "CERTIFICATE-EXPIRED"}
    counts = Counter(archive.expected.values())
    summary = done.stderr.splitlines()
    assert summary[0].startswith(f"dicomsign verify: {len(archive.expected)} files (")
    assert "files/s" in summary[0] and "ETA" not in done.stderr
    for word, n in counts.items():
        assert f"{n} {word}" in summary[1]
    quiet = dicomsign_cli("verify", "-q", *archive.cli_trust, archive.root)
    assert quiet.returncode == 101 and quiet.stderr == ""
    assert set(_labels(quiet.stdout, archive.root)) == {
        p for p, w in archive.expected.items() if w not in ("verified", "unsigned", "not-dicom")
    }


def test_run_exit_codes(archive: Archive) -> None:
    def code(*args: str | Path) -> int:
        return dicomsign_cli("verify", "-q", *archive.cli_trust, *args).returncode

    fine = [archive.root / p for p in ("study1", "misc")]
    assert code(*fine) == 0  # verified, unsigned, not DICOM
    assert code("--strict", *fine) == 20
    assert code("--require-signature", *fine) == 100
    assert code("--require-signature", "--strict", *fine) == 100
    assert code(*fine, archive.root / "study2/truncated.dcm") == 20
    assert code(*fine, archive.root / "study2/truncated.dcm", "--require-signature") == 100
    assert code(*fine, archive.root / "study2/revoked.dcm", "--require-signature") == 101
    assert code("--include", "revoked.dcm", archive.root) == 101
    assert code("--include", "*.none", archive.root) == 0  # nothing to verify


def test_json_document(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    odd = os.fsencode(root) + b"/odd\xff\nname.dcm"
    shutil.copy(root / "study1/unsigned.dcm", odd)
    done = dicomsign_cli("verify", "--json", "-j", "3", *archive.cli_trust, root)
    document = json.loads(done.stdout.encode("utf-8").decode("utf-8", "strict"))
    assert document["exit_code"] == done.returncode == 101
    assert document["interrupted"] is False
    files = {f["path"]: f for f in document["files"]}
    assert len(files) == len(archive.expected) + 1
    (weird,) = [f for f in document["files"] if "path_base64" in f]
    assert base64.b64decode(weird["path_base64"]) == odd and weird["status"] == "unsigned"
    statuses = document["summary"]["statuses"]
    assert statuses["unsigned"] == Counter(archive.expected.values())["unsigned"] + 1
    assert document["summary"]["files"] == len(files)
    # The text output names it in one line, bytes as \xNN.
    text = dicomsign_cli("verify", *archive.cli_trust, root / "study1", os.fsdecode(odd))
    assert f"{root}/odd\\xff\\nname.dcm: OK (0 signatures)" in text.stdout.splitlines()


def test_files_from_stdin_nul_separated(archive: Archive) -> None:
    names = [archive.root / "study1/series1/rsa.dcm", archive.root / "study2/revoked.dcm"]
    done = subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", *archive.cli_trust]
        + ["--files-from", "-", "--null", "-j1"],
        input=b"".join(os.fsencode(n) + b"\0" for n in names),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 101
    lines = done.stdout.decode().splitlines()
    assert lines[0] == f"{names[0]}: OK (1 signature)"
    assert lines[1].startswith(f"{names[1]}: CERTIFICATE-REVOKED: signature #1 ")


def test_usage_errors_of_the_archive_options(tmp_path: Path) -> None:
    for args, message in (
        (["--null", tmp_path], "--null needs --files-from"),
        (["--jobs", "0", tmp_path], "must be at least 1"),
        (["--report-format", "csv", tmp_path], "--report-format needs --report"),
    ):
        done = dicomsign_cli("verify", *args)
        assert done.returncode == 2 and message in done.stderr
    done = dicomsign_cli("verify", "--files-from", tmp_path / "missing.txt")
    assert done.returncode == 20
    assert "--files-from" in done.stderr and "No such file or directory" in done.stderr


def _run_on_a_terminal(*args: str | Path) -> tuple[int, str]:
    """Run with stderr on a pseudo-terminal; what the terminal showed."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", *map(str, args)],
        stdout=subprocess.DEVNULL,
        stderr=slave,
    )
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return process.wait(timeout=60), shown.decode("utf-8", "replace")


def test_progress_bar_on_a_terminal_only(archive: Archive) -> None:
    code, shown = _run_on_a_terminal("verify", *archive.cli_trust, "-j2", archive.root)
    assert code == 101
    assert "ETA " in shown and "failed" in shown and ("MB/s" in shown or "kB/s" in shown)
    bar = [part for part in shown.split("\r") if "ETA" in part]
    assert bar and all(" files  " in part for part in bar)
    assert "\x1b[K" in shown  # the bar is erased before the summary
    assert "dicomsign verify: " in shown.split("\x1b[K")[-1]
    code, shown = _run_on_a_terminal("verify", "-q", *archive.cli_trust, archive.root)
    assert code == 101 and "ETA" not in shown and shown == ""
    code, shown = _run_on_a_terminal("verify", "--no-progress", *archive.cli_trust, archive.root)
    assert "ETA" not in shown and "dicomsign verify: " in shown


def test_faults_in_a_tree_each_become_a_record_and_nothing_hangs(
    archive: Archive, tmp_path: Path
) -> None:
    root = tmp_path / "tree"
    (root / "x.dcm").mkdir(parents=True)
    shutil.copy(archive.root / "study1/series1/rsa.dcm", root / "x.dcm" / "inside.dcm")
    os.mkfifo(root / "pipe.dcm")
    (root / "empty.dcm").write_bytes(b"")
    (root / "dangling.dcm").symlink_to(root / "gone.dcm")
    (root / "null.dcm").symlink_to("/dev/null")
    (root / "again").symlink_to(".")
    shutil.copy(archive.root / "study1/unsigned.dcm", os.fsencode(root) + b"/\xff.dcm")
    journal = tmp_path / "journal.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", "-L", "-j2"]
        + [*archive.cli_trust, "--journal", str(journal), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 20, done.stderr
    records = {r["path"]: r for r in map(json.loads, journal.read_text().splitlines())}
    assert {os.path.relpath(p, root): r["status"] for p, r in records.items()} == {
        "x.dcm/inside.dcm": "verified",
        "pipe.dcm": "unreadable",
        "empty.dcm": "not-dicom",
        "dangling.dcm": "unreadable",
        "null.dcm": "unreadable",
        "again": "unreadable",
        "\\xff.dcm": "unsigned",
    }
    reasons = {os.path.relpath(p, root): r["reason"] for p, r in records.items()}
    assert reasons["pipe.dcm"].startswith("not a regular file: a named pipe (FIFO)")
    assert reasons["null.dcm"].startswith("not a regular file: a character device")
    assert reasons["again"].startswith("symbolic link loop")
    assert reasons["empty.dcm"].startswith("file is empty")
