"""The public functions: sign, verify and remove signatures of files, bytes and Datasets.

Every function reads its input with the engine (DCMTK's model, large values left on disk),
never modifies it, and returns typed results. Outputs are written atomically.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeGuard, TypeVar, overload

from . import _core
from .engine import ensure_dictionary
from .exceptions import DicomFormatError, InputFileError, OutputFileError, os_reason
from .pki.names import name_oneline
from .purposes import SignaturePurpose
from .removal import RemovedSignature, remove_all, remove_by_uid
from .results import SignatureInfo, TimestampInfo, VerificationReport
from .signers import Password, Signer, SoftwareSigner
from .signing import OutputRequest, sign_document
from .verification import evaluate
from .vocabulary import (
    MacAlgorithm,
    Profile,
    ReadMode,
    TimestampPolicy,
    ValidationTime,
    ValueRule,
    VerificationPolicy,
    WriteTransferSyntax,
)

if TYPE_CHECKING:
    from pydicom import Dataset

    from .pki import TrustStore
    from .pki.ocsp import OcspChecker
    from .pki.store import CertificateSource, CrlSource
    from .tsp.client import Timestamper
    from .tsp.insert import StampedSignature
    from .vocabulary import OcspMode

__all__ = [
    "RemoveResult",
    "SignResult",
    "Source",
    "load_signer",
    "open_document",
    "remove",
    "sign",
    "timestamp",
    "verify",
]

#: What the functions accept: a path, the bytes of a file, or a pydicom Dataset.
Source = "str | os.PathLike[str] | bytes | bytearray | memoryview | Dataset"
PathLike = str | os.PathLike[str]
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class SignResult(Generic[T_co]):
    """What :func:`sign` made.

    Attributes
    ----------
    signature : SignatureInfo
        The new signature.
    document : Path, bytes or Dataset
        The signed document: the output path when one was given, else the same kind as the
        input (bytes for a path or bytes, a new Dataset for a Dataset).
    timestamp : TimestampInfo or None
        The certified timestamp added (``timestamper``), else None.
    timestamp_error : str or None
        Why no timestamp was added although asked for (``timestamp_required=False``).
    """

    signature: SignatureInfo
    document: T_co
    timestamp: TimestampInfo | None = None
    timestamp_error: str | None = None


@dataclass(frozen=True)
class TimestampResult(Generic[T_co]):
    """What :func:`timestamp` added, and the document with the tokens."""

    added: tuple[StampedSignature, ...]
    document: T_co


@dataclass(frozen=True)
class RemoveResult(Generic[T_co]):
    """What :func:`remove` removed, and the document without those signatures."""

    removed: tuple[RemovedSignature, ...]
    document: T_co


def _is_dataset(source: object) -> TypeGuard[Dataset]:
    try:
        from pydicom import Dataset
    except ImportError:  # pragma: no cover - pydicom is a dependency
        return False
    return isinstance(source, Dataset)


def _dataset_bytes(ds: Dataset) -> bytes:
    """Serialize a Dataset for the engine: as a file when its meta information allows,
    else as a bare dataset in its transfer syntax (explicit VR little endian by default)."""
    from pydicom import dcmwrite
    from pydicom.uid import UID

    buf = io.BytesIO()
    meta = getattr(ds, "file_meta", None)
    syntax = (
        UID(meta.TransferSyntaxUID) if meta is not None and "TransferSyntaxUID" in meta else None
    )
    try:
        dcmwrite(buf, ds, enforce_file_format=True)
        return buf.getvalue()
    except (AttributeError, ValueError):
        buf = io.BytesIO()
    implicit = bool(syntax is not None and syntax.is_implicit_VR)
    little = bool(syntax is None or syntax.is_little_endian)
    bare = ds.copy()
    if hasattr(bare, "file_meta"):
        del bare.file_meta
    dcmwrite(buf, bare, implicit_vr=implicit, little_endian=little)
    return buf.getvalue()


def open_document(
    source: object,
    *,
    read_mode: ReadMode | str = ReadMode.AUTO,
    convert_un: bool = False,
) -> _core.Document:
    """Read a path, bytes or a pydicom Dataset with the engine.

    ``read_mode`` is a :class:`~dicomsign.vocabulary.ReadMode` (or its value): a file or a
    bare dataset (``"auto"``), a file only, or a bare dataset only.

    Raises
    ------
    InputFileError
        The file cannot be read (missing, a directory, not DICOM, truncated...): exit code 20.
    """
    ensure_dictionary()
    mode = ReadMode(read_mode)
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            return _core.Document.from_bytes(bytes(source), mode=mode, convert_un=convert_un)
        if _is_dataset(source):
            return _core.Document.from_bytes(
                _dataset_bytes(source), mode=mode, convert_un=convert_un
            )
        if isinstance(source, (str, os.PathLike)):
            return _core.Document.open(os.fspath(source), mode=mode, convert_un=convert_un)
    except DicomFormatError as exc:
        message = f"{exc.message}: reading file: {_name(source)}"
        raise DicomFormatError(message, exc.log, exc.kind) from None
    except OSError as exc:
        name = _name(source)
        raise InputFileError(f"{os_reason(exc, name)}: reading file: {name}") from None
    raise TypeError(f"cannot read a DICOM document from {type(source).__name__}")


def _name(source: object) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "<memory>"


@contextmanager
def _writing(output: PathLike | None) -> Iterator[None]:
    """Turns the operating system's error writing ``output`` into :class:`OutputFileError`,
    naming the file as given (as ``dcmsign`` does: ``Is a directory: writing file: out``)."""
    try:
        yield
    except OSError as exc:
        if output is None:
            raise
        name = os.fspath(output)
        raise OutputFileError(f"{os_reason(exc)}: writing file: {name}") from None


def _deliver(
    doc: _core.Document,
    source: object,
    output: PathLike | None,
    *,
    rule: ValueRule,
    syntax: WriteTransferSyntax,
    explicit_lengths: bool,
) -> Path | bytes | Dataset:
    """The document written to ``output`` (atomically), else as bytes, or as a new Dataset for
    a Dataset source."""
    if output is not None:
        with _writing(output):
            doc.write(
                os.fspath(output), syntax=syntax, explicit_lengths=explicit_lengths, rule=rule
            )
        return Path(output)
    data = doc.to_bytes(syntax=syntax, explicit_lengths=explicit_lengths, rule=rule)
    if _is_dataset(source):
        from pydicom import dcmread

        return dcmread(io.BytesIO(data))
    return data


def load_signer(
    key: PathLike,
    certificate: PathLike,
    *,
    password: str | None = None,
    der: bool = False,
) -> SoftwareSigner:
    """Load a private key and its certificate from files (PEM by default).

    Parameters
    ----------
    key, certificate : path
        The private key (traditional or PKCS#8, possibly encrypted) and the certificate.
    password : str, optional
        The key's password; when None and the key is encrypted, it is asked for on the terminal.
    der : bool
        Read DER instead of PEM.
    """
    pw = Password.prompt() if password is None else Password.given(password)
    return SoftwareSigner.from_files(key, certificate, der=der, password=pw)


def _container(
    doc: _core.Document, location: str | Sequence[tuple[str | int, int]] | None
) -> list[tuple[int, int]]:
    if location is None:
        return []
    from .location import resolve_location, resolve_path

    if isinstance(location, str):
        return resolve_location(doc, location)
    return resolve_path(doc, location)


def _tags(tags: Iterable[int | str] | None) -> list[int] | None:
    if tags is None:
        return None
    from .tags import tag_for_keyword

    out: list[int] = []
    for t in tags:
        if isinstance(t, str):
            tag = tag_for_keyword(t)
            if tag is None:
                raise ValueError(f"unknown attribute tag '{t}'")
            out.append(tag)
        else:
            out.append(int(t))
    return out


@overload
def sign(
    source: Dataset,
    signer: Signer,
    *,
    output: None = None,
    location: str | Sequence[tuple[str | int, int]] | None = None,
    tags: Iterable[int | str] | None = None,
    algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
    purpose: SignaturePurpose | int | None = None,
    profile: Profile | str = Profile.NONE,
    old_format: bool = False,
    dump: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
    timestamper: Timestamper | None = None,
    timestamp_required: bool = True,
) -> SignResult[Dataset]: ...
@overload
def sign(
    source: PathLike | bytes | bytearray | memoryview,
    signer: Signer,
    *,
    output: None = None,
    location: str | Sequence[tuple[str | int, int]] | None = None,
    tags: Iterable[int | str] | None = None,
    algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
    purpose: SignaturePurpose | int | None = None,
    profile: Profile | str = Profile.NONE,
    old_format: bool = False,
    dump: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
    timestamper: Timestamper | None = None,
    timestamp_required: bool = True,
) -> SignResult[bytes]: ...
@overload
def sign(
    source: object,
    signer: Signer,
    *,
    output: PathLike,
    location: str | Sequence[tuple[str | int, int]] | None = None,
    tags: Iterable[int | str] | None = None,
    algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
    purpose: SignaturePurpose | int | None = None,
    profile: Profile | str = Profile.NONE,
    old_format: bool = False,
    dump: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
    timestamper: Timestamper | None = None,
    timestamp_required: bool = True,
) -> SignResult[Path]: ...
def sign(
    source: object,
    signer: Signer,
    *,
    output: PathLike | None = None,
    location: str | Sequence[tuple[str | int, int]] | None = None,
    tags: Iterable[int | str] | None = None,
    algorithm: MacAlgorithm | str = MacAlgorithm.SHA256,
    purpose: SignaturePurpose | int | None = None,
    profile: Profile | str = Profile.NONE,
    old_format: bool = False,
    dump: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
    timestamper: Timestamper | None = None,
    timestamp_required: bool = True,
) -> SignResult[Path | bytes | Dataset]:
    """Add a digital signature to a DICOM document.

    Parameters
    ----------
    source : path, bytes or pydicom.Dataset
        The document to sign; it is never modified.
    signer : Signer
        The key and certificate, e.g. from :func:`load_signer`.
    output : path, optional
        Write the signed file here (atomically). Without it the signed document is returned
        as bytes, or as a new Dataset when ``source`` is a Dataset.
    location : str or sequence of (keyword or tag, index), optional
        Sign an item instead of the main dataset: ``"ReferencedImageSequence[0]"`` or
        ``[("ReferencedImageSequence", 0)]``.
    tags : iterable of int or keyword, optional
        Sign only these top-level attributes; all signable ones by default.
    algorithm : MacAlgorithm or str
        MAC algorithm: ``SHA256`` (default), ``SHA384``, ``SHA512``, ``RIPEMD160``, ``SHA1``
        or ``MD5``.
    purpose : SignaturePurpose or int, optional
        Digital Signature Purpose code (1..18).
    profile : Profile or str
        Enforce a signature profile: ``"base-rsa"``, ``"creator-rsa"``,
        ``"authorization-rsa"``, ``"sr-rsa"`` or ``"sr-rsa-verification"``.
    old_format : bool
        DCMTK's pre-3.5.4 format for encapsulated pixel data.
    dump : path, optional
        Also write the exact byte stream fed into the MAC.
    transfer_syntax : WriteTransferSyntax or str
        The output transfer syntax: ``"same"`` (default), ``"little"``, ``"big"`` or
        ``"implicit"``.
    explicit_lengths : bool
        Write sequences and items with explicit lengths (default) or undefined lengths.
    timestamper : Timestamper, optional
        Add a certified timestamp (RFC 3161) of the new signature, e.g. an
        :class:`~dicomsign.tsp.client.HttpTimestamper`; obtained after the signature is
        computed and before the output is written (once, atomically, with the token).
    timestamp_required : bool
        Without an acceptable timestamp, fail (default: nothing is written) or, when False,
        sign without one (``SignResult.timestamp_error`` says why).

    Returns
    -------
    SignResult
        The signature, the signed document, and the timestamp added.

    Raises
    ------
    InputFileError, SignatureCreationError, OutputFileError, SupportFileError
        Each with its DCMTK exit code and message. ``OutputFileError`` (exit code 40) when
        ``output`` cannot be written (a directory, a missing folder...): its message names
        ``output`` and the operating system's reason, ``Is a directory: writing file: out``;
        ``SupportFileError`` (exit code 46) likewise for ``dump``.
    TimestampError
        No acceptable timestamp and ``timestamp_required``: every TSA asked and its cause
        (:class:`~dicomsign.tsp.client.TimestampUnavailable`, exit code 82).
    """
    doc = open_document(source)
    direct = output is not None and timestamper is None
    path = _container(doc, location)
    syntax = WriteTransferSyntax(transfer_syntax)
    with _writing(output):
        created = sign_document(
            doc,
            signer,
            container=path,
            location=location if isinstance(location, str) else None,
            tags=_tags(tags),
            algorithm=MacAlgorithm(algorithm),
            purpose=SignaturePurpose(purpose) if purpose is not None else None,
            profile=Profile(profile),
            old_format=old_format,
            dump=os.fspath(dump) if dump is not None else None,
            output=(
                OutputRequest(output, syntax, explicit_lengths)
                if direct and output is not None
                else None
            ),
        )
    stamped, stamp_error = None, None
    if timestamper is not None:
        from .exceptions import TimestampError
        from .tsp.insert import find_signature, stamp_signature

        new = find_signature(doc, created.uid)
        assert new is not None
        try:
            stamped = stamp_signature(doc, new, timestamper).timestamp
        except TimestampError as exc:
            if timestamp_required:
                raise
            stamp_error = exc.message
    info = SignatureInfo(
        number=0,
        uid=created.uid,
        location=_core.location_string(created.container),
        container=tuple(created.container),
        mac_id=created.mac_id,
        mac_algorithm=created.algorithm,
        mac_transfer_syntax=created.transfer_syntax,
        signed_tags=created.signed_tags,
        datetime=created.datetime,
        purpose=created.purpose.code_value if created.purpose is not None else None,
        signer=name_oneline(signer.certificate.subject),
        certificate=signer.certificate,
        has_timestamp=stamped is not None,
        timestamp=stamped,
    )
    if output is not None and direct:
        return SignResult(info, Path(output))
    document = _deliver(
        doc,
        source,
        output,
        rule=ValueRule.DCMTK_3_7,
        syntax=syntax,
        explicit_lengths=explicit_lengths,
    )
    return SignResult(info, document, stamped, stamp_error)


def verify(
    source: object,
    *,
    trusted: CertificateSource | Iterable[CertificateSource] | None = None,
    untrusted: CertificateSource | Iterable[CertificateSource] | None = None,
    crls: CrlSource | Iterable[CrlSource] | None = None,
    crl_check: bool = False,
    trust: TrustStore | None = None,
    policy: VerificationPolicy | str = VerificationPolicy.IF_PRESENT,
    timestamps: TimestampPolicy | str = TimestampPolicy.VERIFY,
    old_format: bool = False,
    read_mode: ReadMode | str = ReadMode.AUTO,
    ocsp: OcspMode | str | OcspChecker = "off",
    ocsp_url: str | None = None,
    ocsp_timeout: float | None = None,
    validation_time: ValidationTime | str | datetime = ValidationTime.NOW,
) -> VerificationReport:
    """Verify every digital signature of a DICOM document.

    Parameters
    ----------
    source : path, bytes or pydicom.Dataset
        The document.
    trusted : path or Certificate, or an iterable of them
        Trust anchors (self-signed roots), like ``dcmsign +cf``: one PEM file (``str`` or
        ``os.PathLike``) or ``cryptography`` certificate, or several.
    untrusted : path or Certificate, or an iterable of them
        Intermediate certificates, like ``+uf``.
    crls : path or CertificateRevocationList, or an iterable of them
        CRLs (turn on the CRL check of the signer certificate), like ``+cr``.
    crl_check : bool
        Check the signer certificate against a CRL of its issuer (``+cl``).
    trust : TrustStore, optional
        A prepared trust store (the other trust arguments are added to it).
    policy : VerificationPolicy or str
        ``"if-present"`` (default), ``"require"``, ``"creator"``, ``"authorization"``, ``"sr"``.
    timestamps : TimestampPolicy or str
        ``"verify"`` (default), ``"ignore"`` or ``"require"``.
    old_format : bool
        Verify with DCMTK's pre-3.5.4 encapsulated pixel data format.
    read_mode : ReadMode or str
        The input format: ``"auto"`` (default), ``"file"`` or ``"dataset"``.
    ocsp : OcspMode, str or OcspChecker
        Check the signer certificate of each signature that passed with its OCSP responder:
        ``"off"`` (default: nothing is fetched), ``"soft-fail"`` (only a revoked certificate
        fails), ``"hard-fail"`` (a status that cannot be had fails too), ``"require"`` (also a
        certificate that names no responder fails); see :mod:`dicomsign.pki.ocsp`. A
        prepared :class:`~dicomsign.pki.ocsp.OcspChecker` shares its answers between calls.
        The outcome is in each signature's ``revocation``; a failure gives the status
        ``revoked`` or ``revocation-unknown``.
    ocsp_url : str, optional
        Ask this responder instead of the one the certificate names (AIA).
    ocsp_timeout : float, optional
        Seconds to wait for the responder (default 10).
    validation_time : ValidationTime, str or datetime
        When the signer's certificate chain is judged: ``"now"`` (default, as DCMTK),
        ``"claimed"`` (the signing time the signature states), ``"timestamp"`` (the genTime
        of its verified certified timestamp, else now), or this time. A signature valid only
        thanks to its timestamp (the certificate expired, or was revoked but not for a key
        compromise, after genTime) has the status ``valid-by-timestamp``.

    Returns
    -------
    VerificationReport
        Every signature with its status, and DCMTK's exit code for the outcome;
        ``report.raise_for_status()`` raises the matching exception.

    Raises
    ------
    TrustFileError
        A trust file or CRL file cannot be loaded (missing, a directory, no certificate or
        no CRL in it): the message names the file and the reason, e.g. ``CRL file 'ca.crl'
        not loaded: No such file or directory`` (exit code 20). Raised before the document
        is read; unlike ``dcmsign``, nothing is skipped with a warning.
    InputFileError
        The document cannot be read (exit code 20).
    TypeError
        A trust argument is neither a path, nor the right object, nor an iterable of them.
    ValueError
        An unknown OCSP mode, or ``ocsp_url``/``ocsp_timeout`` with OCSP off.
    """
    from .pki import TrustStore

    checker = None
    if ocsp != "off" or ocsp_url is not None or ocsp_timeout is not None:
        from .pki.ocsp import ocsp_checker

        checker = ocsp_checker(ocsp, url=ocsp_url, timeout=ocsp_timeout)
    store = trust if trust is not None else TrustStore()
    store.add_sources(trusted=trusted, untrusted=untrusted, crls=crls)
    if crl_check:
        store.crl_check = True
    doc = open_document(source, read_mode=read_mode)
    checks = doc.check_signatures(old_format=old_format)
    pol = VerificationPolicy(policy)
    profile_check = None
    if pol not in (VerificationPolicy.IF_PRESENT, VerificationPolicy.REQUIRE):
        from .profiles import verification_check

        profile_check = verification_check(doc, pol)
    outcome = evaluate(
        checks.checks,
        trust=store,
        policy=pol,
        timestamps=TimestampPolicy(timestamps),
        profile_check=profile_check,
        skipped=len(checks.skipped),
        ocsp=checker,
        validation_time=validation_time,
    )
    return outcome.report


def remove(
    source: object,
    uid: str | None = None,
    *,
    output: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
) -> RemoveResult[Path | bytes | Dataset]:
    """Remove one signature (by its UID) or all signatures of a DICOM document.

    Parameters
    ----------
    source : path, bytes or pydicom.Dataset
        The document; it is never modified.
    uid : str, optional
        The Digital Signature UID to remove; every signature when None.
    output : path, optional
        Where to write the result; else it is returned as bytes (or a Dataset).

    Raises
    ------
    InputFileError
        The document cannot be read (exit code 20).
    SignatureNotFoundError
        No signature has this UID (exit code 84).
    OutputFileError
        ``output`` cannot be written (exit code 40), with the operating system's reason.
    """
    doc = open_document(source)
    removed = tuple([remove_by_uid(doc, uid)] if uid is not None else remove_all(doc))
    document = _deliver(
        doc,
        source,
        output,
        rule=ValueRule.DCMTK_3_6,
        syntax=WriteTransferSyntax(transfer_syntax),
        explicit_lengths=explicit_lengths,
    )
    return RemoveResult(removed, document)


def timestamp(
    source: object,
    timestamper: Timestamper,
    *,
    output: PathLike | None = None,
    transfer_syntax: WriteTransferSyntax | str = WriteTransferSyntax.SAME,
    explicit_lengths: bool = True,
) -> TimestampResult[Path | bytes | Dataset]:
    """Add a certified timestamp (RFC 3161) to every signature of a document that has none.

    Archives use it to timestamp old signatures before their certificates expire: a
    signature with a verified timestamp stays valid after its certificate expired, or was
    revoked (not for a key compromise), after the timestamp's genTime. The signatures are not
    verified here; the values are written as they were read (the signatures stay valid).

    Parameters
    ----------
    source : path, bytes or pydicom.Dataset
        The document; it is never modified.
    timestamper : Timestamper
        Obtains each token, e.g. an :class:`~dicomsign.tsp.client.HttpTimestamper`.
    output : path, optional
        Where to write the result (atomically, once every token was obtained); else it is
        returned as bytes (or a Dataset).

    Returns
    -------
    TimestampResult
        The signatures that received a token, in DCMTK's order, and the document.

    Raises
    ------
    InputFileError
        The document cannot be read (exit code 20).
    TimestampError
        A signature could not be timestamped (nothing is written).
    OutputFileError
        ``output`` cannot be written (exit code 40).
    """
    from .tsp.insert import stamp_signature, unstamped_signatures

    doc = open_document(source)
    added = tuple(stamp_signature(doc, sig, timestamper) for sig in unstamped_signatures(doc))
    document = _deliver(
        doc,
        source,
        output,
        rule=ValueRule.DCMTK_3_6,
        syntax=WriteTransferSyntax(transfer_syntax),
        explicit_lengths=explicit_lengths,
    )
    return TimestampResult(added, document)
