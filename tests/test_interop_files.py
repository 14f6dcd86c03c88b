"""Interop with the real DCMTK over every pydicom test file DCMTK can load and over files
made with DCMTK's own tools (tests/corpus.py), with every MAC algorithm across the key types.

For each file and algorithm:
* our signature verifies in DCMTK (exit 0);
* DCMTK's signature of the same file verifies in ours (status valid, exit 0);
* the byte stream we feed into the MAC equals DCMTK's ``+d`` dump, for the signed elements
  (``D``: identical, or identical under DCMTK 3.6's value rule where the value rules of 3.6
  and 3.7 disagree, see README) and, when rebuilt from DCMTK's signed file, in full.
"""

from __future__ import annotations

import concurrent.futures
import itertools
from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk, split_stream
from dicomsign import _core
from dicomsign.api import open_document
from dicomsign.exceptions import SignatureCreationError
from dicomsign.signing import sign_document
from dicomsign.vocabulary import MacAlgorithm, ValueRule
from pki import PKI, Identity

ALGORITHMS = {
    "RIPEMD160": "+mr",
    "SHA1": "+ms",
    "MD5": "+mm",
    "SHA256": "+m2",
    "SHA384": "+m3",
    "SHA512": "+m5",
}
IDENTITIES = ("rsa2048", "rsa3072", "dsa2048", "ec256", "ec384")


def _trust_args(identity: Identity) -> list[str | Path]:
    return ["+cf", identity.root, "+uf", identity.chain]


def _pydicom_files() -> list[str]:
    import tempfile

    from corpus import dcmtk_loadable_pydicom_files  # the census is cached per session

    cache = Path(tempfile.gettempdir()) / "dicomsign-census"
    cache.mkdir(exist_ok=True)
    return [str(p) for p in dcmtk_loadable_pydicom_files(cache)]


PYDICOM_FILES = _pydicom_files()
CORPUS_FILES = [
    "explicit_le",
    "implicit_le",
    "explicit_be",
    "deflated",
    "no_meta_explicit_le",
    "no_meta_implicit_le",
    "rle_lossless",
    "jpeg_baseline",
    "jpeg_lossless",
    "jpeg_multiframe_fragments",
    "nested_explicit_length",
    "nested_undefined_length",
    "group_lengths",
    "private_explicit_le",
    "private_implicit_le",
    "un_defined_length",
    "un_undefined_length",
    "normalization",
    "out_of_order",
    "duplicate_tag",
    "implicit_private_creator_out_of_order",
    "sr_document",
    "original_attributes",
]


def _has_signable(path: Path) -> bool:
    doc = open_document(path)
    return any(signable for _t, _vr, signable, _sq in doc.elements([]))


def _round_trip(source: Path, work: Path, pki: PKI, offset: int) -> None:
    """Both directions for every algorithm; identities rotate with ``offset``."""
    plan = [
        (alg, option, getattr(pki, IDENTITIES[(offset + i) % len(IDENTITIES)]))
        for i, (alg, option) in enumerate(ALGORITHMS.items())
    ]
    if not _has_signable(source):
        # Nothing signable (e.g. a DICOMDIR): DCMTK makes a signature it cannot verify; we
        # refuse with exit code 85 (README, deliberate differences).
        signer = dicomsign.SoftwareSigner(pki.rsa2048.private_key, pki.rsa2048.certificate)
        with pytest.raises(SignatureCreationError, match="no signable attributes"):
            dicomsign.sign(source, signer, output=work / "never.dcm")
        assert not (work / "never.dcm").exists()
        return
    ours: dict[str, Path] = {}
    for alg, _option, identity in plan:
        signer = dicomsign.SoftwareSigner(identity.private_key, identity.certificate)
        out = work / f"ours-{alg}.dcm"
        result = dicomsign.sign(
            source, signer, output=out, algorithm=alg, dump=work / f"ours-{alg}.stream"
        )
        assert result.document == out
        ours[alg] = out

    def dcmtk_side(entry: tuple[str, str, Identity]) -> tuple[str, int, str, int, str]:
        alg, option, identity = entry
        verify = dcmtk("dcmsign", *_trust_args(identity), ours[alg])
        theirs = work / f"dcmtk-{alg}.dcm"
        signed = dcmtk(
            "dcmsign",
            "+s",
            identity.key,
            identity.cert,
            option,
            source,
            theirs,
            "+d",
            work / f"dcmtk-{alg}.stream",
        )
        return alg, verify.returncode, verify.stderr, signed.returncode, signed.stderr

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(dcmtk_side, plan))
    for (alg, verify_rc, verify_err, sign_rc, sign_err), (_a, _o, identity) in zip(
        results, plan, strict=True
    ):
        assert verify_rc == 0, f"DCMTK rejects our {alg} signature: {verify_err}"
        assert sign_rc == 0, f"DCMTK cannot sign with {alg}: {sign_err}"
        theirs = work / f"dcmtk-{alg}.dcm"
        report = dicomsign.verify(theirs, trusted=[identity.root], untrusted=[identity.chain])
        assert report.exit_code == 0, [s.message for s in report.signatures]
        assert [s.status for s in report.signatures] == [dicomsign.SignatureStatus.VALID]
        _compare_streams(source, work, alg, identity)


def _compare_streams(source: Path, work: Path, alg: str, identity: Identity) -> None:
    theirs_stream = (work / f"dcmtk-{alg}.stream").read_bytes()
    ours_stream = (work / f"ours-{alg}.stream").read_bytes()
    # Rebuilt from DCMTK's signed file, our stream equals its dump in full.
    doc = _core.Document.open(str(work / f"dcmtk-{alg}.dcm"))
    sigs, _ = doc.signatures()
    sig = sigs[-1]
    rebuilt = work / f"rebuilt-{alg}.stream"
    doc.signature_digest(
        sig.container,
        sig.index,
        algorithm=MacAlgorithm(alg),
        transfer_syntax=sig.mac_transfer_syntax or "",
        tags=sig.tags or [],
        dump=str(rebuilt),
    )
    assert rebuilt.read_bytes() == theirs_stream
    # Signed from the same input, the signed elements are identical, or identical under
    # DCMTK 3.6's value rule for values the 3.6 and 3.7 rules disagree on.
    d_ours, s_ours = split_stream(ours_stream)
    d_theirs, _ = split_stream(theirs_stream)
    assert s_ours.startswith(b"\x00\x04\x05\x00US\x02\x00")
    if d_ours != d_theirs:
        doc = open_document(source)
        signer = dicomsign.SoftwareSigner(identity.private_key, identity.certificate)
        dump36 = work / f"ours36-{alg}.stream"
        sign_document(doc, signer, algorithm=alg, rule=ValueRule.DCMTK_3_6, dump=str(dump36))
        assert split_stream(dump36.read_bytes())[0] == d_theirs
        _, _, ambiguous = open_document(source).new_signature_digest(
            [], None, [], algorithm=MacAlgorithm(alg), transfer_syntax=sig.mac_transfer_syntax or ""
        )
        assert ambiguous, "streams differ although no value is ambiguous"


_offsets = itertools.count()


@pytest.mark.parametrize("path", PYDICOM_FILES, ids=lambda p: Path(p).name)
def test_pydicom_file_both_directions(path: str, pki: PKI, tmp_path: Path) -> None:
    _round_trip(Path(path), tmp_path, pki, PYDICOM_FILES.index(path))


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_dcmtk_made_file_both_directions(
    name: str, dicom_corpus: dict[str, Path], pki: PKI, tmp_path: Path
) -> None:
    _round_trip(dicom_corpus[name], tmp_path, pki, CORPUS_FILES.index(name))


def test_census_covers_the_bundled_files() -> None:
    assert len(PYDICOM_FILES) >= 150
    names = {Path(p).name for p in PYDICOM_FILES}
    assert {"CT_small.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm"} <= names
