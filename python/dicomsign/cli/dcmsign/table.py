"""DCMTK 3.6.7 ``dcmsign``'s option table, as data.

One table drives everything that knows the options: the complete parser and its ``-h`` text
(:func:`dicomsign.cli.dcmsign.options.build_dcmsign_spec`), the evaluation of option families
(every option of the MAC family, in table order, with the algorithm it means), and the quick
paths (:mod:`.quick`), which recognise plain command lines by it without loading the parser.
This module imports nothing, so that the quick paths stay quick: an option's ``meaning`` is
the value of the :mod:`dicomsign.vocabulary` member it selects (``"SHA256"`` for
``MacAlgorithm.SHA256``), which the evaluator turns into the member.
"""

from __future__ import annotations

TYPE_CHECKING = False  # ``typing`` is not imported at run time (start-up time)
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "LONG_COLUMN",
    "OPTIONS",
    "PARAMS",
    "SHORT_COLUMN",
    "Option",
    "Section",
    "family",
    "lookup",
]

#: Minimum widths of the long and short option columns of the help text.
LONG_COLUMN = 21
SHORT_COLUMN = 4

_SIGN_OR_SIGN_ITEM = "--sign or --sign-item"


class Option:
    """One option: its names, values and help, and what it means.

    ``family`` groups the alternatives of one setting (``"mac"``, ``"profile"``...), and
    ``meaning`` is the value of the vocabulary member the option selects in that family. ``needs`` is the option DCMTK requires alongside, when that
    differs within a family (``+pc`` needs ``--sign``, ``+pb`` ``--sign or --sign-item``).
    """

    __slots__ = (
        "description",
        "exclusive",
        "family",
        "long",
        "meaning",
        "needs",
        "short",
        "value_description",
        "values",
    )

    def __init__(
        self,
        long: str,
        short: str = "",
        *,
        description: str = "",
        values: int = 0,
        value_description: str = "",
        exclusive: bool = False,
        family: str = "",
        meaning: str = "",
        needs: str = "",
    ) -> None:
        self.long = long
        self.short = short
        self.description = description
        self.values = values
        self.value_description = value_description
        self.exclusive = exclusive
        self.family = family
        self.meaning = meaning
        self.needs = needs

    def __repr__(self) -> str:
        return f"Option({self.long!r}, {self.short!r})"


class Section:
    """A group (or subgroup) title of the help text, with its column widths (0: defaults)."""

    __slots__ = ("long_cols", "short_cols", "subgroup", "title")

    def __init__(
        self, title: str, long_cols: int = 0, short_cols: int = 0, *, subgroup: bool = False
    ) -> None:
        self.title = title
        self.long_cols = long_cols
        self.short_cols = short_cols
        self.subgroup = subgroup


def _sub(title: str, long_cols: int = 0, short_cols: int = 0) -> Section:
    return Section(title, long_cols, short_cols, subgroup=True)


_O = Option

#: The positional parameters: name, description, optional.
PARAMS = (
    ("dcmfile-in", "DICOM input filename to be processed", False),
    ("dcmfile-out", "DICOM output filename", True),
)

#: The table, in the order of DCMTK's help text.
OPTIONS: tuple[Option | Section, ...] = (
    Section("general options:", LONG_COLUMN, SHORT_COLUMN + 2),
    _O("--help", "-h", description="print this help text and exit", exclusive=True),
    _O("--version", description="print version information and exit", exclusive=True),
    _O("--arguments", description="print expanded command line arguments"),
    _O("--quiet", "-q", description="quiet mode, print no warnings and errors", family="log"),
    _O("--verbose", "-v", description="verbose mode, print processing details", family="log"),
    _O("--debug", "-d", description="debug mode, print debug information", family="log"),
    _O(
        "--log-level",
        "-ll",
        values=1,
        value_description="[l]evel: string constant",
        description="(fatal, error, warn, info, debug, trace)\nuse level l for the logger",
        family="log",
    ),
    _O(
        "--log-config",
        "-lc",
        values=1,
        value_description="[f]ilename: string",
        description="use config file f for the logger",
        family="log",
    ),
    Section("input options:"),
    _sub("input file format:"),
    _O(
        "--read-file",
        "+f",
        description="read file format or data set (default)",
        family="read-mode",
        meaning="auto",
    ),
    _O(
        "--read-file-only",
        "+fo",
        description="read file format only",
        family="read-mode",
        meaning="file",
    ),
    _O(
        "--read-dataset",
        "-f",
        description="read data set without file meta information",
        family="read-mode",
        meaning="dataset",
    ),
    _sub("input transfer syntax:", LONG_COLUMN, SHORT_COLUMN),
    _O(
        "--read-xfer-auto",
        "-t=",
        description="use TS recognition (default)",
        family="read-xfer",
        meaning="auto",
    ),
    _O(
        "--read-xfer-detect",
        "-td",
        description="ignore TS specified in the file meta header",
        family="read-xfer",
        meaning="detect",
    ),
    _O(
        "--read-xfer-little",
        "-te",
        description="read with explicit VR little endian TS",
        family="read-xfer",
        meaning="little",
    ),
    _O(
        "--read-xfer-big",
        "-tb",
        description="read with explicit VR big endian TS",
        family="read-xfer",
        meaning="big",
    ),
    _O(
        "--read-xfer-implicit",
        "-ti",
        description="read with implicit VR little endian TS",
        family="read-xfer",
        meaning="implicit",
    ),
    _sub("handling of defined length UN elements:"),
    _O("--retain-un", "-uc", description="retain elements as UN (default)", family="un"),
    _O("--convert-un", "+uc", description="convert to real VR if known", family="un"),
    Section("signature commands:", LONG_COLUMN, SHORT_COLUMN + 2),
    _O("--verify", description="verify all signatures (default)", family="command"),
    _O(
        "--sign",
        "+s",
        values=2,
        value_description="[p]rivate key file, [c]ertificate file: string",
        description="create signature in main object",
        family="command",
    ),
    _O(
        "--sign-item",
        "+si",
        values=3,
        value_description="[k]eyfile, [c]ertfile, [i]tem location: string",
        description="create signature in sequence item",
        family="command",
    ),
    _O(
        "--insert-timestamp",
        "+t",
        values=3,
        value_description="ts[q]file, ts[r]file [u]idfile: string",
        description="insert certified timestamp from ts response r\n"
        "from timestamp query q at signature UID u",
        family="command",
    ),
    _O(
        "--remove",
        "+r",
        values=1,
        value_description="[s]ignature UID: string",
        description="remove signature",
        family="command",
    ),
    _O("--remove-all", "+ra", description="remove all signatures from data set", family="command"),
    Section("general signature options:"),
    _sub("key and certificate file format:"),
    _O(
        "--pem-keys",
        "-pem",
        description="read keys/certificates as PEM file (default)",
        family="key",
    ),
    _O("--der-keys", "-der", description="read keys/certificates as DER file", family="key"),
    _sub("signature format:"),
    _O(
        "--format-new",
        "-fn",
        description="use correct DICOM signature format (default)",
        family="format",
    ),
    _O(
        "--format-old",
        "-fo",
        description="use old (pre-3.5.4) DCMTK signature format",
        family="format",
    ),
    Section("signature verification options (only with --verify):"),
    _sub("signature verification:"),
    _O(
        "--verify-if-present",
        "+rv",
        description="verify signatures if present, pass otherwise\n(default)",
        family="verification-policy",
        meaning="if-present",
    ),
    _O(
        "--require-sig",
        "+rg",
        description="fail if no signature at all is present",
        family="verification-policy",
        meaning="require",
    ),
    _O(
        "--require-creator",
        "+rc",
        description="fail if no creator RSA signature is present",
        family="verification-policy",
        meaning="creator",
    ),
    _O(
        "--require-auth",
        "+ru",
        description="fail if no auth RSA signature is present",
        family="verification-policy",
        meaning="authorization",
    ),
    _O(
        "--require-sr",
        "+rs",
        description="fail if no SR RSA signature is present",
        family="verification-policy",
        meaning="sr",
    ),
    _sub("timestamp verification:"),
    _O(
        "--verify-ts",
        "+tv",
        description="verify certified timestamp if present (default)",
        family="timestamp-policy",
        meaning="verify",
    ),
    _O(
        "--ignore-ts",
        "-tv",
        description="ignore certified timestamps",
        family="timestamp-policy",
        meaning="ignore",
    ),
    _O(
        "--require-ts",
        "+tr",
        description="fail if no certified timestamp is present",
        family="timestamp-policy",
        meaning="require",
    ),
    _sub("certification authority:"),
    _O(
        "--add-cert-file",
        "+cf",
        values=1,
        value_description="[f]ilename: string",
        description="add trusted certificate file to cert store",
        family="certificates",
    ),
    _O(
        "--add-ucert-file",
        "+uf",
        values=1,
        value_description="[f]ilename: string",
        description="add untrusted intermediate certificate file",
        family="certificates",
    ),
    _O(
        "--add-cert-dir",
        "+cd",
        values=1,
        value_description="[d]irectory: string",
        description="add certificates in d to cert store",
        family="certificates",
    ),
    _O(
        "--add-crl-file",
        "+cr",
        values=1,
        value_description="[f]ilename: string",
        description="add certificate revocation list file\n(implies --enable-crl-vfy)",
        family="certificates",
    ),
    _O("--enable-crl-vfy", "+cl", description="enable CRL verification"),
    Section("signature creation options (only with --sign or --sign-item):"),
    _sub("private key password:"),
    _O(
        "--std-passwd",
        "+ps",
        description="prompt user to type password on stdin (default)",
        family="password",
    ),
    _O(
        "--use-passwd",
        "+pw",
        values=1,
        value_description="[p]assword: string ",
        description="use specified password",
        family="password",
    ),
    _O("--null-passwd", "-pw", description="use empty string as password", family="password"),
    _sub("digital signature profile:"),
    _O(
        "--profile-none",
        "-pf",
        description="don't enforce any signature profile (default)",
        family="profile",
        meaning="none",
        needs=_SIGN_OR_SIGN_ITEM,
    ),
    _O(
        "--profile-base",
        "+pb",
        description="enforce base RSA signature profile",
        family="profile",
        meaning="base-rsa",
        needs=_SIGN_OR_SIGN_ITEM,
    ),
    _O(
        "--profile-creator",
        "+pc",
        description="enforce creator RSA signature profile",
        family="profile",
        meaning="creator-rsa",
        needs="--sign",
    ),
    _O(
        "--profile-auth",
        "+pa",
        description="enforce authorization signature profile",
        family="profile",
        meaning="authorization-rsa",
        needs="--sign",
    ),
    _O(
        "--profile-sr",
        "+pr",
        description="enforce SR RSA signature profile",
        family="profile",
        meaning="sr-rsa",
        needs="--sign",
    ),
    _O(
        "--profile-srv",
        "+pv",
        description="enforce SR RSA signature profile (verification)",
        family="profile",
        meaning="sr-rsa-verification",
        needs="--sign",
    ),
    _sub("MAC algorithm:"),
    _O(
        "--mac-ripemd160",
        "+mr",
        description="use RIPEMD 160 (default)",
        family="mac",
        meaning="RIPEMD160",
    ),
    _O(
        "--mac-sha1",
        "+ms",
        description="use SHA-1 (not recommended)",
        family="mac",
        meaning="SHA1",
    ),
    _O(
        "--mac-md5",
        "+mm",
        description="use MD5 (not recommended)",
        family="mac",
        meaning="MD5",
    ),
    _O("--mac-sha256", "+m2", description="use SHA-256", family="mac", meaning="SHA256"),
    _O("--mac-sha384", "+m3", description="use SHA-384", family="mac", meaning="SHA384"),
    _O("--mac-sha512", "+m5", description="use SHA-512", family="mac", meaning="SHA512"),
    _sub("signature purpose:"),
    _O(
        "--list-purposes",
        "+lp",
        description="show list of signature purpose codes and exit",
        exclusive=True,
    ),
    _O(
        "--no-sig-purpose",
        "-sp",
        description="do not add signature purpose (default)",
        family="purpose",
    ),
    _O(
        "--sig-purpose",
        "+sp",
        values=1,
        value_description="[p]urpose code: integer (1..18)",
        description="add digital signature purpose code p",
        family="purpose",
    ),
    _sub("tag selection:"),
    _O(
        "--tag",
        "-t",
        values=1,
        value_description='[t]ag: "gggg,eeee" or dictionary name',
        description="sign only specified tag\n(this option can be specified multiple times)",
    ),
    _O(
        "--tag-file",
        "-tf",
        values=1,
        value_description="[f]ilename: string",
        description="read list of tags from text file",
    ),
    Section("timestamp creation options (only with --sign or --sign-item):"),
    _sub("timestamp creation:"),
    _O(
        "--timestamp-off",
        "-ts",
        description="do not create timestamp (default)",
        family="timestamp",
    ),
    _O(
        "--timestamp-file",
        "+ts",
        values=2,
        value_description="[t]sq-filename, [u]id-filename: string",
        description="create timestamp query file t and uid file u",
        family="timestamp",
    ),
    _sub("timestamp MAC algorithm (only with --timestamp-file):"),
    _O(
        "--ts-mac-sha256",
        "+tm2",
        description="use SHA-256 (default)",
        family="ts-mac",
        meaning="SHA256",
    ),
    _O(
        "--ts-mac-sha384",
        "+tm3",
        description="use SHA-384",
        family="ts-mac",
        meaning="SHA384",
    ),
    _O(
        "--ts-mac-sha512",
        "+tm5",
        description="use SHA-512",
        family="ts-mac",
        meaning="SHA512",
    ),
    _O(
        "--ts-mac-ripemd160",
        "+tmr",
        description="use RIPEMD 160",
        family="ts-mac",
        meaning="RIPEMD160",
    ),
    _O(
        "--ts-mac-sha1",
        "+tms",
        description="use SHA-1 (not recommended)",
        family="ts-mac",
        meaning="SHA1",
    ),
    _O(
        "--ts-mac-md5",
        "+tmm",
        description="use MD5 (not recommended)",
        family="ts-mac",
        meaning="MD5",
    ),
    _sub("timestamp query nonce options (only with --timestamp-file):"),
    _O("--ts-use-nonce", "+tn", description="include random nonce (default)", family="ts-nonce"),
    _O("--ts-no-nonce", "-tn", description="do not include nonce", family="ts-nonce"),
    _sub("timestamp certificate inclusion options (only with --timestamp-file):"),
    _O(
        "--ts-request-cert",
        "+tc",
        description="request TSA certificate in timestamp (default)",
        family="ts-cert",
    ),
    _O(
        "--ts-no-cert",
        "-tc",
        description="do not request TSA certificate in timestamp",
        family="ts-cert",
    ),
    _sub("timestamp policy options (only with --timestamp-file):"),
    _O(
        "--ts-no-policy",
        "-tp",
        description="do not specify ts policy (default)",
        family="ts-policy",
    ),
    _O(
        "--ts-policy",
        "+tp",
        values=1,
        value_description="[p]olicy-OID: string",
        description="request timestamp policy p",
        family="ts-policy",
    ),
    Section("output options:"),
    _sub("output transfer syntax:"),
    _O(
        "--write-xfer-same",
        "+t=",
        description="write with same TS as input (default)",
        family="write-xfer",
        meaning="same",
    ),
    _O(
        "--write-xfer-little",
        "+te",
        description="write with explicit VR little endian TS",
        family="write-xfer",
        meaning="little",
    ),
    _O(
        "--write-xfer-big",
        "+tb",
        description="write with explicit VR big endian TS",
        family="write-xfer",
        meaning="big",
    ),
    _O(
        "--write-xfer-implicit",
        "+ti",
        description="write with implicit VR little endian TS",
        family="write-xfer",
        meaning="implicit",
    ),
    _sub("length encoding in sequences and items:"),
    _O(
        "--length-explicit",
        "+e",
        description="write with explicit lengths (default)",
        family="length",
    ),
    _O("--length-undefined", "-e", description="write with undefined lengths", family="length"),
    _sub("other output options:"),
    _O(
        "--dump",
        "+d",
        values=1,
        value_description="[f]ilename: string",
        description="dump byte stream fed into the MAC codec to file\n"
        "(only with --sign or --sign-item)",
    ),
)

_BY_NAME: dict[str, Option] = {}
for _entry in OPTIONS:
    if isinstance(_entry, Option):
        _BY_NAME[_entry.long] = _entry
        if _entry.short:
            _BY_NAME[_entry.short] = _entry


def lookup(name: str) -> Option | None:
    """The option whose long or short name is ``name``."""
    return _BY_NAME.get(name)


def family(name: str) -> Iterator[Option]:
    """The options of a family, in table order."""
    return (o for o in OPTIONS if isinstance(o, Option) and o.family == name)
