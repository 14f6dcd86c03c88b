"""The seam of revocation checking: what the chain verifier asks of a revocation checker.

A checker gets the chain as built (leaf first, trust anchor last) and the verification time;
it passes, or raises :class:`~dicomsign.pki.verify_errors.ChainFailure` with OpenSSL's error
code and the depth of the certificate it judged (``X509_V_ERR_CERT_REVOKED``,
``X509_V_ERR_UNABLE_TO_GET_CRL``...). :class:`~dicomsign.pki.crl.CrlChecker` is the checker of
DCMTK's options (CRLs from files and hashed directories, the leaf only);
:class:`~dicomsign.pki.ocsp.OcspChecker` implements the same protocol (the leaf, asked live),
though verification runs it after the chain, to keep the reason and time of a revocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .chain import ChainCertificate

__all__ = ["RevocationChecker"]


class RevocationChecker(Protocol):
    """Checks a built certificate chain for revocation (OpenSSL's ``check_revocation``)."""

    def check(self, chain: Sequence[ChainCertificate], now: int) -> None:
        """Pass, or raise the first revocation failure.

        Parameters
        ----------
        chain : sequence of ChainCertificate
            The chain, leaf first.
        now : int
            The verification time, Unix seconds.

        Raises
        ------
        ChainFailure
            OpenSSL's error code and the depth of the failing certificate.
        """
        ...
