"""The signing options of ``dcmsign`` against the real DCMTK, in both directions: item
signatures at several depths and several signatures per file, Original Attributes Sequence,
``-t``/``-tf``, purposes, ``-fo``/``-fn`` and the certificate warnings.

For each option, what DCMTK signs our ``dcmsign`` verifies with the same exit code and the same
log, and what we sign DCMTK verifies with exit 0 and describes in ``-v`` exactly as it describes
its own signature of the same input with the same options (signature UIDs and times aside).
Profiles and verification policies are in ``test_interop_profiles.py``, the exit codes of
these options in ``test_interop_signing_exit_codes.py``.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import dicomsign
from dcmtk import dcmtk, ours
from dicomsign.exceptions import TagFileError
from dicomsign.tags import read_tag_file
from pki import DAY, PKI, Identity, issue_certificate, name, write_identity
from signing_options import (
    OUT,
    Both,
    dcmodify,
    dcmtk_sign,
    dump2dcm,
    normalize,
    ours_sign,
    parallel,
    purpose_dump,
    run_both,
    verify_both,
)

L1 = "RequestAttributesSequence[0]"
L2 = f"{L1}.ScheduledProtocolCodeSequence[0]"
L3 = f"{L2}.ConceptNameCodeSequence[0]"
L3_BY_TAG = "(0040,0275)[0].(0040,0008)[0].(0040,a043)[0]"
OA = "OriginalAttributesSequence[0]"
OA_MODIFIED = f"{OA}.ModifiedAttributesSequence[0]"
SKIPPED = "Found Digital Signature Sequence within the Original Attributes Sequence, ignoring."


def _trust(pki: PKI) -> list[str | Path]:
    return ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain]


def _chain(
    signer: str, steps: Sequence[Sequence[str | Path]], source: Path, workdir: Path, label: str
) -> Path:
    """Apply signing commands one after the other with one tool; return the last output."""
    sign = dcmtk_sign if signer == "dcmtk" else ours_sign
    current = source
    for number, step in enumerate(steps, 1):
        out = workdir / f"{label}-{signer}-{number}.dcm"
        sign(*step, current, out)
        current = out
    return current


@dataclass(frozen=True)
class Made:
    """The same signing steps applied by DCMTK and by us."""

    dcmtk: Path
    ours: Path


def _made(steps: Sequence[Sequence[str | Path]], source: Path, workdir: Path, label: str) -> Made:
    theirs, mine = parallel(
        lambda who: _chain(who, steps, source, workdir, label), ["dcmtk", "ours"], workers=2
    )
    return Made(theirs, mine)


def _assert_same_description(made: Made, trust: Sequence[str | Path]) -> None:
    """Both directions: ours verifies DCMTK's file as DCMTK does, DCMTK accepts ours and
    describes it as it describes its own, and ours describes ours as DCMTK does."""
    on_theirs = verify_both("-v", *trust, made.dcmtk)
    on_mine = verify_both("-v", *trust, made.ours)
    assert on_theirs.same(), on_theirs.explain()
    assert on_mine.same(), on_mine.explain()
    assert on_theirs.dcmtk.code == on_mine.dcmtk.code == 0, on_mine.explain()
    assert normalize(on_mine.dcmtk.stderr) == normalize(on_theirs.dcmtk.stderr)


# -- item signatures and several signatures per file -----------------------------------------


def _nested_steps(pki: PKI) -> list[list[str | Path]]:
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    ec_id: list[str | Path] = [pki.ec256.key, pki.ec256.cert]
    return [
        ["+s", *rsa_id, "+m2"],
        ["+si", *rsa_id, L3, "+sp", "2"],
        ["+si", *ec_id, L2, "+mr"],
        ["+si", *rsa_id, L1, "-t", "0040,0007"],
        ["+si", *rsa_id, L1, "+sp", "7", "+m3"],
        ["+s", *ec_id, "+m5", "-t", "PatientName", "-t", "SOPInstanceUID"],
        ["+si", *rsa_id, L3_BY_TAG, "+sp", "3", "-t", "CodeMeaning"],
    ]


@pytest.fixture(scope="module")
def nested(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Made:
    """Seven signatures: two in the main dataset, items at depth 1 (two), 2 and 3 (two)."""
    workdir = tmp_path_factory.mktemp("nested-signatures")
    return _made(_nested_steps(pki), dicom_corpus["nested_explicit_length"], workdir, "nested")


#: (location, MAC ID) of each signature in DCMTK's visiting order: nested containers first,
#: a container's signatures in sequence order, MAC IDs numbered per container.
NESTED_ORDER = [
    (L3, 0),
    (L3, 1),
    (L2, 0),
    (L1, 0),
    (L1, 1),
    ("Main Dataset", 0),
    ("Main Dataset", 1),
]


def test_nested_signatures_are_visited_in_dcmtk_order(nested: Made) -> None:
    for path in (nested.dcmtk, nested.ours):
        report = dicomsign.verify(path)
        assert [(s.location, s.mac_id) for s in report.signatures] == NESTED_ORDER
    theirs = dicomsign.verify(nested.dcmtk).signatures
    mine = dicomsign.verify(nested.ours).signatures
    assert [s.signed_tags for s in mine] == [s.signed_tags for s in theirs]
    assert (
        [s.purpose for s in mine]
        == [s.purpose for s in theirs]
        == [
            "2",
            "3",
            None,
            None,
            "7",
            None,
            None,
        ]
    )


def test_nested_signatures_both_directions(nested: Made, pki: PKI) -> None:
    _assert_same_description(nested, _trust(pki))


def test_nested_signatures_without_verbose_and_untrusted(nested: Made) -> None:
    for path in (nested.dcmtk, nested.ours):
        both = verify_both(path)
        assert both.same(), both.explain()
        assert both.dcmtk.code == 101  # no trust anchors: every chain fails
        assert both.dcmtk.stderr.count("Signature #") == 7


def test_every_intermediate_file_verifies_in_dcmtk(nested: Made, pki: PKI) -> None:
    files = sorted(nested.ours.parent.glob("nested-ours-*.dcm"))
    assert len(files) == 7
    codes = parallel(lambda f: dcmtk("dcmsign", *_trust(pki), f).returncode, files)
    assert codes == [0] * 7


# -- Original Attributes Sequence ------------------------------------------------------------


@dataclass(frozen=True)
class OriginalAttributesFiles:
    """Files with signature sequences inside Original Attributes Sequence, made by both tools.

    ``before``: the skipped sequences come before every signature (main dataset only);
    ``between``: before one item signature and the main ones, after another item's.
    """

    before: Made
    between: Made


@pytest.fixture(scope="module")
def original_attributes(
    pki: PKI, dicom_corpus: dict[str, Path], nested: Made, tmp_path_factory: pytest.TempPathFactory
) -> OriginalAttributesFiles:
    workdir = tmp_path_factory.mktemp("original-attributes")
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    before = _made(
        [["+si", *rsa_id, OA_MODIFIED], ["+si", *rsa_id, OA], ["+s", *rsa_id], ["+s", *rsa_id]],
        dicom_corpus["original_attributes"],
        workdir,
        "before",
    )
    # The nested file's signatures plus an Original Attributes item (0400,0561) sorting
    # between its item signatures (0040,0275) and the main dataset's, and a shared functional
    # group item (5200,9229) sorting after it.
    sources = []
    for who, path in (("dcmtk", nested.dcmtk), ("ours", nested.ours)):
        copy = workdir / f"between-source-{who}.dcm"
        shutil.copy(path, copy)
        dcmodify(
            copy,
            "-i",
            "(0400,0561)[0].(0400,0563)=dicomsign",
            "-i",
            "(5200,9229)[0].(0008,0100)=X",
            "-i",
            "(5200,9229)[0].(0008,0102)=Y",
        )
        sources.append(copy)
    steps: list[list[str | Path]] = [
        ["+si", *rsa_id, OA],
        ["+si", *rsa_id, "SharedFunctionalGroupsSequence[0]"],
    ]
    theirs = _chain("dcmtk", steps, sources[0], workdir, "between")
    mine = _chain("ours", steps, sources[1], workdir, "between")
    return OriginalAttributesFiles(before, Made(theirs, mine))


def test_skipped_sequences_are_reported_where_dcmtk_passes_them(
    original_attributes: OriginalAttributesFiles, pki: PKI
) -> None:
    for made in (original_attributes.before, original_attributes.between):
        for path in (made.dcmtk, made.ours):
            both = verify_both("-v", *_trust(pki), path)
            assert both.same(), both.explain()
            assert both.dcmtk.code == 0
            assert SKIPPED in both.dcmtk.stderr
    lines = verify_both(original_attributes.between.ours).dcmtk.stderr.splitlines()
    events = [line for line in lines if "Signature #" in line or SKIPPED in line]
    # Items of (0040,0275) first, then the skipped sequence, then (5200,9229)[0] and the main.
    assert [SKIPPED in e for e in events] == [False] * 5 + [True] + [False] * 3
    before = verify_both(original_attributes.before.ours).dcmtk.stderr.splitlines()
    assert before[:2] == [f"W: {SKIPPED}"] * 2


def test_skipped_sequences_both_directions(
    original_attributes: OriginalAttributesFiles, pki: PKI
) -> None:
    _assert_same_description(original_attributes.before, _trust(pki))
    _assert_same_description(original_attributes.between, _trust(pki))


@pytest.mark.parametrize("which", ["before", "between"])
def test_remove_all_leaves_the_skipped_sequences(
    which: str, original_attributes: OriginalAttributesFiles, tmp_path: Path
) -> None:
    made: Made = getattr(original_attributes, which)
    for path in (made.dcmtk, made.ours):
        both = run_both(["+ra", path, OUT], tmp_path)
        assert both.same(), both.explain()
        assert both.dcmtk.code == 0
        assert both.dcmtk.output is not None and both.ours.output is not None
        theirs = dcmtk("dcmdump", "-q", "+L", both.dcmtk.output).stdout
        mine = dcmtk("dcmdump", "-q", "+L", both.ours.output).stdout
        dataset = [line for line in theirs.splitlines() if not line.startswith("(0002")]
        assert dataset == [line for line in mine.splitlines() if not line.startswith("(0002")]
        # Only the sequences inside Original Attributes Sequence are left.
        report = dicomsign.verify(both.ours.output)
        assert report.signatures == () and report.skipped == (2 if which == "before" else 1)
        assert verify_both(both.ours.output).same()


def test_remove_one_reports_the_skipped_sequences_it_passes(
    original_attributes: OriginalAttributesFiles, tmp_path: Path
) -> None:
    path = original_attributes.between.dcmtk
    uids = [s.uid for s in dicomsign.verify(path).signatures]
    assert len(uids) == 8
    # An item signature before the skipped sequence, one after it, the last main one, and an
    # unknown UID (the whole dataset is searched).
    for number, uid in enumerate([uids[2], uids[5], uids[7], "1.2.3.4"]):
        both = run_both(["+r", uid or "", path, OUT], tmp_path, f"r{number}")
        assert both.same(), both.explain()
        assert both.dcmtk.code == (84 if uid == "1.2.3.4" else 0)
        assert (SKIPPED in both.dcmtk.stderr) == (number > 0)


def test_signature_in_original_attributes_is_never_verified(
    original_attributes: OriginalAttributesFiles,
) -> None:
    # Tampering with a skipped signature's content does not matter to either tool.
    path = original_attributes.before.dcmtk
    copy = path.with_name("tampered-original-attributes.dcm")
    shutil.copy(path, copy)
    dcmodify(copy, "-m", "(0400,0561)[0].(0400,0550)[0].(0010,0010)=Changed")
    both = verify_both(copy)
    assert both.same(), both.explain()
    assert both.dcmtk.stderr.count(SKIPPED) == 2


# -- tag selection ----------------------------------------------------------------------------

TAG_FILE_TEXT = "PatientName (0008,0016)\n\tSOPInstanceUID   (0020,000d)\r\n(0008,0060)"

#: (corpus file, options, location or None): signing with a tag selection succeeds.
TAG_SELECTIONS: list[tuple[str, list[str], str | None]] = [
    ("explicit_le", ["-t", "0008,0060", "-t", "PatientName"], None),
    ("explicit_le", ["-t", "8,18", "-t", "0x10,0x20"], None),
    ("explicit_le", ["-t", "SOPInstanceUID", "-t", "0010,0010", "-t", "SOPClassUID"], None),
    ("explicit_le", ["-t", "PatientName", "-t", "PatientName"], None),
    ("explicit_le", ["-t", "PixelData", "-t", "ReferencedImageSequence"], None),
    ("explicit_le", ["-t", "0029,1008", "-t", "0029,0010"], None),
    ("explicit_le", ["-tf", "{tags}"], None),
    ("explicit_le", ["-tf", "{tags}", "-t", "Rows", "-t", "PatientName"], None),
    ("explicit_le", ["-t", "ReferencedSOPInstanceUID"], "ReferencedImageSequence[0]"),
    ("nested_explicit_length", ["-tf", "{item_tags}"], L3),
    ("un_defined_length", ["-t", "PatientName", "-t", "0008,0064"], None),
    ("un_defined_length", ["+uc", "-t", "Modality", "-t", "0028,0010"], None),
    ("sr_document", ["-t", "ContentSequence", "-t", "VerifyingObserverSequence"], None),
    ("implicit_le", ["-t", "0029,1010", "-t", "PixelData"], None),
]


@pytest.fixture(scope="module")
def tag_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    workdir = tmp_path_factory.mktemp("tag-files")
    files = {
        "tags": TAG_FILE_TEXT,
        "empty": "",
        "item_tags": "CodeMeaning\n(0008,0100)",
    }
    paths = {}
    for key, text in files.items():
        paths[key] = workdir / f"{key}.txt"
        paths[key].write_text(text)
    return paths


def _sign_args(
    pki: PKI, options: Sequence[str], location: str | None, tag_files: dict[str, Path]
) -> list[str | Path]:
    identity: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    head: list[str | Path] = ["+s", *identity] if location is None else ["+si", *identity, location]
    return [*head, *[o.format(**{k: str(v) for k, v in tag_files.items()}) for o in options]]


@pytest.mark.parametrize(
    ("source", "options", "location"),
    TAG_SELECTIONS,
    ids=[f"{s}:{' '.join(o)}:{loc}" for s, o, loc in TAG_SELECTIONS],
)
def test_tag_selection_both_directions(
    source: str,
    options: list[str],
    location: str | None,
    pki: PKI,
    dicom_corpus: dict[str, Path],
    tag_files: dict[str, Path],
    tmp_path: Path,
) -> None:
    args = _sign_args(pki, options, location, tag_files)
    both = run_both([*args, dicom_corpus[source], OUT], tmp_path)
    assert both.same(), both.explain()
    assert both.dcmtk.code == 0
    assert both.dcmtk.output is not None and both.ours.output is not None
    convert = ["+uc"] if "+uc" in options else []
    made = Made(both.dcmtk.output, both.ours.output)
    theirs = dicomsign.verify(made.dcmtk).signatures
    mine = dicomsign.verify(made.ours).signatures
    assert [s.signed_tags for s in mine] == [s.signed_tags for s in theirs]
    on_theirs = verify_both("-v", *convert, *_trust(pki), made.dcmtk)
    on_mine = verify_both("-v", *convert, *_trust(pki), made.ours)
    assert on_theirs.same(), on_theirs.explain()
    assert on_mine.same(), on_mine.explain()
    assert on_mine.dcmtk.code == 0
    assert normalize(on_mine.dcmtk.stderr) == normalize(on_theirs.dcmtk.stderr)


def test_tag_selection_takes_every_listed_tag_in_dataset_order(
    pki: PKI, dicom_corpus: dict[str, Path], tag_files: dict[str, Path], tmp_path: Path
) -> None:
    args = _sign_args(pki, ["-tf", "{tags}", "-t", "Rows", "-t", "PatientName"], None, tag_files)
    both = run_both([*args, dicom_corpus["explicit_le"], OUT], tmp_path)
    assert both.dcmtk.output is not None
    signed = dicomsign.verify(both.dcmtk.output).signatures[0].signed_tags
    assert signed == (0x00080016, 0x00080018, 0x00080060, 0x00100010, 0x0020000D, 0x00280010)


# -- purposes ---------------------------------------------------------------------------------


def test_list_purposes(tmp_path: Path) -> None:
    for extra in ([], ["-v"], ["+s", "k.pem", "c.pem"]):
        both = run_both(["+lp", *extra], tmp_path)
        assert both.dcmtk.code == both.ours.code == 0
        assert both.dcmtk.stderr == both.ours.stderr == ""
        # The header's program, host and build lines are ours (README); the list is DCMTK's.
        theirs = both.dcmtk.stdout.split("dcmsign: Sign and Verify DICOM Files\n", 1)
        mine = both.ours.stdout.split("dcmsign: Sign and Verify DICOM Files\n", 1)
        assert theirs[1].split("\n\n", 1)[1] == mine[1].split("\n\n", 1)[1]
        assert "\n  18: Timestamp Signature\n\n" in mine[1]


def test_every_purpose_code(pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path) -> None:
    identity: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]

    def one(number: int) -> tuple[Both, str, str, str | None]:
        both = run_both(
            ["+s", *identity, "+sp", str(number), dicom_corpus["explicit_le"], OUT],
            tmp_path,
            f"purpose{number}",
        )
        assert both.dcmtk.output is not None and both.ours.output is not None
        theirs = dcmtk("dcmsign", "-v", *_trust(pki), both.dcmtk.output)
        mine = dcmtk("dcmsign", "-v", *_trust(pki), both.ours.output)
        assert theirs.returncode == mine.returncode == 0, mine.stderr
        # Our verification of our own file, for a few codes (DCMTK's runs are much cheaper).
        own = ours("-v", *_trust(pki), both.ours.output).stderr if number in (1, 5, 18) else None
        return both, theirs.stderr, mine.stderr, own

    for number, (signed, theirs, mine, own) in enumerate(parallel(one, range(1, 19)), 1):
        assert signed.same() and signed.dcmtk.code == 0, signed.explain()
        assert signed.dcmtk.output is not None and signed.ours.output is not None
        dump = purpose_dump(signed.ours.output)
        assert dump == purpose_dump(signed.dcmtk.output)
        assert f"(0008,0100) SH [{number}]" in dump and "[ASTM-sigpurpose]" in dump
        assert normalize(mine) == normalize(theirs)
        meaning = dicomsign.SignaturePurpose(number).meaning()
        assert f"Signature purpose           : {meaning} ({number}, ASTM-sigpurpose)" in mine
        assert own is None or own == mine


def test_rightmost_purpose_option_wins(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    identity: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    for options, expected in (
        (["+sp", "4", "-sp"], ""),
        (["-sp", "+sp", "9"], "(0008,0100) SH [9]"),
        (["+sp", "4", "+sp", "12"], "(0008,0100) SH [12]"),
    ):
        both = run_both(["+s", *identity, *options, dicom_corpus["explicit_le"], OUT], tmp_path)
        assert both.same() and both.dcmtk.code == 0, both.explain()
        assert both.dcmtk.output is not None and both.ours.output is not None
        assert purpose_dump(both.ours.output) == purpose_dump(both.dcmtk.output)
        assert expected in purpose_dump(both.ours.output)


# -- the old encapsulated format --------------------------------------------------------------


@pytest.fixture(scope="module")
def formats(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Made]:
    """Encapsulated files signed twice in the old and the new format, by both tools."""
    workdir = tmp_path_factory.mktemp("formats")
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    item = "ReferencedImageSequence[0]"
    return {
        "rle-main-old-new": _made(
            [["+s", *rsa_id, "-fo"], ["+s", *rsa_id, "-fn", "+m2"]],
            dicom_corpus["rle_lossless"],
            workdir,
            "rle-main",
        ),
        "rle-item-old-main-new": _made(
            [["+si", *rsa_id, item, "-fo"], ["+s", *rsa_id]],
            dicom_corpus["rle_lossless"],
            workdir,
            "rle-item-old",
        ),
        "rle-item-new-main-old": _made(
            [["+si", *rsa_id, item], ["+s", *rsa_id, "-fo", "-t", "PixelData"]],
            dicom_corpus["rle_lossless"],
            workdir,
            "rle-item-new",
        ),
        "jpeg-old-new": _made(
            [["+s", *rsa_id, "-fn", "-fo"], ["+s", *rsa_id, "-fo", "-fn"]],
            dicom_corpus["jpeg_multiframe_fragments"],
            workdir,
            "jpeg",
        ),
    }


#: Exit codes of verifying with no option, -fo and -fn: a signature over encapsulated pixel
#: data verifies only in the format it was made with (the format is not recorded).
FORMAT_CODES = {
    "rle-main-old-new": (101, 101, 101),
    "rle-item-old-main-new": (0, 101, 0),
    "rle-item-new-main-old": (101, 0, 101),
    "jpeg-old-new": (101, 101, 101),
}


@pytest.mark.parametrize("case", sorted(FORMAT_CODES))
def test_old_and_new_format_mixes(case: str, formats: dict[str, Made], pki: PKI) -> None:
    made = formats[case]
    for option, code in zip(([], ["-fo"], ["-fn"]), FORMAT_CODES[case], strict=True):
        theirs = dcmtk("dcmsign", "-v", *option, *_trust(pki), made.dcmtk)
        assert theirs.returncode == code, theirs.stderr
        # Ours on both files, DCMTK on ours (the "-fn" default is checked by DCMTK only).
        for path in (made.dcmtk, made.ours) if option != ["-fn"] else ():
            both = verify_both("-v", *option, *_trust(pki), path)
            assert both.same(), both.explain()
            assert normalize(both.dcmtk.stderr) == normalize(theirs.stderr)


def test_each_format_verifies_its_own_signature(formats: dict[str, Made]) -> None:
    made = formats["rle-main-old-new"]
    for path in (made.dcmtk, made.ours):
        plain = dicomsign.verify(path).signatures
        old = dicomsign.verify(path, old_format=True).signatures
        assert plain[0].message.endswith("(document corrupted)")
        assert old[1].message.endswith("(document corrupted)")
        assert not plain[1].message.endswith("(document corrupted)")
        assert not old[0].message.endswith("(document corrupted)")


# -- certificate warnings when signing (and verifying) ---------------------------------------


@dataclass(frozen=True)
class WeakIdentities:
    """Identities issued by the test intermediate CA with keys DCMTK calls weak (or not)."""

    ec224: Identity
    ec224_expired: Identity
    rsa1024: Identity
    rsa768: Identity


@pytest.fixture(scope="module")
def weak(pki: PKI, tmp_path_factory: pytest.TempPathFactory) -> WeakIdentities:
    workdir = tmp_path_factory.mktemp("weak")
    issuer = pki.intermediate.certificate
    issuer_key = pki.intermediate.private_key
    assert isinstance(issuer_key, rsa.RSAPrivateKey)

    def make(
        label: str,
        key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
        start: timedelta,
        end: timedelta,
    ) -> Identity:
        cert = issue_certificate(
            name(f"Test leaf {label}"), key.public_key(), issuer, issuer_key,
            not_before=pki.now + start, not_after=pki.now + end,
        )  # fmt: skip
        return write_identity(workdir, label, key, cert, [issuer], pki.root.certificate)

    ec_key = ec.generate_private_key(ec.SECP224R1())
    # cryptography refuses to generate RSA keys below 1024 bits; OpenSSL still makes them.
    done = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:768"],
        capture_output=True,
        check=True,
    )
    rsa768 = serialization.load_pem_private_key(done.stdout, None)
    assert isinstance(rsa768, rsa.RSAPrivateKey)
    return WeakIdentities(
        ec224=make("ec224", ec_key, -7 * DAY, 100 * DAY),
        ec224_expired=make("ec224-expired", ec_key, -30 * DAY, -2 * DAY),
        rsa1024=make("rsa1024", rsa.generate_private_key(65537, 1024), -7 * DAY, 100 * DAY),
        rsa768=make("rsa768", rsa768, -7 * DAY, 100 * DAY),
    )


def _identity(pki: PKI, weak: WeakIdentities, label: str) -> Identity:
    identity = getattr(weak, label) if hasattr(weak, label) else getattr(pki, label)
    assert isinstance(identity, Identity)
    return identity


#: identity -> the warnings DCMTK prints when signing with it (RSA 1024 is not weak for DCMTK:
#: its limit is below 1024 bits for RSA and DSA, below 256 for EC).
SIGNING_WARNINGS = {
    "expired": ["Certificate has expired"],
    "not_yet_valid": ["Certificate is not yet valid, validity starts"],
    "ec224": ["Certificate contains a weak key: EC, 224 bits"],
    "ec224_expired": ["Certificate contains a weak key: EC, 224 bits", "Certificate has expired"],
    "rsa1024": [],
    "rsa768": ["Certificate contains a weak key: RSA, 768 bits"],
}


@pytest.mark.parametrize("label", sorted(SIGNING_WARNINGS))
def test_certificate_warnings(
    label: str, pki: PKI, weak: WeakIdentities, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    identity = _identity(pki, weak, label)
    rsa_key = not label.startswith("ec")
    for extra in ([], ["+pv", "+sp", "1"]) if rsa_key else ([],):
        source = dicom_corpus["sr_document" if extra else "explicit_le"]
        signing = run_both(["+s", identity.key, identity.cert, *extra, source, OUT], tmp_path)
        assert signing.same(), signing.explain()
        assert signing.dcmtk.code == 0
        lines = signing.dcmtk.stderr.splitlines()
        expected = [f"W: {w}" for w in SIGNING_WARNINGS[label]]
        if extra:
            expected.append(
                "W: Signature profile requires purpose code 5, ignoring user selection 1."
            )
        assert [line[: len(e)] for line, e in zip(lines, expected, strict=False)] == expected
        assert len(lines) == len(expected)
        assert signing.dcmtk.output is not None and signing.ours.output is not None
        trust: list[str | Path] = ["+cf", identity.root, "+uf", identity.chain]
        for path in (signing.dcmtk.output, signing.ours.output):
            both = verify_both("-v", *trust, path)
            assert both.same(), both.explain()
            # Verification warns about a weak key once the signature itself passed.
            weak_line = "W: Certificate contains a weak key" in both.dcmtk.stderr
            assert weak_line == (label in ("ec224", "rsa768"))


TAG_FILE_CONTENTS = [
    b"PatientName",
    b"PatientName (0008,0016)\n\tSOPInstanceUID\r\n(0020,000d)",
    b"(0010,0010)(0008,0016)PatientID",
    b"( 10,10)",
    b"(10, 10)",
    b"(0x10,0x10)",
    b"(10,10 )",
    b"(10,10junk)",
    b"(8,18,20)",
    b"(-8,18)",
    b"(1ffff,0010)",
    b"(100000000,10)",
    b"(0010,\n0020)",
    b"(10 ,10)",
    b"(g,10)",
    b"(,10)",
    b"(10,)",
    b"(10,10",
    b"(",
    b"((8,18)",
    b"(8,18))",
    b"(8;18)",
    b"PatientName,(0008,0016)",
    b"PatientName 0008,0016",
    b"PatientName.SOPInstanceUID",
    b"PatientName[0]",
    b"[0]",
    b".",
    b"Patient_Name",
    b"Patient$Name",
    b"patientname",
    b"\xe9",
    b"PatientName\0$$$",
    b"PatientName\0garbage\nSOPClassUID",
    b"PatientName\x0bSOPClassUID\x0cPatientID",
    b"SyntheticData",
    b"CurveData",
    b"RETIRED_CurveData",
    b"DoseValue",
    b"OverlayData",
    b"PatientName PatientName",
]


def _random_tag_files(count: int) -> list[bytes]:
    rng = random.Random(3)
    pieces = ["PatientName", "(0010,0020)", "(", ")", ",", " ", "\n", "\t", ".", "[1]", "x",
              "0x8", "SOPClassUID", "_", "(8,", "18)", "Rows", "\0"]  # fmt: skip
    return [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))).encode() for _ in range(count)
    ]


def test_tag_file_syntax_matches_dcmtk(pki: PKI, tmp_path: Path) -> None:
    # A dataset holding none of the tags above: DCMTK names every tag it read, in file order.
    dataset = dump2dcm("(0011,0011) LO [x]\n", tmp_path / "one.dcm")
    contents = TAG_FILE_CONTENTS + _random_tag_files(60)

    def dcmtk_reading(number: int) -> tuple[int, str]:
        path = tmp_path / f"tags{number}.txt"
        path.write_bytes(contents[number])
        done = dcmtk(
            "dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, "-tf", path, dataset,
            tmp_path / f"out{number}.dcm",
        )  # fmt: skip
        return done.returncode, done.stderr

    results = parallel(dcmtk_reading, range(len(contents)))
    for number, (code, stderr) in enumerate(results):
        path = tmp_path / f"tags{number}.txt"
        try:
            tags = read_tag_file(path)
        except TagFileError as exc:
            assert code == exc.exit_code == 86, (contents[number], stderr)
            expected = [f"E: {line}" for line in exc.message.splitlines()]
            assert stderr.splitlines()[:-1] == expected
            continue
        named = [line[13:24] for line in stderr.splitlines() if "should be signed" in line]
        assert [f"({t >> 16:04x},{t & 0xFFFF:04x})" for t in tags] == named, contents[number]
        assert code == (85 if tags else 0), (contents[number], stderr)
