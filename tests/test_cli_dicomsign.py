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
