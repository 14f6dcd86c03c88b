"""The public Python API on paths, bytes and pydicom Datasets."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pydicom
import pytest
from cryptography import x509

import dicomsign
import dicomsign.vocabulary
from dcmtk import dcmtk
from dicomsign import SignatureStatus
from dicomsign.archive import Verifier
from dicomsign.exceptions import (
    InputFileError,
    InvalidSignature,
    NoSignaturesError,
    OutputFileError,
    SignatureCreationError,
    SignatureNotFoundError,
    SupportFileError,
    TrustFileError,
)
from dicomsign.exitcodes import ExitCode
from pki import PKI


@pytest.fixture(scope="module")
def signer(pki: PKI) -> dicomsign.SoftwareSigner:
    return dicomsign.load_signer(pki.rsa2048.key, pki.rsa2048.cert)


@pytest.fixture(scope="module")
def trust(pki: PKI) -> dict[str, list[Path]]:
    return {"trusted": [pki.root.cert], "untrusted": [pki.rsa2048.chain]}


def test_sign_path_to_path_and_verify(
    signer: dicomsign.SoftwareSigner,
    trust: dict[str, list[Path]],
    dicom_corpus: dict[str, Path],
    tmp_path: Path,
) -> None:
    out = tmp_path / "signed.dcm"
    result = dicomsign.sign(dicom_corpus["explicit_le"], signer, output=out, algorithm="SHA384")
    assert result.document == out
    sig = result.signature
    assert sig.location == "Main Dataset" and sig.mac_algorithm == "SHA384"
    assert sig.uid is not None and sig.uid.startswith("2.25.")
    assert 0x00100010 in sig.signed_tags and sig.signer is not None
    report = dicomsign.verify(out, **trust)
    assert report.ok and report.exit_code == ExitCode.NO_ERROR
    [checked] = report.signatures
    assert checked.status is SignatureStatus.VALID and checked.uid == sig.uid
    assert checked.signed_tags == sig.signed_tags and checked.value_rule == "3.6"
    report.raise_for_status()


def test_bytes_in_bytes_out(
    signer: dicomsign.SoftwareSigner, trust: dict[str, list[Path]], dicom_corpus: dict[str, Path]
) -> None:
    data = dicom_corpus["implicit_le"].read_bytes()
    result = dicomsign.sign(data, signer)
    assert isinstance(result.document, bytes) and result.document[128:132] == b"DICM"
    assert dicomsign.verify(result.document, **trust).ok
    removed = dicomsign.remove(result.document, result.signature.uid)
    assert [r.uid for r in removed.removed] == [result.signature.uid]
    with pytest.raises(NoSignaturesError):
        dicomsign.verify(removed.document, policy="require").raise_for_status()


def test_dataset_in_dataset_out(
    signer: dicomsign.SoftwareSigner, trust: dict[str, list[Path]], dicom_corpus: dict[str, Path]
) -> None:
    ds = pydicom.dcmread(dicom_corpus["nested_explicit_length"])
    before = ds.to_json_dict()
    result = dicomsign.sign(
        ds, signer, purpose=dicomsign.SignaturePurpose.AUTHOR, tags=["PatientName", 0x00080018]
    )
    assert ds.to_json_dict() == before, "the input Dataset must not change"
    signed = result.document
    assert isinstance(signed, pydicom.Dataset)
    assert (
        signed.DigitalSignaturesSequence[0].DigitalSignaturePurposeCodeSequence[0].CodeValue == "1"
    )
    assert list(result.signature.signed_tags) == [0x00080018, 0x00100010]
    report = dicomsign.verify(signed, **trust)
    assert report.ok and report.signatures[0].purpose == "1"
    signed.PatientID = "changed but unsigned"
    assert dicomsign.verify(signed, **trust).ok
    signed.PatientName = "Changed^Signed"
    bad = dicomsign.verify(signed, **trust)
    assert bad.exit_code == ExitCode.SIGNATURE_VERIFICATION_FAILED
    assert bad.signatures[0].status is SignatureStatus.CORRUPTED
    with pytest.raises(InvalidSignature, match="document corrupted"):
        bad.raise_for_status()


def test_dataset_without_file_meta(signer: dicomsign.SoftwareSigner) -> None:
    ds = pydicom.Dataset()
    ds.PatientName = "Doe^John"
    ds.SOPInstanceUID = "1.2.3.4"
    result = dicomsign.sign(ds, signer)
    assert isinstance(result.document, pydicom.Dataset)
    assert "DigitalSignaturesSequence" in result.document


def test_item_signature_with_a_pythonic_location(
    signer: dicomsign.SoftwareSigner,
    trust: dict[str, list[Path]],
    dicom_corpus: dict[str, Path],
    tmp_path: Path,
    pki: PKI,
) -> None:
    source = dicom_corpus["nested_explicit_length"]
    ds = pydicom.dcmread(source)
    seq = next(e for e in ds if e.VR == "SQ" and len(e.value) > 0)
    out = tmp_path / "item.dcm"
    result = dicomsign.sign(source, signer, output=out, location=[(seq.keyword, 0)])
    assert result.signature.location == f"{seq.keyword}[0]"
    assert dcmtk("dcmsign", "+cf", pki.root.cert, "+uf", pki.rsa2048.chain, out).returncode == 0
    report = dicomsign.verify(out, **trust)
    assert report.ok and report.signatures[0].location == f"{seq.keyword}[0]"


def test_status_of_untrusted_revoked_and_expired(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    source = dicom_corpus["explicit_le"]
    ok = dicomsign.sign(source, dicomsign.load_signer(pki.rsa2048.key, pki.rsa2048.cert))
    assert dicomsign.verify(ok.document).signatures[0].status is SignatureStatus.UNTRUSTED
    revoked = dicomsign.sign(source, dicomsign.load_signer(pki.revoked.key, pki.revoked.cert))
    report = dicomsign.verify(
        revoked.document, trusted=[pki.root.cert], untrusted=[pki.revoked.chain], crls=[pki.crl]
    )
    assert report.signatures[0].status is SignatureStatus.REVOKED
    expired = dicomsign.sign(source, dicomsign.load_signer(pki.expired.key, pki.expired.cert))
    report = dicomsign.verify(
        expired.document, trusted=[pki.root.cert], untrusted=[pki.expired.chain]
    )
    assert report.signatures[0].status is SignatureStatus.EXPIRED


def test_trust_arguments_take_one_path_or_object_or_many(
    pki: PKI, dicom_corpus: dict[str, Path]
) -> None:
    """A bare ``str`` is one path (never iterated), as are a Path and one certificate or
    CRL object; lists and other iterables hold several."""
    source = dicom_corpus["explicit_le"]
    signed = dicomsign.sign(source, dicomsign.load_signer(pki.revoked.key, pki.revoked.cert))
    crl = x509.load_pem_x509_crl(pki.crl.read_bytes())
    forms: list[dict[str, object]] = [
        {"trusted": str(pki.root.cert), "untrusted": str(pki.revoked.chain)},
        {"trusted": pki.root.cert, "untrusted": pki.revoked.chain},
        {"trusted": pki.root.certificate, "untrusted": pki.intermediate.certificate},
        {"trusted": (pki.root.cert,), "untrusted": {pki.revoked.chain}},
    ]
    for form in forms:
        report = dicomsign.verify(signed.document, **form)  # type: ignore[arg-type]
        assert report.signatures[0].status is SignatureStatus.VALID, form
        for crls in (str(pki.crl), pki.crl, crl, [pki.crl, crl]):
            report = dicomsign.verify(signed.document, crls=crls, **form)  # type: ignore[arg-type]
            assert report.signatures[0].status is SignatureStatus.REVOKED, (form, crls)
    for bad, argument in (
        ({"trusted": bytes(pki.root.cert)}, "trusted"),
        ({"untrusted": 42}, "untrusted"),
        ({"trusted": [pki.root.cert, 42]}, "trusted"),
        ({"crls": pki.root.certificate}, "crls"),
    ):
        with pytest.raises(TypeError, match=argument):
            dicomsign.verify(signed.document, **bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=argument):
            Verifier(**bad)  # type: ignore[arg-type]


def _unloadable_trust_files(pki: PKI, directory: Path) -> dict[str, tuple[Path, str, str]]:
    """Files that cannot serve as (certificate, CRL), with the reason for each."""
    folder = directory / "folder.pem"
    folder.mkdir()
    dangling = directory / "dangling.pem"
    dangling.symlink_to(directory / "no-folder" / "x.pem")
    garbage = directory / "garbage.pem"
    garbage.write_bytes(b"not PEM at all\n")
    empty = directory / "empty.pem"
    empty.write_bytes(b"")
    missing = "No such file or directory"
    return {
        "missing": (directory / "typo.pem", missing, missing),
        "directory": (folder, "Is a directory", "Is a directory"),
        "dangling-link": (dangling, missing, missing),
        "garbage": (garbage, "it holds no PEM certificate", "it holds no PEM CRL"),
        "empty": (empty, "it is empty", "it is empty"),
        "key": (pki.rsa2048.key, "it holds no PEM certificate", "it holds no PEM CRL"),
        "other-kind": (pki.crl, "it holds a CRL, no certificate", "it holds a certificate, no CRL"),
    }


@pytest.mark.parametrize(
    "case", ["missing", "directory", "dangling-link", "garbage", "empty", "key", "other-kind"]
)
def test_unloadable_trust_file_stops_before_any_verification(
    case: str, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """One clear error naming the file and the cause, raised before the document is read;
    never a warning followed by an "untrusted" verdict, never a CRL silently left out."""
    path, certificate_reason, crl_reason = _unloadable_trust_files(pki, tmp_path)[case]
    other_kind = case == "other-kind"
    certificate_file = path if not other_kind else pki.crl
    crl_file = path if not other_kind else pki.root.cert
    expected = {
        "trusted": f"trusted certificate file '{certificate_file}' not loaded: {certificate_reason}",
        "untrusted": (
            f"untrusted certificate file '{certificate_file}' not loaded: "
            + ("it holds no PEM certificate" if other_kind else certificate_reason)
        ),
        "crls": f"CRL file '{crl_file}' not loaded: {crl_reason}",
    }
    arguments: dict[str, object] = {
        "trusted": certificate_file,
        "untrusted": [pki.rsa2048.chain, certificate_file],
        "crls": [crl_file],
    }
    missing_document = tmp_path / "missing.dcm"
    calls: list[Callable[[dict[str, object]], object]] = [
        lambda kw: dicomsign.verify(missing_document, **kw),  # type: ignore[arg-type]
        lambda kw: dicomsign.verify(dicom_corpus["explicit_le"], **kw),  # type: ignore[arg-type]
        lambda kw: Verifier(**kw),  # type: ignore[arg-type]
    ]
    for argument, value in arguments.items():
        for call in calls:
            with pytest.raises(TrustFileError) as err:
                call({argument: value})
            assert err.value.message == expected[argument]
            assert err.value.path == str(value[-1] if isinstance(value, list) else value)
            assert err.value.exit_code == ExitCode.CANNOT_READ_INPUT_FILE
            assert isinstance(err.value, InputFileError)


def test_errors_are_typed_with_dcmtk_exit_codes(
    signer: dicomsign.SoftwareSigner, tmp_path: Path, dicom_corpus: dict[str, Path], pki: PKI
) -> None:
    with pytest.raises(InputFileError) as err:
        dicomsign.verify(tmp_path / "missing.dcm")
    assert err.value.exit_code == ExitCode.CANNOT_READ_INPUT_FILE
    (tmp_path / "garbage.dcm").write_bytes(b"not dicom at all")
    with pytest.raises(InputFileError):
        dicomsign.verify(tmp_path / "garbage.dcm")
    with pytest.raises(InputFileError):
        dicomsign.verify(b"")
    with pytest.raises(SignatureCreationError, match="should be signed but is not present"):
        dicomsign.sign(dicom_corpus["explicit_le"], signer, tags=[0x00109999])
    with pytest.raises(SignatureNotFoundError) as not_found:
        dicomsign.remove(dicom_corpus["explicit_le"], "1.2.3")
    assert not_found.value.exit_code == 84
    mismatch = dicomsign.SoftwareSigner(pki.rsa3072.private_key, pki.rsa2048.certificate)
    with pytest.raises(SignatureCreationError, match="do not match"):
        dicomsign.sign(dicom_corpus["explicit_le"], mismatch)
    with pytest.raises(TypeError):
        dicomsign.verify(12345)


def _unusable_paths(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Paths that cannot be read or written, with the operating system's reason."""
    folder = tmp_path / "folder.dcm"
    folder.mkdir()
    dangling = tmp_path / "dangling.dcm"
    dangling.symlink_to(tmp_path / "no-folder" / "x.dcm")
    return {
        "directory": (folder, "Is a directory"),
        "missing-folder": (tmp_path / "no-folder" / "x.dcm", "No such file or directory"),
        "dangling-link": (dangling, "No such file or directory"),
    }


@pytest.mark.parametrize("where", ["directory", "missing-folder", "dangling-link"])
def test_unwritable_output_raises_output_file_error(
    where: str, signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """The output file as given and the reason in words, never a temporary file or Rust's
    "(os error 2)"; nothing is left behind."""
    target, reason = _unusable_paths(tmp_path)[where]
    source = dicom_corpus["explicit_le"]
    signed = dicomsign.sign(source, signer).document
    attempts = [
        lambda: dicomsign.sign(source, signer, output=target),
        lambda: dicomsign.sign(source, signer, output=str(target), old_format=True),
        lambda: dicomsign.sign(
            source, signer, output=target, location="ReferencedImageSequence[0]"
        ),
        lambda: dicomsign.remove(signed, output=target),
    ]
    for attempt in attempts:
        with pytest.raises(OutputFileError) as err:
            attempt()
        assert err.value.message == f"{reason}: writing file: {target}"
        assert err.value.exit_code == ExitCode.CANNOT_WRITE_OUTPUT_FILE
    with pytest.raises(SupportFileError) as dump_err:
        dicomsign.sign(source, signer, dump=target)
    assert dump_err.value.message == f"unable to create dump file '{target}': {reason}"
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".dicomsign-")]
    assert leftovers == []


@pytest.mark.parametrize("where", ["directory", "missing-folder", "dangling-link"])
def test_unreadable_input_names_the_file_and_the_reason(
    where: str, signer: dicomsign.SoftwareSigner, tmp_path: Path
) -> None:
    source, reason = _unusable_paths(tmp_path)[where]
    for attempt in (
        lambda: dicomsign.verify(source),
        lambda: dicomsign.sign(source, signer),
        lambda: dicomsign.remove(str(source)),
    ):
        with pytest.raises(InputFileError) as err:
            attempt()
        assert err.value.message == f"{reason}: reading file: {source}"


def test_outputs_are_written_through_symbolic_links(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """As DCMTK opens them: the links stay links, their targets get the content."""
    out, dump = tmp_path / "out.dcm", tmp_path / "dump.bin"
    out.symlink_to("target.dcm")
    dump.symlink_to(tmp_path / "dump-target.bin")
    dicomsign.sign(dicom_corpus["explicit_le"], signer, output=out, dump=dump)
    assert out.is_symlink() and dump.is_symlink()
    assert dicomsign.verify(tmp_path / "target.dcm").signatures
    assert (tmp_path / "dump-target.bin").stat().st_size > 0


def test_dump_and_output_are_atomic(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out, dump = tmp_path / "out.dcm", tmp_path / "stream.bin"
    result = dicomsign.sign(dicom_corpus["deflated"], signer, output=out, dump=dump)
    assert out.exists() and dump.stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.dcm", "stream.bin"]
    assert result.signature.mac_transfer_syntax == "1.2.840.10008.1.2.1.99"


@pytest.mark.parametrize("syntax", ["little", "big", "implicit"])
def test_output_transfer_syntax(
    syntax: str,
    signer: dicomsign.SoftwareSigner,
    trust: dict[str, list[Path]],
    dicom_corpus: dict[str, Path],
) -> None:
    result = dicomsign.sign(
        dicom_corpus["explicit_le"], signer, transfer_syntax=syntax, explicit_lengths=False
    )  # type: ignore[arg-type]
    ds = pydicom.dcmread(io.BytesIO(result.document))
    expected = {
        "little": "1.2.840.10008.1.2.1",
        "big": "1.2.840.10008.1.2.2",
        "implicit": "1.2.840.10008.1.2",
    }
    assert ds.file_meta.TransferSyntaxUID == expected[syntax]
    assert dicomsign.verify(result.document, **trust).ok


def test_hasher_matches_hashlib() -> None:
    import hashlib

    from dicomsign import _core

    data = bytes(range(256)) * 100
    for name, algorithm in (
        ("SHA256", "sha256"),
        ("SHA1", "sha1"),
        ("MD5", "md5"),
        ("SHA512", "sha512"),
    ):
        h = _core.Hasher(name)
        h.update(data[:1000])
        h.update(data[1000:])
        assert h.finalize() == hashlib.new(algorithm, data).digest()
    with pytest.raises(ValueError):
        _core.Hasher("SHA3")


def test_the_archive_engine_releases_the_gil_and_agrees_with_documents(
    signer: dicomsign.SoftwareSigner, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    import concurrent.futures

    from dicomsign import _core
    from dicomsign.engine import ensure_dictionary

    paths = []
    for i, name in enumerate(("explicit_le", "implicit_le", "explicit_be", "rle_lossless")):
        out = tmp_path / f"{i}.dcm"
        dicomsign.sign(dicom_corpus[name], signer, output=out)
        paths.append(str(out))
    ensure_dictionary()
    engine = _core.ArchiveEngine()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(engine.check, paths * 4))
    pooled = _core.ArchiveEngine(jobs=3)
    pooled.submit(paths * 4)
    taken: list[_core.FileCheck] = []
    while pooled.pending:
        taken.extend(pooled.take(10.0))
    pooled.close()
    assert sorted(c.path for c in taken) == sorted(paths * 4)
    taken.sort(key=lambda c: c.path)
    found.sort(key=lambda c: c.path)
    for path, check, other in zip(sorted(paths * 4), found, taken, strict=True):
        assert check.path == other.path == path and check.size == Path(path).stat().st_size
        assert check.problem is None and check.error is None and check.dicm
        assert not check.surely_valid  # no anchors: never sure of a chain
        checks = check.checks
        assert checks is not None and other.checks is not None
        assert [c.digest for c in other.checks.checks] == [c.digest for c in checks.checks]
        expected = _core.Document.open(path).check_signatures().checks
        assert checks.skipped == [] and len(checks.checks) == 1
        check = checks.checks[0]
        assert check.digest is not None and check.digest == expected[0].digest
        assert check.outcome is dicomsign.vocabulary.Outcome.VALID
