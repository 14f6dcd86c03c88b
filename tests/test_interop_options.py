"""Input, output and format options against DCMTK: bare datasets and forced transfer
syntaxes, UN conversion, output transfer syntaxes and lengths, the old encapsulated format,
and MAC transfer syntaxes DCMTK only verifies (implicit VR and big endian)."""

from __future__ import annotations

from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk, ours
from dicomsign.api import open_document
from dicomsign.signing import sign_document
from dicomsign.vocabulary import ValueRule
from pki import PKI


def _trust(pki: PKI) -> list[str | Path]:
    return ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain]


def _sign(pki: PKI, *args: str | Path) -> tuple[int, int, str, str]:
    """Sign with both tools (same arguments, outputs ``.ours``/``.dcmtk`` appended)."""
    *options, source, out = args
    a = ours("+s", pki.rsa2048.key, pki.rsa2048.cert, *options, source, f"{out}.ours")
    b = dcmtk("dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, *options, source, f"{out}.dcmtk")
    return a.returncode, b.returncode, a.stderr, b.stderr


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("no_meta_explicit_le", ["-f", "-te"]),
        ("no_meta_implicit_le", ["-f", "-ti"]),
        ("no_meta_implicit_le", []),
        ("explicit_le", ["-td"]),
        ("explicit_le", ["+fo"]),
        ("un_defined_length", ["+uc"]),
        ("un_defined_length", ["-uc"]),
    ],
)
def test_input_options(
    name: str, options: list[str], pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed"
    a, b, ea, eb = _sign(pki, *options, dicom_corpus[name], out)
    assert a == b == 0, (ea, eb)
    for path in (f"{out}.ours", f"{out}.dcmtk"):
        assert (
            dcmtk(
                "dcmsign", *_trust(pki), *options[:1] if "+uc" in options else [], path
            ).returncode
            == 0
        )
        assert ours(*_trust(pki), path).returncode == 0
    theirs = dicomsign.verify(f"{out}.dcmtk").signatures[0].signed_tags
    mine = dicomsign.verify(f"{out}.ours").signatures[0].signed_tags
    assert mine == theirs


def test_file_only_refuses_a_bare_dataset(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    source = dicom_corpus["no_meta_explicit_le"]
    theirs, mine = dcmtk("dcmsign", "+fo", source), ours("+fo", source)
    assert theirs.returncode == mine.returncode == 20


@pytest.mark.parametrize("options", [["+te"], ["+tb"], ["+ti"], ["+tb", "-e"], ["+t=", "-e"]])
def test_output_options(
    options: list[str], pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed"
    a, b, ea, eb = _sign(pki, *options, dicom_corpus["nested_undefined_length"], out)
    assert a == b == 0, (ea, eb)
    for path in (f"{out}.ours", f"{out}.dcmtk"):
        assert dcmtk("dcmsign", *_trust(pki), path).returncode == 0
        assert ours(*_trust(pki), path).returncode == 0
    syntax = {
        "+te": "LittleEndianExplicit",
        "+tb": "BigEndianExplicit",
        "+ti": "LittleEndianImplicit",
    }
    if options[0] in syntax:
        meta = dcmtk("dcmdump", "-M", f"{out}.ours").stdout
        assert f"={syntax[options[0]]}" in meta


@pytest.mark.parametrize("name", ["rle_lossless", "jpeg_multiframe_fragments"])
def test_old_encapsulated_format(
    name: str, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed"
    a, b, ea, eb = _sign(pki, "-fo", dicom_corpus[name], out)
    assert a == b == 0, (ea, eb)
    for path in (f"{out}.ours", f"{out}.dcmtk"):
        for tool in (lambda *x: dcmtk("dcmsign", *x), ours):
            assert tool(*_trust(pki), "-fo", path).returncode == 0
            assert tool(*_trust(pki), path).returncode == 101  # the format is not recorded


@pytest.mark.parametrize("syntax", ["1.2.840.10008.1.2", "1.2.840.10008.1.2.2"])
@pytest.mark.parametrize("name", ["explicit_le", "private_explicit_le", "nested_explicit_length"])
def test_mac_transfer_syntaxes_dcmtk_only_verifies(
    syntax: str, name: str, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    doc = open_document(dicom_corpus[name])
    signer = dicomsign.SoftwareSigner(pki.rsa2048.private_key, pki.rsa2048.certificate)
    sign_document(doc, signer, algorithm="SHA256", transfer_syntax=syntax)
    out = tmp_path / "signed.dcm"
    doc.write(str(out), rule=ValueRule.DCMTK_3_7)
    done = dcmtk("dcmsign", "-v", *_trust(pki), out)
    assert done.returncode == 0, done.stderr
    assert ours(*_trust(pki), out).returncode == 0
