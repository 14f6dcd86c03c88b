"""dicomsign: DICOM digital signatures (PS3.15 Annex C), byte-compatible with DCMTK's dcmsign.

The public API::

    import dicomsign

    signer = dicomsign.load_signer("key.pem", "cert.pem")
    result = dicomsign.sign("in.dcm", signer, output="signed.dcm")
    report = dicomsign.verify("signed.dcm", trusted=["root.pem"])
    report.raise_for_status()
    for result in dicomsign.verify_many(["/archive"], trusted="root.pem", jobs=8):
        print(result.path, result.status, result.reason)
    dicomsign.remove("signed.dcm", result.signature.uid, output="unsigned.dcm")

Names are imported on first use, so that the command-line tools start fast.
"""

from __future__ import annotations

from ._core import __version__

# ``typing`` is not imported at run time: it costs milliseconds of every command's start.
# Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .api import (
        RemoveResult,
        SignResult,
        TimestampResult,
        load_signer,
        open_document,
        remove,
        sign,
        timestamp,
        verify,
    )
    from .archive import FileResult, verify_many
    from .archive.cluster import verify_on_cluster
    from .exceptions import (
        DicomSignError,
        InputFileError,
        InvalidSignature,
        NoSignaturesError,
        OutputFileError,
        PolicyError,
        SignatureCreationError,
        SignatureNotFoundError,
        TimestampError,
        TokenError,
        TrustFileError,
    )
    from .exitcodes import ExitCode
    from .pki.ocsp import OcspChecker
    from .policy import Policy, SigningPolicyError, load_policy
    from .purposes import SignaturePurpose
    from .removal import RemovedSignature
    from .results import (
        RevocationInfo,
        RevocationState,
        SignatureInfo,
        SignatureStatus,
        TimestampInfo,
        TimestampStatus,
        VerificationReport,
    )
    from .signers import Pkcs12Signer, Signer, SoftwareSigner, load_pkcs12_signer
    from .tsp.client import HttpTimestamper, Timestamper, TimestampUnavailable
    from .vocabulary import (
        KeyType,
        MacAlgorithm,
        OcspMode,
        Profile,
        ReadMode,
        TimestampPolicy,
        ValidationTime,
        ValueRule,
        VerificationPolicy,
        WriteTransferSyntax,
    )

_EXPORTS = {
    "RemoveResult": "api",
    "SignResult": "api",
    "load_signer": "api",
    "open_document": "api",
    "remove": "api",
    "sign": "api",
    "timestamp": "api",
    "TimestampResult": "api",
    "verify": "api",
    "FileResult": "archive",
    "verify_many": "archive",
    "verify_on_cluster": "archive.cluster",
    "DicomSignError": "exceptions",
    "InputFileError": "exceptions",
    "InvalidSignature": "exceptions",
    "NoSignaturesError": "exceptions",
    "OutputFileError": "exceptions",
    "PolicyError": "exceptions",
    "SignatureCreationError": "exceptions",
    "SignatureNotFoundError": "exceptions",
    "TimestampError": "exceptions",
    "TokenError": "exceptions",
    "TrustFileError": "exceptions",
    "ExitCode": "exitcodes",
    "Pkcs12Signer": "signers",
    "Signer": "signers",
    "load_pkcs12_signer": "signers",
    "SoftwareSigner": "signers",
    "SignaturePurpose": "purposes",
    "RemovedSignature": "removal",
    "OcspChecker": "pki.ocsp",
    "Policy": "policy",
    "SigningPolicyError": "policy",
    "load_policy": "policy",
    "RevocationInfo": "results",
    "RevocationState": "results",
    "SignatureInfo": "results",
    "SignatureStatus": "results",
    "TimestampInfo": "results",
    "TimestampStatus": "results",
    "HttpTimestamper": "tsp.client",
    "Timestamper": "tsp.client",
    "TimestampUnavailable": "tsp.client",
    "VerificationReport": "results",
    "KeyType": "vocabulary",
    "MacAlgorithm": "vocabulary",
    "OcspMode": "vocabulary",
    "Profile": "vocabulary",
    "ReadMode": "vocabulary",
    "TimestampPolicy": "vocabulary",
    "ValidationTime": "vocabulary",
    "ValueRule": "vocabulary",
    "VerificationPolicy": "vocabulary",
    "WriteTransferSyntax": "vocabulary",
}

__all__ = [
    "DicomSignError",
    "ExitCode",
    "FileResult",
    "HttpTimestamper",
    "InputFileError",
    "InvalidSignature",
    "KeyType",
    "MacAlgorithm",
    "NoSignaturesError",
    "OcspChecker",
    "OcspMode",
    "OutputFileError",
    "Pkcs12Signer",
    "Policy",
    "PolicyError",
    "Profile",
    "ReadMode",
    "RemoveResult",
    "RemovedSignature",
    "RevocationInfo",
    "RevocationState",
    "SignResult",
    "SignatureCreationError",
    "SignatureInfo",
    "SignatureNotFoundError",
    "SignaturePurpose",
    "SignatureStatus",
    "Signer",
    "SigningPolicyError",
    "SoftwareSigner",
    "TimestampError",
    "TimestampInfo",
    "TimestampPolicy",
    "TimestampResult",
    "TimestampStatus",
    "TimestampUnavailable",
    "Timestamper",
    "TokenError",
    "TrustFileError",
    "ValidationTime",
    "ValueRule",
    "VerificationPolicy",
    "VerificationReport",
    "WriteTransferSyntax",
    "__version__",
    "load_pkcs12_signer",
    "load_policy",
    "load_signer",
    "open_document",
    "remove",
    "sign",
    "timestamp",
    "verify",
    "verify_many",
    "verify_on_cluster",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dicomsign' has no attribute {name!r}")
    from importlib import import_module  # on first use: milliseconds of every start-up

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
