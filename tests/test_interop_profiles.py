"""Signature profiles (``-pf +pb +pc +pa +pr +pv``) and the verification policies that check
them (``+rc +ru +rs``) against the real DCMTK, in both directions.

Signing: the same command line gives the same exit code and log with both tools, the same
Data Elements Signed (the required-if-present attributes added to a ``-t`` selection, the
unconditionally required ones checked), and DCMTK describes our signature in ``-v`` exactly as
its own. Verifying: files signed by either tool with each profile give the same exit code and
log under every policy with both tools, including the cases of dcmsign-behaviour.md §5.1.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import dicomsign
from dcmtk import dcmtk
from pki import PKI
from signing_options import (
    OUT,
    Both,
    dcmodify,
    dcmtk_sign,
    dump2dcm,
    normalize,
    ours_sign,
    parallel,
    run_both,
    verify_both,
)

SR_WARNING = "W: SR document status is 'VERIFIED', but the verification signature is missing"
AUTHORIZATION_WARNING = (
    "W: The Authorization RSA Digital Signature Profile requires that any\n"
    "W: attributes whose values are verifiable by the technician or physician\n"
    "W: (e.g., their values are displayed to the technician or physician) must\n"
    "W: be included in the signature. Please assure this using --tag options.\n"
)

#: A CT-like dataset with attributes of every kind the Creator and Authorization profiles
#: treat specially: General Equipment (required by Creator only), Creator Version UID (which
#: makes every private attribute required), curves (5000-501E, every even group) and overlays
#: (group 6000 only: DCMTK compares overlay tags exactly).
RICH = """\
(0002,0010) UI =LittleEndianExplicit
(0008,0008) CS [ORIGINAL\\PRIMARY]
(0008,0016) UI =CTImageStorage
(0008,0018) UI [1.2.826.0.1.3680043.10.543.7.1]
(0008,0060) CS [CT]
(0008,0070) LO [ACME]
(0008,0080) LO [General Hospital]
(0008,1010) SH [STATION1]
(0008,9123) UI [1.2.826.0.1.3680043.10.543.7.9]
(0010,0010) PN [Rich^Test]
(0010,0020) LO [RICH-1]
(0018,1020) LO [1.0]
(0019,0010) LO [ACME PRIVATE]
(0019,1001) LO [private value]
(0020,000d) UI [1.2.826.0.1.3680043.10.543.7.2]
(0020,000e) UI [1.2.826.0.1.3680043.10.543.7.3]
(0028,0120) US 0
(5000,0005) US 1
(5000,0010) US 2
(5002,0010) US 3
(5020,0010) US 4
(6000,0010) US 32
(6002,0010) US 32
(6002,0011) US 32
"""


@dataclass(frozen=True)
class Inputs:
    """Input files by name (corpus files and variants made with DCMTK's tools)."""

    files: dict[str, Path]

    def __getitem__(self, key: str) -> Path:
        return self.files[key]


def _variant(base: Path, target: Path, *edits: str) -> Path:
    shutil.copy(base, target)
    return dcmodify(target, *edits) if edits else target


@pytest.fixture(scope="module")
def inputs(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Inputs:
    work = tmp_path_factory.mktemp("profile-inputs")
    sr = dicom_corpus["sr_document"]
    rich = dump2dcm(RICH, work / "rich.dcm")
    files = {
        "ct": dicom_corpus["explicit_le"],
        "nested": dicom_corpus["nested_explicit_length"],
        "un": dicom_corpus["un_defined_length"],
        "rich": rich,
        "rich-no-creator-version": _variant(rich, work / "rich-ncv.dcm", "-e", "(0008,9123)"),
        "rich-no-series": _variant(rich, work / "rich-nse.dcm", "-e", "(0020,000e)"),
        "sr": sr,
        "sr-unverified": _variant(sr, work / "sr-unv.dcm", "-m", "(0040,a493)=UNVERIFIED"),
        "sr-lowercase": _variant(sr, work / "sr-low.dcm", "-m", "(0040,a493)=verified"),
        "sr-no-flag": _variant(sr, work / "sr-nfl.dcm", "-e", "(0040,a493)"),
        "sr-no-content": _variant(sr, work / "sr-nco.dcm", "-e", "(0040,a730)"),
        "sr-no-value-type": _variant(sr, work / "sr-nvt.dcm", "-e", "(0040,a040)"),
        "sr-no-concept": _variant(sr, work / "sr-ncn.dcm", "-e", "(0040,a043)"),
        "sr-no-series": _variant(sr, work / "sr-nse.dcm", "-e", "(0020,000e)"),
        "sr-no-observer": _variant(sr, work / "sr-nob.dcm", "-e", "(0040,a073)"),
    }
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    # SRs that already carry signatures, with and without a Verification Signature (purpose 5)
    # where DCMTK looks for one: the first purpose item of a main-dataset signature.
    purpose5 = work / "sr-purpose5.dcm"
    dcmtk_sign("+s", *rsa_id, "+sp", "5", sr, purpose5)
    files["sr-purpose5"] = purpose5
    files["sr-purpose5-second-signature"] = work / "sr-p5-second.dcm"
    dcmtk_sign("+s", *rsa_id, "+sp", "1", sr, work / "sr-p1.dcm")
    dcmtk_sign("+s", *rsa_id, "+sp", "5", work / "sr-p1.dcm", files["sr-purpose5-second-signature"])
    files["sr-purpose5-in-item"] = work / "sr-p5-item.dcm"
    dcmtk_sign("+si", *rsa_id, "ContentSequence[0]", "+sp", "5", sr, files["sr-purpose5-in-item"])
    files["sr-purpose5-second-item"] = _variant(
        purpose5,
        work / "sr-p5-second-item.dcm",
        "-m",
        "(fffa,fffa)[0].(0400,0401)[0].(0008,0100)=1",
        "-i",
        "(fffa,fffa)[0].(0400,0401)[1].(0008,0100)=5",
    )
    files["sr-purpose05"] = _variant(
        purpose5, work / "sr-p05.dcm", "-m", "(fffa,fffa)[0].(0400,0401)[0].(0008,0100)=05"
    )
    files["sr-purpose5-other-scheme"] = _variant(
        purpose5, work / "sr-p5-scheme.dcm", "-m", "(fffa,fffa)[0].(0400,0401)[0].(0008,0102)=X"
    )
    return Inputs(files)


def _trust(pki: PKI) -> list[str | Path]:
    return ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain]


@dataclass(frozen=True)
class Signed:
    """One profile signing command run by both tools."""

    key: str
    both: Both


def _sign(pki: PKI, inputs: Inputs, work: Path, key: str, options: Sequence[str]) -> Signed:
    *flags, source = options
    args: list[str | Path] = ["+s", pki.rsa2048.key, pki.rsa2048.cert, *flags, inputs[source]]
    return Signed(key, run_both([*args, OUT], work, key.replace(" ", "_").replace(",", "")))


#: Profiles and tag selections whose signed lists are compared (every profile on the files it
#: accepts, with "sign all" and with a one-attribute selection that the profile extends).
SIGNINGS = [
    [profile, *tags, source]
    for profile, sources in [
        ("+pc", ["ct", "rich", "rich-no-creator-version"]),
        ("+pa", ["ct", "rich", "rich-no-creator-version"]),
        ("+pr", ["sr", "sr-unverified"]),
        ("+pv", ["sr"]),
    ]
    for source in sources
    for tags in ([], ["-t", "PatientName"])
] + [
    ["-pf", "ct"],
    ["+pb", "ct"],
    ["+pc", "nested"],
    ["+pc", "sr"],
    ["+pr", "sr-no-flag"],
    ["+pr", "sr-no-observer"],
]
#: The SR checks of +pr and +pv, and the profile errors (exit code 85), without -t.
SR_CHECKS = [
    ["+pr", source]
    for source in [
        "sr-lowercase",
        "sr-no-content",
        "sr-no-value-type",
        "sr-no-concept",
        "sr-no-series",
        "sr-purpose5",
        "sr-purpose5-second-signature",
        "sr-purpose5-in-item",
        "sr-purpose5-second-item",
        "sr-purpose05",
        "sr-purpose5-other-scheme",
    ]
] + [
    ["+pv", "sr-lowercase"],
    ["+pv", "sr-no-content"],
    ["+pv", "sr-no-series"],
    ["+pv", "sr-purpose5-in-item"],
    ["+pv", "sr-unverified"],
    ["+pv", "sr-no-flag"],
    ["+pv", "sr-no-observer"],
    ["+pr", "ct"],
    ["+pv", "ct"],
    ["+pc", "rich-no-series"],
    ["+pa", "rich-no-series"],
    ["+pc", "-t", "0020,000e", "rich-no-series"],
    ["+pc", "un"],
    ["+pc", "-t", "PatientName", "un"],
    ["+pb", "-t", "0008,0060", "un"],
    ["+pv", "+sp", "3", "sr"],
    ["+pv", "+sp", "5", "sr"],
    ["+pv", "+sp", "3", "-t", "0010,9999", "sr"],
    ["+pr", "+sp", "5", "sr"],
]

#: Expected outcome of some of them (DCMTK's, checked here for both tools).
EXPECTED = {
    "+pr sr": (0, SR_WARNING),
    "+pr sr-unverified": (0, ""),
    "+pr sr-purpose5": (0, ""),
    "+pr sr-purpose5-second-signature": (0, ""),
    "+pr sr-purpose5-in-item": (0, SR_WARNING),
    "+pr sr-purpose5-second-item": (0, SR_WARNING),
    "+pr sr-purpose05": (0, SR_WARNING),
    "+pr sr-purpose5-other-scheme": (0, ""),
    "+pr sr-lowercase": (0, ""),
    "+pv sr-lowercase": (85, "E: dataset not suitable"),
    "+pr sr-no-content": (85, "E: dataset not suitable"),
    "+pv sr-unverified": (85, "E: dataset not suitable"),
    "+pr ct": (85, "E: dataset not suitable"),
    "+pr sr-no-series": (85, f"{SR_WARNING}\nE: cannot create signature for current signature"),
    "+pv sr-no-observer": (85, "E: cannot create signature for current signature profile"),
    "+pc rich-no-series": (85, "E: cannot create signature for current signature profile"),
    "+pc -t 0020,000e rich-no-series": (85, "E: cannot create signature for current"),
    "+pc un": (85, "E: list of attributes to be signed contains attribute that is not signable"),
    "+pv +sp 3 sr": (0, "W: Signature profile requires purpose code 5, ignoring user selection 3."),
    "+pv +sp 3 -t 0010,9999 sr": (85, "W: Signature profile requires purpose code 5"),
    "+pr +sp 5 sr": (0, SR_WARNING),
    "+pa ct": (0, AUTHORIZATION_WARNING),
}


@pytest.fixture(scope="module")
def signed(pki: PKI, inputs: Inputs, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Both]:
    work = tmp_path_factory.mktemp("profile-signed")
    jobs = [(" ".join(o), o) for o in SIGNINGS + SR_CHECKS]
    results = parallel(lambda job: _sign(pki, inputs, work, *job), jobs)
    return {r.key: r.both for r in results}


@pytest.mark.parametrize("key", [" ".join(o) for o in SIGNINGS + SR_CHECKS])
def test_profile_signing_matches_dcmtk(key: str, signed: dict[str, Both], pki: PKI) -> None:
    both = signed[key]
    assert both.same(), both.explain()
    if key in EXPECTED:
        code, text = EXPECTED[key]
        assert both.dcmtk.code == code, both.explain()
        assert both.dcmtk.stderr.startswith(text) if text else both.dcmtk.stderr == ""
    if both.dcmtk.code != 0:
        return
    assert both.dcmtk.output is not None and both.ours.output is not None
    theirs = dicomsign.verify(both.dcmtk.output).signatures[-1]
    mine = dicomsign.verify(both.ours.output).signatures[-1]
    assert mine.signed_tags == theirs.signed_tags
    assert mine.purpose == theirs.purpose
    on_theirs = dcmtk("dcmsign", "-v", *_trust(pki), both.dcmtk.output)
    on_mine = dcmtk("dcmsign", "-v", *_trust(pki), both.ours.output)
    # Some inputs carry a signature broken on purpose; the new one, last, must verify.
    results = [line for line in on_mine.stderr.splitlines() if "Signature Verification" in line]
    assert results[-1].endswith(": OK"), on_mine.stderr
    assert on_theirs.returncode == on_mine.returncode
    assert normalize(on_mine.stderr) == normalize(on_theirs.stderr)


def test_required_attributes_are_added_to_a_selection(signed: dict[str, Both]) -> None:
    def tags(key: str) -> set[int]:
        output = signed[key].ours.output
        assert output is not None
        return set(dicomsign.verify(output).signatures[-1].signed_tags)

    patient = {0x00100010}
    uids = {0x00080016, 0x00080018, 0x0020000D, 0x0020000E}
    equipment = {0x00080080, 0x00081010, 0x00181020, 0x00280120}  # not Authorization's
    private = {0x00190010, 0x00191001}  # required by Creator Version UID
    curves = {0x50000005, 0x50000010, 0x50020010}  # groups 5000-501E
    creator = tags("+pc -t PatientName rich")
    assert patient | uids | equipment | private | curves | {0x60000010, 0x00089123} <= creator
    # Not required: curve group 5020, overlay groups other than 6000, PatientID.
    assert not {0x50200010, 0x60020010, 0x60020011, 0x00100020} & creator
    authorization = tags("+pa -t PatientName rich")
    assert authorization == creator - equipment
    assert not private & tags("+pc -t PatientName rich-no-creator-version")
    sr = tags("+pr -t PatientName sr")
    assert {0x00080016, 0x0020000D, 0x0020000E, 0x0040A730, 0x0040A040} <= sr
    assert 0x00080018 not in sr and 0x0040A493 not in sr
    assert {0x00080018, 0x0040A493, 0x0040A073} <= tags("+pv -t PatientName sr")


def test_forced_purpose_of_the_sr_verification_profile(signed: dict[str, Both]) -> None:
    for key in ("+pv sr", "+pv +sp 3 sr", "+pv +sp 5 sr"):
        for output in (signed[key].dcmtk.output, signed[key].ours.output):
            assert output is not None
            assert dicomsign.verify(output).signatures[-1].purpose == "5"


# -- where each profile is allowed ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["+si", "{key}", "{cert}", "ReferencedImageSequence[0]", profile, "{ct}", OUT]
        for profile in ("-pf", "+pb", "+pc", "+pa", "+pr", "+pv")
    ]
    + [[profile, "{ct}"] for profile in ("-pf", "+pb", "+pc", "+pa", "+pr", "+pv")]
    + [["+ra", profile, "{ct}", OUT] for profile in ("+pb", "+pc")]
    + [["+s", "{key}", "{cert}", policy, "{ct}", OUT] for policy in ("+rc", "+ru", "+rs")],
    ids=lambda a: " ".join(a),
)
def test_where_each_profile_is_allowed(
    args: list[str], pki: PKI, inputs: Inputs, tmp_path: Path
) -> None:
    values = {"key": pki.rsa2048.key, "cert": pki.rsa2048.cert, "ct": inputs["ct"]}
    both = run_both([a.format(**values) if a != OUT else a for a in args], tmp_path)
    assert both.same(), both.explain()
    allowed = args[0] == "+si" and args[4] in ("-pf", "+pb")
    assert both.dcmtk.code == (0 if allowed else 1)
    assert allowed or " only allowed with --" in both.dcmtk.stderr


def test_key_types_the_profiles_accept(pki: PKI, inputs: Inputs, tmp_path: Path) -> None:
    for identity, profile in itertools.product((pki.ec256, pki.dsa2048), ("-pf", "+pb", "+pc")):
        both = run_both(["+s", identity.key, identity.cert, profile, inputs["ct"], OUT], tmp_path)
        assert both.same(), both.explain()
        assert both.dcmtk.code == (0 if profile == "-pf" else 85)


# -- verification policies --------------------------------------------------------------------

POLICIES = ["+rc", "+ru", "+rs"]

#: Signing commands (their keys in ``signed``) whose outputs every policy is checked on.
POLICY_FILES = [
    "+pc rich",
    "+pc -t PatientName rich",
    "+pa -t PatientName rich",
    "+pr -t PatientName sr",
    "+pv -t PatientName sr",
    "+pr -t PatientName sr-unverified",
]


@pytest.mark.parametrize("key", POLICY_FILES)
def test_policies_on_profile_signatures(key: str, signed: dict[str, Both], pki: PKI) -> None:
    outputs = [signed[key].dcmtk.output, signed[key].ours.output]

    def codes(output: Path | None) -> list[int]:
        assert output is not None
        found = []
        for policy in POLICIES:
            both = verify_both(policy, *_trust(pki), output)
            assert both.same(), both.explain()
            found.append(both.dcmtk.code)
        return found

    theirs, mine = parallel(codes, outputs, workers=2)
    assert mine == theirs


@dataclass(frozen=True)
class PolicyCase:
    """A file made by both tools and the exit codes DCMTK gives for each policy."""

    name: str
    codes: dict[str, int]


#: dcmsign-behaviour.md §5.1 (the profile check ignores whether the signature is valid).
POLICY_CASES = [
    PolicyCase("ecdsa", {"+rc": 102, "+rs": 102}),
    PolicyCase("subset", {"+rc": 102, "+ru": 102}),
    PolicyCase("authorization", {"+rv": 0, "+rc": 102, "+ru": 0}),
    PolicyCase("sr-pr-subset-on-verified", {"+rv": 0, "+rs": 102}),
    PolicyCase("sr-pr-subset-on-unverified", {"+rs": 0}),
    PolicyCase("required-added-after-signing", {"+rv": 0, "+rc": 102, "+ru": 0}),
    PolicyCase("creator-tampered", {"+rc": 101}),
    PolicyCase("subset-tampered", {"+rv": 101, "+rc": 102}),
    PolicyCase("item-signature-only", {"+rg": 0, "+rc": 102}),
    PolicyCase("creator-and-corrupted-subset", {"+rc": 101, "+ru": 101}),
    PolicyCase("unsigned", {"+rv": 0, "+rg": 100, "+rc": 100, "+rs": 100}),
]


def _policy_file(name: str, who: str, pki: PKI, inputs: Inputs, work: Path) -> Path:
    sign = dcmtk_sign if who == "dcmtk" else ours_sign
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    out = work / f"{name}-{who}.dcm"
    if name == "ecdsa":
        sign("+s", pki.ec256.key, pki.ec256.cert, inputs["ct"], out)
    elif name in ("subset", "subset-tampered"):
        sign("+s", *rsa_id, "-t", "PatientName", "-t", "SOPInstanceUID", inputs["rich"], out)
    elif name == "authorization":
        # A selection: signing everything would include the General Equipment attributes.
        sign("+s", *rsa_id, "+pa", "-t", "PatientName", inputs["rich"], out)
    elif name == "sr-pr-subset-on-verified":
        sign("+s", *rsa_id, "+pr", "-t", "PatientName", inputs["sr"], out)
    elif name == "sr-pr-subset-on-unverified":
        sign("+s", *rsa_id, "+pr", "-t", "PatientName", inputs["sr-unverified"], out)
    elif name in ("required-added-after-signing", "creator-tampered"):
        sign("+s", *rsa_id, "+pc", inputs["ct"], out)
    elif name == "item-signature-only":
        sign("+si", *rsa_id, "ReferencedImageSequence[0]", inputs["ct"], out)
    elif name == "creator-and-corrupted-subset":
        first = work / f"{name}-{who}-1.dcm"
        sign("+s", *rsa_id, "+pc", "-t", "PatientName", inputs["rich"], first)
        sign("+s", *rsa_id, "-t", "0010,0020", first, out)
        dcmodify(out, "-m", "(0010,0020)=CHANGED")
    else:
        shutil.copy(inputs["ct"], out)
    if name == "required-added-after-signing":
        dcmodify(out, "-i", "(0008,0081)=Hospital Street 1")
    elif name in ("subset-tampered", "creator-tampered"):
        dcmodify(out, "-m", "(0010,0010)=Changed^Name")
    return out


@pytest.mark.parametrize("case", POLICY_CASES, ids=lambda c: c.name)
def test_policy_cases(case: PolicyCase, pki: PKI, inputs: Inputs, tmp_path: Path) -> None:
    files = [_policy_file(case.name, who, pki, inputs, tmp_path) for who in ("dcmtk", "ours")]
    for path in files:
        for policy, code in case.codes.items():
            both = verify_both(policy, *_trust(pki), path)
            assert both.same(), both.explain()
            assert both.dcmtk.code == code, (policy, both.explain())
            if code == 102:
                assert both.dcmtk.stderr.splitlines()[-1].startswith(
                    "E: No signature in this dataset fulfills the required "
                )
    theirs = verify_both("-v", "+rc", *_trust(pki), files[0]).dcmtk.stderr
    mine = verify_both("-v", "+rc", *_trust(pki), files[1]).dcmtk.stderr
    assert normalize(mine) == normalize(theirs)
