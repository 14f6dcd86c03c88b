"""The signing options of the Python API (``dicomsign.sign``): item locations as strings and as
(keyword or tag, index) pairs, tags as ints and keywords, profiles and purposes as enums and
plain values, each checked against what DCMTK's ``dcmsign`` makes with the same options."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest
from pydicom.tag import Tag

import dicomsign
from dcmtk import dcmtk
from dicomsign import SignaturePurpose
from dicomsign.exceptions import SignatureCreationError
from dicomsign.exitcodes import ExitCode
from dicomsign.profiles import Profile
from pki import PKI
from signing_options import normalize

L1 = "RequestAttributesSequence[0]"
L3 = f"{L1}.ScheduledProtocolCodeSequence[0].ConceptNameCodeSequence[0]"
L3_STEPS: list[tuple[str | int, int]] = [
    ("RequestAttributesSequence", 0),
    (0x00400008, 0),
    ("ConceptNameCodeSequence", 0),
]


@pytest.fixture(scope="module")
def signer(pki: PKI) -> dicomsign.SoftwareSigner:
    return dicomsign.load_signer(pki.rsa2048.key, pki.rsa2048.cert)


def _trust(pki: PKI) -> list[str | Path]:
    return ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain]


def _dcmtk_made(pki: PKI, tmp_path: Path, source: Path, *options: str) -> Path:
    out = tmp_path / "dcmtk.dcm"
    done = dcmtk(
        "dcmsign", *options[:1], pki.rsa2048.key, pki.rsa2048.cert, *options[1:], source, out
    )
    assert done.returncode == 0, done.stderr
    return out


def _assert_described_like(pki: PKI, mine: Path, theirs: Path) -> None:
    """DCMTK accepts our file and describes it as its own signature of the same input."""
    on_mine = dcmtk("dcmsign", "-v", *_trust(pki), mine)
    on_theirs = dcmtk("dcmsign", "-v", *_trust(pki), theirs)
    assert on_mine.returncode == on_theirs.returncode == 0, on_mine.stderr
    on_mine_text = normalize(on_mine.stderr).replace(str(mine), "")
    assert on_mine_text == normalize(on_theirs.stderr).replace(str(theirs), "")


@pytest.mark.parametrize(
    "location",
    [L3, L3_STEPS, [(0x00400275, 0), (0x00400008, 0), (0x0040A043, 0)]],
    ids=["string", "keyword-and-tag-steps", "tag-steps"],
)
def test_location_forms(
    location: str | list[tuple[str | int, int]],
    signer: dicomsign.SoftwareSigner,
    pki: PKI,
    dicom_corpus: dict[str, Path],
    tmp_path: Path,
) -> None:
    source = dicom_corpus["nested_explicit_length"]
    out = tmp_path / "ours.dcm"
    result = dicomsign.sign(source, signer, output=out, location=location, algorithm="RIPEMD160")
    assert result.signature.location == L3
    assert result.signature.container == ((0x00400275, 0), (0x00400008, 0), (0x0040A043, 0))
    assert result.signature.mac_id == 0
    _assert_described_like(pki, out, _dcmtk_made(pki, tmp_path, source, "+si", L3))


def test_location_on_a_dataset_and_per_container_mac_ids(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path]
) -> None:
    ds = pydicom.dcmread(dicom_corpus["nested_explicit_length"])
    first = dicomsign.sign(ds, signer, location=[("RequestAttributesSequence", 0)])
    second = dicomsign.sign(first.document, signer, location=L1)
    main = dicomsign.sign(second.document, signer)
    assert (first.signature.mac_id, second.signature.mac_id, main.signature.mac_id) == (0, 1, 0)
    item = main.document.RequestAttributesSequence[0]
    assert [m.MACIDNumber for m in item.MACParametersSequence] == [0, 1]
    report = dicomsign.verify(main.document)
    assert [(s.location, s.mac_id) for s in report.signatures] == [
        (L1, 0),
        (L1, 1),
        ("Main Dataset", 0),
    ]


@pytest.mark.parametrize(
    "location",
    ["RequestAttributesSequence[2]", [("RequestAttributesSequence", 2)], [("NoSuchSequence", 0)],
     [("PatientName", 0)], "RequestAttributesSequence[1]"],
    ids=["string", "steps", "unknown-keyword", "not-a-sequence", "empty-item"],
)  # fmt: skip
def test_location_errors(
    location: str | list[tuple[str | int, int]],
    signer: dicomsign.SoftwareSigner,
    dicom_corpus: dict[str, Path],
) -> None:
    with pytest.raises(SignatureCreationError) as caught:
        dicomsign.sign(dicom_corpus["nested_explicit_length"], signer, location=location)
    assert caught.value.exit_code == ExitCode.SIGNATURE_CREATION_FAILED
    last = caught.value.message.splitlines()[-1]
    assert "desired signature location not found" in last or "is empty, nothing to sign" in last


def test_tags_as_ints_keywords_and_pydicom_tags(
    signer: dicomsign.SoftwareSigner, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    source = dicom_corpus["explicit_le"]
    out = tmp_path / "ours.dcm"
    tags: list[int | str] = ["PatientName", 0x00080018, Tag("Modality"), "SOPClassUID"]
    result = dicomsign.sign(source, signer, output=out, tags=tags, algorithm="RIPEMD160")
    assert result.signature.signed_tags == (0x00080016, 0x00080018, 0x00080060, 0x00100010)
    theirs = _dcmtk_made(
        pki, tmp_path, source, "+s", "-t", "PatientName", "-t", "8,18", "-t", "0008,0060",
        "-t", "SOPClassUID",
    )  # fmt: skip
    _assert_described_like(pki, out, theirs)


@pytest.mark.parametrize("keyword", ["NoSuchKeyword", "SyntheticData", "CurveData", ""])
def test_tags_are_dcmtk_names(
    keyword: str, signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path]
) -> None:
    # Keywords newer than DCMTK 3.6.7 and bare retired keywords are unknown, as for -t.
    with pytest.raises(ValueError, match="unknown attribute tag"):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, tags=["PatientName", keyword])


def test_tag_errors_are_dcmtks(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path]
) -> None:
    with pytest.raises(SignatureCreationError) as caught:
        dicomsign.sign(dicom_corpus["explicit_le"], signer, tags=[0x00109999, "RETIRED_CurveData"])
    assert caught.value.message.splitlines() == [
        "attribute (0010,9999) should be signed but is not present in the dataset.",
        "attribute (5000,3000) should be signed but is not present in the dataset.",
        "Tag not found while creating signature in main dataset",
    ]
    with pytest.raises(SignatureCreationError, match="not signable"):
        dicomsign.sign(dicom_corpus["un_defined_length"], signer, tags=["Modality"])
    with pytest.raises(SignatureCreationError, match="is empty, nothing to sign"):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, tags=[])


@pytest.mark.parametrize(
    ("profile", "option"),
    [
        (Profile.CREATOR_RSA, "+pc"),
        ("creator-rsa", "+pc"),
        (Profile.AUTHORIZATION_RSA, "+pa"),
        ("base-rsa", "+pb"),
        ("sr-rsa", "+pr"),
        (Profile.SR_RSA_VERIFICATION, "+pv"),
    ],
)
def test_profiles_as_enum_or_string(
    profile: Profile | str,
    option: str,
    signer: dicomsign.SoftwareSigner,
    pki: PKI,
    dicom_corpus: dict[str, Path],
    tmp_path: Path,
) -> None:
    source = dicom_corpus["sr_document" if option in ("+pr", "+pv") else "explicit_le"]
    out = tmp_path / "ours.dcm"
    result = dicomsign.sign(
        source, signer, output=out, profile=profile, tags=["PatientName"], algorithm="RIPEMD160"
    )
    theirs = _dcmtk_made(pki, tmp_path, source, "+s", option, "-t", "PatientName")
    assert result.signature.signed_tags == dicomsign.verify(theirs).signatures[0].signed_tags
    assert result.signature.purpose == ("5" if option == "+pv" else None)
    _assert_described_like(pki, out, theirs)


def test_profile_errors(
    signer: dicomsign.SoftwareSigner, pki: PKI, dicom_corpus: dict[str, Path]
) -> None:
    with pytest.raises(SignatureCreationError, match="dataset not suitable"):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, profile="sr-rsa")
    ec = dicomsign.load_signer(pki.ec256.key, pki.ec256.cert)
    with pytest.raises(SignatureCreationError, match="signature algorithm not allowed"):
        dicomsign.sign(dicom_corpus["explicit_le"], ec, profile=Profile.BASE_RSA)
    with pytest.raises(ValueError):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, profile="no-such-profile")


@pytest.mark.parametrize("purpose", [SignaturePurpose.AUTHOR, 13, SignaturePurpose.TIMESTAMP])
def test_purposes_as_enum_or_int(
    purpose: SignaturePurpose | int,
    signer: dicomsign.SoftwareSigner,
    pki: PKI,
    dicom_corpus: dict[str, Path],
    tmp_path: Path,
) -> None:
    source = dicom_corpus["explicit_le"]
    out = tmp_path / "ours.dcm"
    result = dicomsign.sign(source, signer, output=out, purpose=purpose, algorithm="RIPEMD160")
    assert result.signature.purpose == str(int(purpose))
    theirs = _dcmtk_made(pki, tmp_path, source, "+s", "+sp", str(int(purpose)))
    dump = dcmtk("dcmdump", "-q", "+L", "+P", "0400,0401", out).stdout
    assert dump == dcmtk("dcmdump", "-q", "+L", "+P", "0400,0401", theirs).stdout
    _assert_described_like(pki, out, theirs)


@pytest.mark.parametrize("purpose", [0, 19, -1])
def test_purpose_out_of_range(
    purpose: int, signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path]
) -> None:
    with pytest.raises(ValueError):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, purpose=purpose)


def test_forced_purpose_of_the_sr_verification_profile(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path]
) -> None:
    result = dicomsign.sign(
        dicom_corpus["sr_document"],
        signer,
        profile=Profile.SR_RSA_VERIFICATION,
        purpose=SignaturePurpose.AUTHOR,
    )
    assert result.signature.purpose == "5"
    assert dicomsign.verify(result.document).signatures[0].purpose == "5"
