"""Verification of many files (dicomsign.archive): the same outcome per file as
``dicomsign.verify``, whether a chain is settled by the engine's quick check or by the
complete emulation."""

from __future__ import annotations

from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk
from dicomsign.archive import Verifier
from pki import PKI


@pytest.fixture(scope="module")
def signed_files(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> list[Path]:
    directory = tmp_path_factory.mktemp("archive")
    files = []
    for label in ("rsa2048", "ec256", "dsa2048", "expired", "revoked", "self_signed"):
        identity = getattr(pki, label)
        out = directory / f"{label}.dcm"
        done = dcmtk("dcmsign", "+s", identity.key, identity.cert, dicom_corpus["explicit_le"], out)
        assert done.returncode == 0, done.stderr
        files.append(out)
    files.append(Path(dicom_corpus["implicit_le"]))
    files.append(directory / "missing.dcm")
    return files


def _outcome(report: dicomsign.VerificationReport) -> tuple[object, ...]:
    return (
        report.exit_code,
        report.error,
        tuple((s.uid, s.status, s.message, s.signer) for s in report.signatures),
    )


@pytest.mark.parametrize("with_crl", [False, True], ids=["quick-chains", "crl"])
def test_each_file_as_verify_judges_it(pki: PKI, signed_files: list[Path], with_crl: bool) -> None:
    trust = {
        "trusted": [pki.root.cert],
        "untrusted": [pki.rsa2048.chain],
        "crls": [pki.crl] if with_crl else [],
    }
    verifier = Verifier(**trust)  # type: ignore[arg-type]
    assert (verifier.anchors is None) == with_crl
    results = list(verifier.verify_all(signed_files))
    assert [r.path for r in results] == [str(p) for p in signed_files]
    for path, result in zip(signed_files, results, strict=True):
        if not path.exists():
            assert result.report is None and result.exit_code == 20
            assert result.error is not None and "reading file" in result.error.message
            continue
        assert result.report is not None
        expected = dicomsign.verify(path, **trust)  # type: ignore[arg-type]
        assert _outcome(result.report) == _outcome(expected), path.name
    codes = {p.stem: r.exit_code for p, r in zip(signed_files, results, strict=True)}
    assert codes["rsa2048"] == codes["ec256"] == codes["dsa2048"] == 0
    assert codes["expired"] == codes["self_signed"] == 101
    assert codes["revoked"] == (101 if with_crl else 0)


def test_trust_given_as_one_path_or_as_objects(pki: PKI, signed_files: list[Path]) -> None:
    """One path (never iterated as characters) or certificate objects (which take the complete
    chain check) judge every file as lists of paths do."""
    by_lists = Verifier(trusted=[pki.root.cert], untrusted=[pki.rsa2048.chain])
    by_one_path = Verifier(trusted=str(pki.root.cert), untrusted=pki.rsa2048.chain)
    by_objects = Verifier(trusted=pki.root.certificate, untrusted=[pki.intermediate.certificate])
    assert by_one_path.anchors is not None and by_objects.anchors is None
    for path in signed_files:
        expected = by_lists.verify(path)
        for verifier in (by_one_path, by_objects):
            result = verifier.verify(path)
            assert result.exit_code == expected.exit_code, path.name
            if expected.report is not None:
                assert result.report is not None
                assert _outcome(result.report) == _outcome(expected.report), path.name


def test_unreadable_file_error_names_the_reason_in_words(tmp_path: Path) -> None:
    folder = tmp_path / "folder.dcm"
    folder.mkdir()
    for path, reason in (
        (tmp_path / "missing.dcm", "No such file or directory"),
        (folder, "Is a directory"),
    ):
        result = Verifier().verify(path)
        assert result.error is not None and result.exit_code == 20
        assert result.error.message == f"{reason}: reading file: {path}"
