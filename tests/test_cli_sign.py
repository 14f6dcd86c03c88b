"""``dicomsign sign``: one file and whole trees signed with one key; DCMTK verifies what it
writes; a journal resumes an interrupted batch without signing a file twice; bad inputs end
with one line, DCMTK's exit code and no output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import dicomsign
from conftest_archive import Archive
from dcmtk import dcmtk, dicomsign_cli, ours
from pki import PKI


def _key(pki: PKI, label: str = "rsa2048") -> list[str | Path]:
    identity = getattr(pki, label)
    return ["--key", identity.key, "--cert", identity.cert]


def _dcmtk_verifies(pki: PKI, path: Path) -> None:
    done = dcmtk("dcmsign", "--verify", "+cf", pki.root.cert, "+uf", pki.rsa2048.chain, path)
    assert done.returncode == 0, (path, done.stderr)
    assert "Signature Verification : OK" in done.stderr + done.stdout or done.returncode == 0


def _signatures(path: Path) -> int:
    return len(dicomsign.verify(path).signatures)


def _tree(archive: Archive, root: Path, n: int) -> Path:
    """``n`` unsigned DICOM files in two directories, and a text file."""
    source = archive.root / "study1" / "unsigned.dcm"
    for d in ("a", "b/c"):
        (root / d).mkdir(parents=True)
    for i in range(n):
        shutil.copy(source, root / ("a" if i % 2 else "b/c") / f"{i:04d}.dcm")
    (root / "a" / "notes.txt").write_text("not DICOM\n")
    return root


def test_one_file_signed_as_dcmtk_verifies_it(pki: PKI, archive: Archive, tmp_path: Path) -> None:
    source = archive.root / "study1" / "unsigned.dcm"
    before = source.read_bytes()
    out = tmp_path / "signed.dcm"
    done = dicomsign_cli("sign", *_key(pki), "--mac", "sha384", source, "-o", out)
    assert done.returncode == 0, done.stderr
    assert source.read_bytes() == before
    _dcmtk_verifies(pki, out)
    assert dicomsign.verify(out).signatures[0].mac_algorithm == "SHA384"


def test_a_tree_mirrored_under_out_every_file_verified_by_dcmtk(
    pki: PKI, archive: Archive, tmp_path: Path
) -> None:
    root = _tree(archive, tmp_path / "in", 6)
    out = tmp_path / "out"
    journal = tmp_path / "sign.jsonl"
    done = dicomsign_cli(
        "sign", *_key(pki, "ec256"), root, "--out", out, "-j", "2", "--journal", journal
    )
    assert done.returncode == 0, done.stderr
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.dcm"))
    assert written == expected  # the text file is not DICOM: skipped, not copied
    for path in out.rglob("*.dcm"):
        done = dcmtk("dcmsign", "--verify", "+cf", pki.root.cert, "+uf", pki.ec256.chain, path)
        assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    ended = [r for r in records if r["status"] != "started"]
    assert sorted(r["status"] for r in ended) == ["not-dicom"] + ["signed"] * 6
    assert len(records) == 2 * len(ended)  # each file: started, then its outcome
    assert all(r["uid"].startswith("2.25.") for r in records if r["status"] == "signed")
    strict = dicomsign_cli("sign", *_key(pki), root, "--out", tmp_path / "o2", "--strict", "-q")
    assert strict.returncode == 20, strict.stderr
    assert "notes.txt" in strict.stderr and "Traceback" not in strict.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_in_place_resumed_after_an_interruption_signs_each_file_once(
    pki: PKI, archive: Archive, tmp_path: Path, stop: signal.Signals
) -> None:
    """Ctrl-C lets the files in flight finish and journals them; after kill -9 the journal's
    ``started`` records tell which of the files in flight were replaced already."""
    root = _tree(archive, tmp_path / "in", 400)
    journal = tmp_path / "sign.jsonl"
    args = ["sign", *map(str, _key(pki)), str(root), "--in-place", "--journal", str(journal)]
    process = subprocess.Popen(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", *args, "-j", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not (journal.exists() and journal.read_bytes().count(b'"status":"signed"') >= 20):
        assert process.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    if stop == signal.SIGINT:
        assert process.returncode == 130, stderr
        assert "Traceback" not in stderr and "--resume" in stderr
    else:
        assert process.returncode == -signal.SIGKILL
    signed_before = journal.read_bytes().count(b'"status":"signed"')
    assert 20 <= signed_before < 400
    resumed = dicomsign_cli(*args, "--resume", "-q")
    assert resumed.returncode == 0, resumed.stderr
    files = sorted(root.rglob("*.dcm"))
    assert len(files) == 400
    assert {_signatures(p) for p in files} == {1}  # none signed twice, none left out
    again = dicomsign_cli(*args, "--resume")
    assert again.returncode == 0 and "400 already signed (--resume)" in again.stderr
    _dcmtk_verifies(pki, files[0])
    left = [p for p in root.rglob("*") if p.name.startswith(".")]
    if stop == signal.SIGINT:
        assert not left  # every output finished and renamed into place
    else:  # a temporary of a file in flight may stay: never taken for an input
        assert all(p.name.startswith(".dicomsign-") and p.suffix == ".tmp" for p in left)


@pytest.mark.parametrize(
    "case", ["wrong-password", "missing-key", "damaged", "two-modes", "key-not-the-cert-s"]
)
def test_bad_input_one_line_dcmtk_code_no_output(
    pki: PKI, archive: Archive, tmp_path: Path, case: str
) -> None:
    source = archive.root / "study1" / "unsigned.dcm"
    out = tmp_path / "out.dcm"
    args: list[str | Path] = [*_key(pki), source, "-o", out]
    code = 20
    if case == "wrong-password":
        (tmp_path / "pw").write_text("not the pass phrase\n")
        args = ["--key", pki.rsa2048.key_encrypted_pkcs8, "--cert", pki.rsa2048.cert]
        args += ["--password-file", tmp_path / "pw", source, "-o", out]
    elif case == "missing-key":
        args[1] = tmp_path / "absent.pem"
    elif case == "key-not-the-cert-s":  # checked once, before any file
        args[1] = pki.rsa3072.key
        code = 85
    elif case == "damaged":
        cut = tmp_path / "cut.dcm"
        cut.write_bytes((archive.root / "study2" / "truncated.dcm").read_bytes())
        args[4] = cut
    else:
        args += ["--in-place"]
        code = 2
    done = dicomsign_cli("sign", *args)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 or code == 2, done.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_api_signs_many_in_parallel(pki: PKI, archive: Archive, tmp_path: Path) -> None:
    from dicomsign.batch import sign_many

    source = archive.root / "study1" / "unsigned.dcm"
    pairs = [(str(source), str(tmp_path / f"{i}.dcm")) for i in range(8)]
    pairs.append((str(tmp_path / "absent.dcm"), str(tmp_path / "absent-out.dcm")))
    signer = dicomsign.load_signer(pki.rsa2048.key, pki.rsa2048.cert)
    outcomes = list(sign_many(pairs, signer, jobs=3, algorithm="SHA512"))
    by_status = sorted(o.status for o in outcomes)
    assert by_status == ["failed"] + ["signed"] * 8
    failed = next(o for o in outcomes if o.status == "failed")
    assert failed.exit_code == 20 and "No such file or directory" in (failed.reason or "")
    assert not os.path.exists(failed.output)
    assert len({o.uid for o in outcomes if o.uid}) == 8


@pytest.mark.parametrize("tool", ["dcmsign", "dicomsign"])
def test_an_output_that_is_a_fifo_is_written_not_replaced(
    pki: PKI, archive: Archive, tmp_path: Path, tool: str
) -> None:
    """A device or a FIFO (``/dev/null``, a pipe) is written directly, as DCMTK does: the
    atomic rename of a regular output would replace it by a regular file."""
    source = archive.root / "study1" / "unsigned.dcm"
    fifo = tmp_path / "pipe.dcm"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    if tool == "dcmsign":
        done = ours("--sign", pki.rsa2048.key, pki.rsa2048.cert, source, fifo)
    else:
        done = dicomsign_cli("sign", *_key(pki), source, "-o", fifo)
    reader.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    signed = tmp_path / "signed.dcm"
    signed.write_bytes(received[0])
    _dcmtk_verifies(pki, signed)
