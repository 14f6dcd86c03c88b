"""Tampering, unsigned changes and removal, judged by DCMTK and by us alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk, ours, split_stream
from pki import PKI


def _trust(pki: PKI) -> list[str | Path]:
    return ["+cf", pki.rsa2048.root, "+uf", pki.rsa2048.chain]


@pytest.fixture(scope="module")
def signed_pair(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The same file signed by us and by DCMTK (SHA-256, RSA 2048)."""
    work = tmp_path_factory.mktemp("tamper")
    source = dicom_corpus["explicit_le"]
    by_us = work / "by-us.dcm"
    done = ours("+s", pki.rsa2048.key, pki.rsa2048.cert, "+m2", source, by_us)
    assert done.returncode == 0, done.stderr
    by_dcmtk = work / "by-dcmtk.dcm"
    done = dcmtk("dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, "+m2", source, by_dcmtk)
    assert done.returncode == 0, done.stderr
    return {"us": by_us, "dcmtk": by_dcmtk}


def _both(pki: PKI, path: Path) -> tuple[int, int]:
    return dcmtk("dcmsign", *_trust(pki), path).returncode, ours(*_trust(pki), path).returncode


@pytest.mark.parametrize("signer", ["us", "dcmtk"])
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (["-m", "(0010,0010)=Changed^Name"], 101),  # a signed string
        (["-m", "(0028,0010)=5"], 101),  # a signed US
        (["-m", "(0008,1140)[0].(0008,1155)=1.2.3"], 101),  # inside a signed sequence
        (["-e", "(0010,0020)"], 101),  # a signed element deleted
        (["-i", "(0010,21b0)=added later"], 0),  # an unsigned element added
        (["-i", "(0011,0010)=LATE CREATOR"], 0),  # an unsigned private element added
    ],
)
def test_changes_are_judged_alike(
    signer: str,
    change: list[str],
    expected: int,
    signed_pair: dict[str, Path],
    pki: PKI,
    tmp_path: Path,
) -> None:
    copy = tmp_path / "copy.dcm"
    shutil.copy(signed_pair[signer], copy)
    done = dcmtk("dcmodify", "-nb", "-q", *change, copy)
    assert done.returncode == 0, done.stderr
    assert _both(pki, copy) == (expected, expected)


@pytest.mark.parametrize("signer", ["us", "dcmtk"])
def test_a_flipped_pixel_byte_is_detected(
    signer: str, signed_pair: dict[str, Path], pki: PKI, tmp_path: Path
) -> None:
    data = bytearray(signed_pair[signer].read_bytes())
    at = data.rfind(b"\xe0\x7f\x10\x00OW")  # Pixel Data header
    assert at > 0
    data[at + 20] ^= 0x01
    copy = tmp_path / "flipped.dcm"
    copy.write_bytes(bytes(data))
    assert _both(pki, copy) == (101, 101)


def test_removing_one_of_two_signatures_leaves_the_other_valid(
    signed_pair: dict[str, Path], pki: PKI, tmp_path: Path
) -> None:
    two = tmp_path / "two.dcm"
    done = dcmtk("dcmsign", "+s", pki.ec384.key, pki.ec384.cert, "+m5", signed_pair["us"], two)
    assert done.returncode == 0, done.stderr
    report = dicomsign.verify(two, trusted=[pki.rsa2048.root], untrusted=[pki.rsa2048.chain])
    assert report.ok and len(report.signatures) == 2
    first_uid = report.signatures[0].uid
    assert first_uid is not None
    # We remove our own signature: DCMTK's remains valid for DCMTK.
    one = tmp_path / "one.dcm"
    done = ours("+r", first_uid, two, one)
    assert done.returncode == 0, done.stderr
    assert "Signature UID=" + first_uid in done.stderr
    after = dcmtk("dcmsign", "-v", "+cf", pki.ec384.root, "+uf", pki.ec384.chain, one)
    assert after.returncode == 0, after.stderr
    assert "1 signatures verified in dataset, 0 corrupted." in after.stderr
    # DCMTK removes its own signature from the two: ours remains valid for ours and DCMTK.
    second_uid = report.signatures[1].uid
    assert second_uid is not None
    other = tmp_path / "other.dcm"
    assert dcmtk("dcmsign", "+r", second_uid, two, other).returncode == 0
    assert _both(pki, other) == (0, 0)
    # Remove all, with both tools: no signature left, and the rest of the file intact.
    for tool, out in ((dcmtk, tmp_path / "none-dcmtk.dcm"), (None, tmp_path / "none-us.dcm")):
        done = tool("dcmsign", "+ra", two, out) if tool else ours("+ra", two, out)
        assert done.returncode == 0, done.stderr
        assert dcmtk("dcmsign", "+rg", out).returncode == 100
        assert ours("+rg", out).returncode == 100


def test_signing_never_changes_the_input(
    dicom_corpus: dict[str, Path], pki: PKI, tmp_path: Path
) -> None:
    source = tmp_path / "in.dcm"
    shutil.copy(dicom_corpus["nested_undefined_length"], source)
    before = source.read_bytes()
    mtime = source.stat().st_mtime_ns
    done = ours("+s", pki.rsa2048.key, pki.rsa2048.cert, source, tmp_path / "out.dcm")
    assert done.returncode == 0, done.stderr
    assert source.read_bytes() == before and source.stat().st_mtime_ns == mtime


def test_cli_dump_equals_dcmtk_dump(
    dicom_corpus: dict[str, Path], pki: PKI, tmp_path: Path
) -> None:
    """Through the command line, with the same options, the signed elements are identical."""
    for name in ("explicit_le", "implicit_le", "explicit_be", "deflated", "rle_lossless"):
        source = dicom_corpus[name]
        for options in (["+m2"], ["+mr", "-t", "SOPInstanceUID", "-t", "0010,0010"]):
            mine, theirs = tmp_path / f"{name}.ours", tmp_path / f"{name}.dcmtk"
            args = ["+s", pki.rsa2048.key, pki.rsa2048.cert, *options, source]
            assert ours(*args, tmp_path / "o.dcm", "+d", mine).returncode == 0
            assert dcmtk("dcmsign", *args, tmp_path / "d.dcm", "+d", theirs).returncode == 0
            assert split_stream(mine.read_bytes())[0] == split_stream(theirs.read_bytes())[0]


def test_stdin_and_stdout(signed_pair: dict[str, Path], pki: PKI) -> None:
    data = signed_pair["dcmtk"].read_bytes()
    done = ours("+ra", "-", "-", stdin=data)
    assert done.returncode == 0
    assert isinstance(done.stdout, bytes) and done.stdout[128:132] == b"DICM"
    theirs = dcmtk("dcmsign", "+rg", "-", stdin=done.stdout)
    assert theirs.returncode == 100
    assert ours(*_trust(pki), "-", stdin=data).returncode == 0
