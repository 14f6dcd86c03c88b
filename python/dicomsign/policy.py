"""A signing and verification policy: what an organisation accepts beyond a valid signature.

``--policy strict`` is :data:`STRICT`; ``--policy FILE.toml`` reads a policy file:

.. code-block:: toml

    [policy]
    forbidden_mac_algorithms = ["MD5", "SHA1", "RIPEMD160"]
    min_rsa_bits = 2048
    min_dsa_bits = 2048
    min_ec_bits = 256
    require_timestamp = false
    require_profile = "creator-rsa"   # optional

The same rules apply to new signatures (a signature that would break one is not made: one line,
exit code :data:`POLICY_EXIT_CODE`, no output) and to verification (a signature that is valid
but breaks one is ``policy-violation``, a status of its own, distinct from a broken signature).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .exceptions import DicomSignError
from .exitcodes import ExitCode
from .vocabulary import MacAlgorithm, Profile

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["DEFAULT", "POLICY_EXIT_CODE", "STRICT", "Policy", "SigningPolicyError", "load_policy"]

#: The exit code of a signature a policy forbids (DCMTK's "signature verification policy").
POLICY_EXIT_CODE = int(ExitCode.SIGNATURE_VERIFICATION_POLICY)


class SigningPolicyError(DicomSignError):
    """A policy file cannot be read, or a new signature would break the policy (exit 102)."""

    exit_code = ExitCode.SIGNATURE_VERIFICATION_POLICY


@dataclass(frozen=True)
class Policy:
    """The rules (see the module). The default policy forbids nothing.

    Attributes
    ----------
    forbidden_mac_algorithms : frozenset of MacAlgorithm
        MAC algorithms a signature may not use.
    min_rsa_bits, min_dsa_bits, min_ec_bits : int
        The smallest keys accepted (0: any).
    require_timestamp : bool
        Every signature must carry a certified timestamp.
    require_profile : Profile or None
        New signatures are made under this profile (``dicomsign sign`` refuses another
        ``--profile``); verification does not check it (``dcmsign``'s ``+rc``, ``+ru`` and
        ``+rs`` do).
    name : str
        Where the policy comes from (``strict``, a file name), for messages.
    """

    forbidden_mac_algorithms: frozenset[MacAlgorithm] = frozenset()
    min_rsa_bits: int = 0
    min_dsa_bits: int = 0
    min_ec_bits: int = 0
    require_timestamp: bool = False
    require_profile: Profile | None = None
    name: str = field(default="default", compare=False)

    def mac_violation(self, algorithm: str | None) -> str | None:
        """Why a signature with this MAC breaks the policy, or None."""
        if algorithm is not None and algorithm in self.forbidden_mac_algorithms:
            return f"MAC algorithm {algorithm} is forbidden by policy {self.name}"
        return None

    def key_violation(self, certificate: x509.Certificate | None) -> str | None:
        """Why a signer with this certificate breaks the policy, or None."""
        if certificate is None:
            return None
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

        key = certificate.public_key()
        for kind, label, minimum in (
            (rsa.RSAPublicKey, "RSA", self.min_rsa_bits),
            (dsa.DSAPublicKey, "DSA", self.min_dsa_bits),
            (ec.EllipticCurvePublicKey, "EC", self.min_ec_bits),
        ):
            if isinstance(key, kind) and key.key_size < minimum:
                return (
                    f"{label} key of {key.key_size} bits is below the {minimum} bits of "
                    f"policy {self.name}"
                )
        return None

    def timestamp_violation(self, has_timestamp: bool) -> str | None:
        """Why a signature without a certified timestamp breaks the policy, or None."""
        if self.require_timestamp and not has_timestamp:
            return f"a certified timestamp is required by policy {self.name}"
        return None

    def violations(
        self, algorithm: str | None, certificate: x509.Certificate | None, has_timestamp: bool
    ) -> list[str]:
        """Every rule one signature breaks."""
        found = (
            self.mac_violation(algorithm),
            self.key_violation(certificate),
            self.timestamp_violation(has_timestamp),
        )
        return [v for v in found if v is not None]

    @property
    def strict_about_anything(self) -> bool:
        """False for the default policy, which checks nothing."""
        return self != DEFAULT


#: The default policy: nothing beyond DCMTK's rules.
DEFAULT = Policy()

#: ``--policy strict``: no MD5, SHA-1 or RIPEMD-160; RSA and DSA keys of 2048 bits, EC keys of
#: 256 bits at least.
STRICT = Policy(
    forbidden_mac_algorithms=frozenset(
        {MacAlgorithm.MD5, MacAlgorithm.SHA1, MacAlgorithm.RIPEMD160}
    ),
    min_rsa_bits=2048,
    min_dsa_bits=2048,
    min_ec_bits=256,
    name="strict",
)

_KEYS = {
    "forbidden_mac_algorithms",
    "min_rsa_bits",
    "min_dsa_bits",
    "min_ec_bits",
    "require_timestamp",
    "require_profile",
}


def _macs(value: object, where: str) -> frozenset[MacAlgorithm]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SigningPolicyError(f"{where}: forbidden_mac_algorithms must be a list of names")
    try:
        return frozenset(MacAlgorithm(str(v).upper()) for v in value)
    except ValueError as exc:
        raise SigningPolicyError(f"{where}: {exc}") from None


def _bits(value: object, key: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SigningPolicyError(f"{where}: {key} must be a whole number of bits")
    return value


def policy_from_table(table: dict[str, Any], where: str) -> Policy:
    """A policy from the ``[policy]`` table of a TOML file (``where`` names it)."""
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SigningPolicyError(f"{where}: unknown policy setting {unknown[0]!r}")
    profile = table.get("require_profile")
    if profile is not None:
        try:
            profile = Profile(str(profile))
        except ValueError:
            raise SigningPolicyError(f"{where}: unknown profile {profile!r}") from None
    timestamp = table.get("require_timestamp", False)
    if not isinstance(timestamp, bool):
        raise SigningPolicyError(f"{where}: require_timestamp must be true or false")
    return Policy(
        forbidden_mac_algorithms=_macs(table.get("forbidden_mac_algorithms", []), where),
        min_rsa_bits=_bits(table.get("min_rsa_bits", 0), "min_rsa_bits", where),
        min_dsa_bits=_bits(table.get("min_dsa_bits", 0), "min_dsa_bits", where),
        min_ec_bits=_bits(table.get("min_ec_bits", 0), "min_ec_bits", where),
        require_timestamp=timestamp,
        require_profile=profile,
        name=where,
    )


def load_policy(spec: str | os.PathLike[str] | Policy | None) -> Policy:
    """The policy named by ``spec``: ``"strict"``, ``"default"``/None, a TOML file, or a
    :class:`Policy` as is.

    Raises
    ------
    SigningPolicyError
        The file cannot be read, is not TOML, has no ``[policy]`` table, or has an unknown or
        ill-typed setting (one line naming the file).
    """
    import tomllib

    if spec is None or isinstance(spec, Policy):
        return spec or DEFAULT
    text = os.fspath(spec)
    if text == "strict":
        return STRICT
    if text == "default":
        return DEFAULT
    name = os.path.basename(text)
    try:
        with open(text, "rb") as file:
            document = tomllib.load(file)
    except OSError as exc:
        from .exceptions import os_reason

        raise SigningPolicyError(
            f"policy file '{text}' cannot be read: {os_reason(exc, text)}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise SigningPolicyError(f"policy file '{text}' is not TOML: {exc}") from None
    table = document.get("policy")
    if not isinstance(table, dict):
        raise SigningPolicyError(f"policy file '{text}' has no [policy] table")
    return policy_from_table(table, name)
