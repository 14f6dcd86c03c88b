"""The modern ``dicomsign`` command: ``--version`` and ``verify FILE...``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dicomsign
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
    assert [f["exit_code"] for f in report["files"]] == [0, 101]
    assert report["files"][1]["signatures"][0]["status"] == "corrupted"
    assert report["files"][0]["signatures"][0]["signed_tags"][0] == "00080005"


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
    folder = tmp_path / "folder.dcm"
    folder.mkdir()
    missing = tmp_path / "missing.dcm"
    done = dicomsign_cli("verify", missing, folder)
    assert done.returncode == 20
    assert done.stdout.splitlines() == [
        f"{missing}: UNREADABLE: No such file or directory: reading file: {missing}",
        f"{folder}: UNREADABLE: Is a directory: reading file: {folder}",
    ]
