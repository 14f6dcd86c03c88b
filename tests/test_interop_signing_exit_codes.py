"""Every exit code the signing options can produce (item locations, ``-t``/``-tf``, profiles,
purposes, verification policies), asserted against DCMTK's for the same command line: same
exit code and the same stderr (the program header line aside), unless a scenario documents a
deliberate difference (README, "Deliberate differences")."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dcmtk import ours
from dicomsign.exitcodes import ExitCode
from pki import PKI
from signing_options import OUT, dcmodify, dcmtk_sign, run_both

L3 = "RequestAttributesSequence[0].ScheduledProtocolCodeSequence[0].ConceptNameCodeSequence[0]"


@dataclass(frozen=True)
class Files:
    """Inputs shared by the scenarios."""

    work: Path
    ct: Path
    nested: Path
    un: Path
    sr: Path
    sr_unverified: Path
    sr_no_series: Path
    signed_creator: Path
    signed_creator_tampered: Path
    signed_ecdsa: Path
    signed_subset: Path
    signed_old_format: Path
    tag_files: dict[str, Path]


#: Tag files: name -> content.
TAG_FILES = {
    "ok": "PatientName (0008,0016)\n\tSOPInstanceUID\n",
    "sscanf": "( 10,10) (8, 18)(0x20,0xd)(8,60junk) (0010,\n0020)",
    "nul": "PatientName\0$$$ garbage",
    "comma": "PatientName, (0010,0020)\n",
    "bare-tag": "PatientName 0008,0016",
    "unknown": "PatientNme",
    "unclosed": "(0008,0016",
    "underscore": "Patient_Name",
    "lowercase": "patientname",
    "newer": "SyntheticData",
    "retired-bare": "CurveData",
    "retired-spelled": "RETIRED_CurveData",
    "period": "PatientName.SOPInstanceUID",
    "index": "PatientName[0]",
    "space-before-comma": "(0010 ,0010)",
    "absent": "(0010,9997) PatientName (0010,9996)",
    "unsignable": "(0008,0060)",
    "empty": "",
    "blank": " \n\t ",
}


@pytest.fixture(scope="module")
def files(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Files:
    work = tmp_path_factory.mktemp("signing-exit-codes")
    rsa_id: list[str | Path] = [pki.rsa2048.key, pki.rsa2048.cert]
    ct = dicom_corpus["explicit_le"]
    sr = dicom_corpus["sr_document"]

    def variant(source: Path, label: str, *edits: str) -> Path:
        target = work / f"{label}.dcm"
        shutil.copy(source, target)
        return dcmodify(target, *edits)

    def signed(label: str, *args: str | Path, source: Path = ct) -> Path:
        target = work / f"{label}.dcm"
        dcmtk_sign(*args, source, target)
        return target

    creator = signed("creator", "+s", *rsa_id, "+pc")
    tag_files = {}
    for key, text in TAG_FILES.items():
        tag_files[key] = work / f"tags-{key}.txt"
        tag_files[key].write_bytes(text.encode("latin-1"))
    return Files(
        work=work,
        ct=ct,
        nested=dicom_corpus["nested_explicit_length"],
        un=dicom_corpus["un_defined_length"],
        sr=sr,
        sr_unverified=variant(sr, "sr-unverified", "-m", "(0040,a493)=UNVERIFIED"),
        sr_no_series=variant(sr, "sr-no-series", "-e", "(0020,000e)"),
        signed_creator=creator,
        signed_creator_tampered=variant(creator, "creator-tampered", "-m", "(0010,0010)=X"),
        signed_ecdsa=signed("ecdsa", "+s", pki.ec256.key, pki.ec256.cert),
        signed_subset=signed("subset", "+s", *rsa_id, "-t", "PatientName"),
        signed_old_format=signed(
            "old-format", "+s", *rsa_id, "-fo", source=dicom_corpus["rle_lossless"]
        ),
        tag_files=tag_files,
    )


Args = Callable[[Files, PKI], list[str | Path]]


@dataclass(frozen=True)
class Scenario:
    name: str
    code: ExitCode
    args: Args
    #: Our exit code when it differs from DCMTK's on purpose (README); stderr then differs.
    deliberate: ExitCode | None = None


def _sign(*options: str, source: str = "ct") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        return ["+s", p.rsa2048.key, p.rsa2048.cert, *options, getattr(f, source), OUT]

    return args


def _sign_item(location: str, *options: str, source: str = "nested") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        head: list[str | Path] = ["+si", p.rsa2048.key, p.rsa2048.cert, location]
        return [*head, *options, getattr(f, source), OUT]

    return args


def _tag_file(key: str, *options: str, source: str = "ct") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        head: list[str | Path] = ["+s", p.rsa2048.key, p.rsa2048.cert]
        return [*head, "-tf", f.tag_files[key], *options, getattr(f, source), OUT]

    return args


def _verify(*options: str, source: str = "signed_creator") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        return [*options, "+cf", p.root.cert, "+uf", p.rsa2048.chain, getattr(f, source)]

    return args


def _with_key(identity: str, *options: str, source: str = "ct") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        key = getattr(p, identity)
        return ["+s", key.key, key.cert, *options, getattr(f, source), OUT]

    return args


def _mismatch(*options: str, source: str = "ct") -> Args:
    def args(f: Files, p: PKI) -> list[str | Path]:
        return ["+s", p.rsa3072.key, p.rsa2048.cert, *options, getattr(f, source), OUT]

    return args


OK = ExitCode.NO_ERROR
SYNTAX = ExitCode.COMMANDLINE_SYNTAX_ERROR
TAG_FILE = ExitCode.CANNOT_READ_TAG_FILE
FAILED = ExitCode.SIGNATURE_CREATION_FAILED
TAG_SYNTAX = ExitCode.SYNTAX_ERROR_IN_TAG_FILE

SCENARIOS = [
    # item locations
    Scenario("item-depth-3", OK, _sign_item(L3)),
    Scenario("item-by-tags", OK, _sign_item("(0040,0275)[0].(0040,0008)[0]")),
    Scenario("item-unknown-keyword", FAILED, _sign_item("NoSuchSequence[0]")),
    Scenario("item-not-found", FAILED, _sign_item("(0008,1110)[0]")),
    Scenario("item-sequence-empty", FAILED, _sign_item("ReferencedImageSequence[0]")),
    Scenario("item-not-a-sequence", FAILED, _sign_item("PatientName[0]")),
    Scenario("item-index-too-large", FAILED, _sign_item("RequestAttributesSequence[2]")),
    Scenario("item-incomplete", FAILED, _sign_item("RequestAttributesSequence")),
    Scenario("item-parse-error", FAILED, _sign_item("RequestAttributesSequence[0] .X[0]")),
    Scenario("item-empty", FAILED, _sign_item("RequestAttributesSequence[1]")),
    Scenario("item-tag-absent", FAILED, _sign_item(L3, "-t", "PatientName")),
    Scenario(
        "item-mismatch",
        FAILED,
        lambda f, p: [
            "+si",
            p.rsa3072.key,
            p.rsa2048.cert,
            L3,
            f.nested,
            OUT,
        ],
    ),
    # -t
    Scenario("tag-ok", OK, _sign("-t", "8,18", "-t", "PatientName", "-t", "0x10,0x20")),
    Scenario("tag-retired-spelling", FAILED, _sign("-t", "RETIRED_CurveData")),
    Scenario("tag-absent", FAILED, _sign("-t", "0010,9999")),
    Scenario(
        "tag-absent-several",
        FAILED,
        _sign(
            "-t",
            "0010,9999",
            "-t",
            "PatientName",
            "-t",
            "0010,9998",
            "-t",
            "0010,9999",
        ),
    ),
    Scenario("tag-unsignable-un", FAILED, _sign("-t", "0008,0060", source="un")),
    Scenario("tag-unsignable-private-un", FAILED, _sign("-t", "0029,1008", source="un")),
    Scenario(
        "tag-unsignable-before-absent",
        FAILED,
        _sign(
            "-t",
            "0008,0005",
            "-t",
            "0028,0010",
            source="un",
        ),
    ),
    Scenario("tag-parenthesized", SYNTAX, _sign("-t", "(0010,0010)")),
    Scenario("tag-unknown", SYNTAX, _sign("-t", "NoSuchKeyword")),
    Scenario("tag-newer-keyword", SYNTAX, _sign("-t", "SyntheticData")),
    Scenario("tag-retired-bare", SYNTAX, _sign("-t", "CurveData")),
    Scenario("tag-current-spelled-retired", SYNTAX, _sign("-t", "RETIRED_DoseValue")),
    Scenario("tag-empty", SYNTAX, _sign("-t", "")),
    Scenario("tag-rightmost-unknown-reported", SYNTAX, _sign("-t", "Foo", "-t", "Bar")),
    # -tf
    Scenario("tag-file-ok", OK, _tag_file("ok", "-t", "0008,0060")),
    Scenario("tag-file-sscanf", OK, _tag_file("sscanf")),
    Scenario("tag-file-cut-at-nul", OK, _tag_file("nul")),
    Scenario(
        "tag-file-missing",
        TAG_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "-tf",
            f.work / "none.txt",
            f.ct,
            OUT,
        ],
    ),
    *[
        Scenario(f"tag-file-{key}", TAG_SYNTAX, _tag_file(key))
        for key in (
            "comma",
            "bare-tag",
            "unknown",
            "unclosed",
            "underscore",
            "lowercase",
            "newer",
            "retired-bare",
            "retired-spelled",
            "period",
            "index",
            "space-before-comma",
        )
    ],
    Scenario("tag-file-absent", FAILED, _tag_file("absent", "-t", "0010,9995")),
    Scenario("tag-file-unsignable", FAILED, _tag_file("unsignable", source="un")),
    # DCMTK signs an empty Data Elements Signed, which it cannot verify; we refuse.
    Scenario("tag-file-empty", OK, _tag_file("empty"), deliberate=FAILED),
    Scenario("tag-file-blank", OK, _tag_file("blank"), deliberate=FAILED),
    # profiles
    Scenario("profile-base-ec", FAILED, _with_key("ec256", "+pb")),
    Scenario("profile-creator-dsa", FAILED, _with_key("dsa2048", "+pc")),
    Scenario("profile-none-ec", OK, _with_key("ec256", "-pf")),
    Scenario("profile-sr-on-ct", FAILED, _sign("+pr")),
    Scenario("profile-srv-on-ct", FAILED, _sign("+pv")),
    Scenario("profile-sr-warning", OK, _sign("+pr", source="sr")),
    Scenario("profile-srv-unverified", FAILED, _sign("+pv", source="sr_unverified")),
    Scenario("profile-sr-required-missing", FAILED, _sign("+pr", source="sr_no_series")),
    Scenario("profile-creator-required-unsignable", FAILED, _sign("+pc", source="un")),
    Scenario("profile-auth-warning", OK, _sign("+pa", "-t", "PatientName")),
    Scenario("profile-srv-purpose-warning", OK, _sign("+pv", "+sp", "3", source="sr")),
    Scenario(
        "profile-srv-warning-then-absent",
        FAILED,
        _sign(
            "+pv",
            "+sp",
            "3",
            "-t",
            "0010,9999",
            source="sr",
        ),
    ),
    Scenario("profile-unsuitable-before-mismatch", FAILED, _mismatch("+pr")),
    Scenario("profile-warning-then-mismatch", FAILED, _mismatch("+pr", source="sr")),
    Scenario(
        "profile-mismatch-before-key-type",
        FAILED,
        lambda f, p: [
            "+s",
            p.ec256.key,
            p.rsa2048.cert,
            "+pb",
            f.ct,
            OUT,
        ],
    ),
    Scenario("profile-creator-sign-item", SYNTAX, _sign_item(L3, "+pc")),
    Scenario("profile-auth-sign-item", SYNTAX, _sign_item(L3, "+pa")),
    Scenario("profile-sr-sign-item", SYNTAX, _sign_item(L3, "+pr")),
    Scenario("profile-srv-sign-item", SYNTAX, _sign_item(L3, "+pv")),
    Scenario("profile-base-sign-item", OK, _sign_item(L3, "+pb")),
    Scenario("profile-with-verify", SYNTAX, _verify("+pb")),
    # purposes
    Scenario("purpose-18", OK, _sign("+sp", "18")),
    Scenario("purpose-0", SYNTAX, _sign("+sp", "0")),
    Scenario("purpose-19", SYNTAX, _sign("+sp", "19")),
    Scenario("purpose-text", SYNTAX, _sign("+sp", "x")),
    Scenario("purpose-with-verify", SYNTAX, _verify("+sp", "3")),
    Scenario("list-purposes", OK, lambda f, p: ["+lp"]),
    # verification policies
    Scenario("policy-creator-ok", OK, _verify("+rc")),
    Scenario("policy-auth-ok", OK, _verify("+ru")),
    Scenario(
        "policy-creator-ecdsa",
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
        _verify(
            "+rc",
            source="signed_ecdsa",
        ),
    ),
    Scenario(
        "policy-auth-subset",
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
        _verify(
            "+ru",
            source="signed_subset",
        ),
    ),
    Scenario("policy-sr-on-ct", ExitCode.SIGNATURE_VERIFICATION_POLICY, _verify("+rs")),
    Scenario(
        "policy-creator-tampered",
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        _verify(
            "+rc",
            source="signed_creator_tampered",
        ),
    ),
    Scenario(
        "policy-sr-tampered",
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
        _verify(
            "+rs",
            source="signed_creator_tampered",
        ),
    ),
    Scenario("policy-unsigned", ExitCode.NO_SIGNATURES_PRESENT, _verify("+ru", source="ct")),
    Scenario("policy-with-sign", SYNTAX, _sign("+rc")),
    Scenario(
        "format-old-needed",
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        _verify(
            "-fn",
            source="signed_old_format",
        ),
    ),
    Scenario("format-old", OK, _verify("-fo", source="signed_old_format")),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_exit_code_and_messages_match_dcmtk(
    scenario: Scenario, files: Files, pki: PKI, tmp_path: Path
) -> None:
    both = run_both(scenario.args(files, pki), tmp_path)
    assert both.dcmtk.code == scenario.code, both.explain()
    assert "Traceback" not in both.ours.stderr
    if scenario.deliberate is None:
        assert both.same(), both.explain()
    else:
        assert both.ours.code == scenario.deliberate, both.explain()
        assert both.ours.output is not None and not both.ours.output.exists()


def test_every_exit_code_of_the_signing_options_is_covered() -> None:
    assert {s.code for s in SCENARIOS} == {
        ExitCode.NO_ERROR,
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        ExitCode.CANNOT_READ_TAG_FILE,
        ExitCode.SIGNATURE_CREATION_FAILED,
        ExitCode.SYNTAX_ERROR_IN_TAG_FILE,
        ExitCode.NO_SIGNATURES_PRESENT,
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
    }


def test_timestamp_query_is_written_with_the_signature(
    files: Files, pki: PKI, tmp_path: Path
) -> None:
    # +ts signs and writes its query and UID files (tests/test_interop_tsp.py has the rest).
    out, query, uid = tmp_path / "out.dcm", tmp_path / "q.tsq", tmp_path / "u.uid"
    done = ours("+s", pki.rsa2048.key, pki.rsa2048.cert, "+ts", query, uid, files.ct, out)
    assert done.returncode == ExitCode.NO_ERROR and done.stderr == ""
    assert out.exists() and query.exists() and uid.exists()
