"""Session fixture: a small archive with a file of every status (a pytest plugin module).

``archive`` is a directory tree of real files signed with the test PKI (``dicomsign.sign``),
one or more per status word, with the trust arguments that judge them; ``archive.expected``
maps each file (relative path) to the word :class:`dicomsign.archive.Verifier` must give it.
Tests copy the tree when they change it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk
from pki import PKI


@dataclass(frozen=True)
class Archive:
    root: Path
    trust: dict[str, list[Path]]
    expected: dict[str, str] = field(default_factory=dict)

    @property
    def cli_trust(self) -> list[str]:
        """The same trust as ``dicomsign verify`` options."""
        args = [f"--trusted={p}" for p in self.trust["trusted"]]
        args += [f"--untrusted={p}" for p in self.trust["untrusted"]]
        return args + [f"--crl={p}" for p in self.trust["crls"]]

    def copy(self, target: Path) -> Path:
        """A copy of the tree (``target`` must not exist)."""
        shutil.copytree(self.root, target, symlinks=True)
        return target


def _sign(pki: PKI, label: str, source: Path, output: Path) -> Path:
    identity = getattr(pki, label)
    dicomsign.sign(source, dicomsign.load_signer(identity.key, identity.cert), output=output)
    return output


@pytest.fixture(scope="session")
def archive(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Archive:
    base = tmp_path_factory.mktemp("archive-tree")
    root = base / "archive"
    (root / "study1" / "series1").mkdir(parents=True)
    (root / "study2").mkdir()
    (root / "misc").mkdir()
    work = base / "work"
    work.mkdir()
    source = dicom_corpus["explicit_le"]
    expected: dict[str, str] = {}

    def place(relative: str, word: str, path: Path | None = None) -> Path:
        target = root / relative
        if path is not None:
            shutil.copy(path, target)
        expected[relative] = word
        return target

    place("study1/series1/rsa.dcm", "verified", _sign(pki, "rsa2048", source, work / "a.dcm"))
    place("study1/series1/ec.dcm", "verified", _sign(pki, "ec256", source, work / "b.dcm"))
    two = _sign(pki, "ec256", work / "a.dcm", work / "two.dcm")
    place("study1/two-signatures.dcm", "verified", two)
    place("study1/unsigned.dcm", "unsigned", dicom_corpus["implicit_le"])
    place("study1/bare-dataset.dcm", "unsigned", dicom_corpus["no_meta_explicit_le"])
    tampered = place("study2/tampered.dcm", "signature-invalid", work / "a.dcm")
    done = dcmtk("dcmodify", "-nb", "-q", "-m", "(0010,0010)=Tampered^Name", tampered)
    assert done.returncode == 0, done.stderr
    place(
        "study2/self-signed.dcm",
        "certificate-untrusted",
        _sign(pki, "self_signed", source, work / "c.dcm"),
    )
    place(
        "study2/expired.dcm", "certificate-expired", _sign(pki, "expired", source, work / "d.dcm")
    )
    place(
        "study2/not-yet-valid.dcm",
        "certificate-expired",
        _sign(pki, "not_yet_valid", source, work / "e.dcm"),
    )
    place(
        "study2/revoked.dcm", "certificate-revoked", _sign(pki, "revoked", source, work / "f.dcm")
    )
    # Three signatures, valid, untrusted and expired: the worst is the expired certificate.
    mixed = _sign(pki, "self_signed", work / "a.dcm", work / "g.dcm")
    place("study2/mixed.dcm", "certificate-expired", _sign(pki, "expired", mixed, work / "h.dcm"))
    data = (work / "a.dcm").read_bytes()
    truncated = place("study2/truncated.dcm", "unreadable")
    truncated.write_bytes(data[: len(data) - 300])
    place("misc/notes.txt", "not-dicom").write_text("not a DICOM file\n")
    place("misc/empty.dcm", "not-dicom").write_bytes(b"")
    place("misc/random.bin", "not-dicom").write_bytes(os.urandom(3000))
    trust = {
        "trusted": [pki.root.cert],
        "untrusted": [pki.rsa2048.chain],
        "crls": [pki.crl],
    }
    return Archive(root, trust, expected)


@pytest.fixture(scope="session")
def large_signed(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A signed file with 96 MiB of pixel data, all of it signed: verifying it hashes it all
    (a good part of a second), while the small files of ``archive`` take milliseconds."""
    from corpus import element, file_meta

    base = tmp_path_factory.mktemp("large-signed")
    sop_class, sop_instance = "1.2.840.10008.5.1.4.1.1.7", "1.2.826.0.1.3680043.10.1.96"
    body = b"".join(
        [
            element(0x0008, 0x0016, "UI", sop_class.encode() + b"\0"),
            element(0x0008, 0x0018, "UI", sop_instance.encode()),
            element(0x0010, 0x0010, "PN", b"Large^File"),
            element(0x7FE0, 0x0010, "OW", bytes(range(256)) * (96 << 12)),
        ]
    )
    source = base / "unsigned.dcm"
    source.write_bytes(file_meta(sop_class, sop_instance, "1.2.840.10008.1.2.1") + body)
    return _sign(pki, "rsa2048", source, base / "large.dcm")
