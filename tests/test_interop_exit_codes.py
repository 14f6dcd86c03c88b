"""Every exit code our ``dcmsign`` can produce, asserted against DCMTK's for the same command
line: same exit code and, unless a scenario says otherwise, the same stderr text."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dcmtk import dcmtk, ours
from dicomsign.exitcodes import ExitCode
from pki import PKI


@dataclass(frozen=True)
class Files:
    """Inputs shared by the scenarios."""

    work: Path
    unsigned: Path
    signed: Path
    tampered: Path
    ecdsa_signed: Path
    jpeg: Path
    no_mac_id: Path
    tag_file_bad: Path
    empty: Path
    truncated: Path


@pytest.fixture(scope="session")
def files(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Files:
    work = tmp_path_factory.mktemp("exitcodes")
    unsigned = dicom_corpus["explicit_le"]
    signed = work / "signed.dcm"
    done = dcmtk("dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, "+m2", unsigned, signed)
    assert done.returncode == 0, done.stderr
    tampered = work / "tampered.dcm"
    shutil.copy(signed, tampered)
    assert (
        dcmtk("dcmodify", "-nb", "-q", "-m", "(0010,0010)=Changed^Name", tampered).returncode == 0
    )
    ecdsa = work / "ecdsa.dcm"
    done = dcmtk("dcmsign", "+s", pki.ec256.key, pki.ec256.cert, unsigned, ecdsa)
    assert done.returncode == 0, done.stderr
    no_mac_id = work / "no-mac-id.dcm"
    shutil.copy(signed, no_mac_id)
    assert (
        dcmtk("dcmodify", "-nb", "-q", "-e", "(fffa,fffa)[0].(0400,0005)", no_mac_id).returncode
        == 0
    )
    bad = work / "tags.txt"
    bad.write_text("PatientName, (0010,0020)\n")
    empty = work / "empty.dcm"
    empty.write_bytes(b"")
    return Files(
        work,
        unsigned,
        signed,
        tampered,
        ecdsa,
        dicom_corpus["jpeg_baseline"],
        no_mac_id,
        bad,
        empty,
        dicom_corpus["truncated"],
    )


def _dangling_link(f: Files) -> Path:
    """A symbolic link to a file in a missing folder (DCMTK writes through links)."""
    link = f.work / "dangling.dcm"
    if not link.is_symlink():
        link.symlink_to(f.work / "no-dir" / "x.dcm")
    return link


def _uid(path: Path) -> str:
    out = dcmtk("dcmdump", "-q", "+P", "0400,0100", path).stdout
    return out.split("[", 1)[1].split("]", 1)[0]


@dataclass(frozen=True)
class Scenario:
    name: str
    code: ExitCode
    args: Callable[[Files, PKI], list[str | Path]]
    same_text: bool = True
    #: Only the last stderr line must match (DCMTK's parser logs details we do not copy).
    same_last_line: bool = False


SCENARIOS = [
    Scenario(
        "verify-ok",
        ExitCode.NO_ERROR,
        lambda f, p: ["+cf", p.rsa2048.root, "+uf", p.rsa2048.chain, f.signed],
    ),
    Scenario("verify-unsigned", ExitCode.NO_ERROR, lambda f, p: [f.unsigned]),
    Scenario(
        "remove-all-nothing", ExitCode.NO_ERROR, lambda f, p: ["+ra", f.unsigned, f.work / "ra.dcm"]
    ),
    Scenario(
        "bad-option",
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        lambda f, p: ["--no-such-option", f.signed],
        same_text=False,
    ),
    Scenario(
        "verify-with-output",
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        lambda f, p: [f.signed, f.work / "x.dcm"],
        same_text=False,
    ),
    Scenario(
        "purpose-out-of-range",
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "+sp",
            "19",
            f.unsigned,
            f.work / "x.dcm",
        ],
        same_text=False,
    ),
    Scenario(
        "unknown-tag",
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "-t",
            "NoSuchKeyword",
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario(
        "missing-input", ExitCode.CANNOT_READ_INPUT_FILE, lambda f, p: [f.work / "missing.dcm"]
    ),
    Scenario(
        "garbage-input",
        ExitCode.CANNOT_READ_INPUT_FILE,
        lambda f, p: [f.tag_file_bad],
        same_text=True,
        same_last_line=True,
    ),
    Scenario("directory-input", ExitCode.CANNOT_READ_INPUT_FILE, lambda f, p: [f.work]),
    Scenario("empty-input", ExitCode.CANNOT_READ_INPUT_FILE, lambda f, p: [f.empty]),
    # DCMTK logs its parser's details first and then "Invalid stream"; we give one F: line.
    Scenario(
        "truncated-input",
        ExitCode.CANNOT_READ_INPUT_FILE,
        lambda f, p: [f.truncated],
        same_text=True,
    ),
    Scenario(
        "missing-key",
        ExitCode.CANNOT_READ_INPUT_FILE,
        lambda f, p: ["+s", f.work / "nokey.pem", p.rsa2048.cert, f.unsigned, f.work / "x.dcm"],
    ),
    Scenario(
        "garbage-certificate",
        ExitCode.CANNOT_READ_INPUT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, f.tag_file_bad, f.unsigned, f.work / "x.dcm"],
    ),
    Scenario(
        "wrong-password",
        ExitCode.CANNOT_READ_INPUT_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key_encrypted_pkcs8,
            p.rsa2048.cert,
            "+pw",
            "wrong",
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario("empty-filename", ExitCode.NO_INPUT_FILES, lambda f, p: [""]),
    Scenario(
        "missing-tag-file",
        ExitCode.CANNOT_READ_TAG_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "-tf",
            f.work / "none.txt",
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario(
        "unwritable-output",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, p.rsa2048.cert, f.unsigned, f.work / "no-dir" / "x.dcm"],
    ),
    Scenario(
        "output-is-a-directory",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, p.rsa2048.cert, "+m2", f.unsigned, f.work],
    ),
    Scenario(
        "output-is-a-dangling-link",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, p.rsa2048.cert, f.unsigned, _dangling_link(f)],
    ),
    Scenario(
        "remove-output-is-a-directory",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+ra", f.signed, f.work],
    ),
    Scenario(
        "remove-output-in-a-missing-folder",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+ra", f.signed, f.work / "no-dir" / "x.dcm"],
    ),
    Scenario(
        "impossible-conversion",
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, p.rsa2048.cert, "+te", f.jpeg, f.work / "x.dcm"],
    ),
    Scenario(
        "unwritable-dump",
        ExitCode.CANNOT_WRITE_SUPPORT_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "+d",
            f.work / "no-dir" / "d",
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario(
        "dump-is-a-directory",
        ExitCode.CANNOT_WRITE_SUPPORT_FILE,
        lambda f, p: ["+s", p.rsa2048.key, p.rsa2048.cert, "+d", f.work, f.unsigned, f.work / "x"],
    ),
    Scenario(
        "dump-is-a-dangling-link",
        ExitCode.CANNOT_WRITE_SUPPORT_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "+d",
            _dangling_link(f),
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario(
        "remove-without-mac-id",
        ExitCode.SIGNATURE_REMOVAL_FAILED,
        lambda f, p: ["+r", _uid(f.no_mac_id), f.no_mac_id, f.work / "x.dcm"],
    ),
    Scenario(
        "remove-unknown-uid",
        ExitCode.SIGNATURE_UID_NOT_FOUND,
        lambda f, p: ["+r", "1.2.3.4", f.signed, f.work / "x.dcm"],
    ),
    Scenario(
        "key-certificate-mismatch",
        ExitCode.SIGNATURE_CREATION_FAILED,
        lambda f, p: ["+s", p.rsa3072.key, p.rsa2048.cert, f.unsigned, f.work / "x.dcm"],
    ),
    Scenario(
        "absent-tag",
        ExitCode.SIGNATURE_CREATION_FAILED,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "-t",
            "0010,9999",
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario(
        "profile-needs-rsa",
        ExitCode.SIGNATURE_CREATION_FAILED,
        lambda f, p: ["+s", p.ec256.key, p.ec256.cert, "+pb", f.unsigned, f.work / "x.dcm"],
    ),
    Scenario(
        "tag-file-syntax",
        ExitCode.SYNTAX_ERROR_IN_TAG_FILE,
        lambda f, p: [
            "+s",
            p.rsa2048.key,
            p.rsa2048.cert,
            "-tf",
            f.tag_file_bad,
            f.unsigned,
            f.work / "x.dcm",
        ],
    ),
    Scenario("require-signature", ExitCode.NO_SIGNATURES_PRESENT, lambda f, p: ["+rg", f.unsigned]),
    Scenario(
        "tampered",
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        lambda f, p: ["+cf", p.rsa2048.root, "+uf", p.rsa2048.chain, f.tampered],
    ),
    Scenario("untrusted", ExitCode.SIGNATURE_VERIFICATION_FAILED, lambda f, p: [f.signed]),
    Scenario(
        "corrupted-signature-attributes",
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        lambda f, p: [f.no_mac_id],
    ),
    Scenario(
        "creator-profile-unmet",
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
        lambda f, p: ["+rc", "+cf", p.ec256.root, "+uf", p.ec256.chain, f.ecdsa_signed],
    ),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_exit_code_and_messages_match_dcmtk(scenario: Scenario, files: Files, pki: PKI) -> None:
    args = scenario.args(files, pki)
    theirs = dcmtk("dcmsign", *args)
    mine = ours(*args)
    assert theirs.returncode == scenario.code, theirs.stderr
    assert mine.returncode == scenario.code, mine.stderr
    if scenario.same_text:
        assert mine.stderr == theirs.stderr
    if not scenario.same_text:
        assert mine.stderr.count("\n") == 1 or scenario.code == ExitCode.COMMANDLINE_SYNTAX_ERROR
    if scenario.same_last_line:
        assert mine.stderr.splitlines()[-1] == theirs.stderr.splitlines()[-1]
    assert "Traceback" not in mine.stderr


def test_every_exit_code_of_this_issue_is_covered() -> None:
    covered = {s.code for s in SCENARIOS}
    expected = {
        ExitCode.NO_ERROR,
        ExitCode.COMMANDLINE_SYNTAX_ERROR,
        ExitCode.CANNOT_READ_INPUT_FILE,
        ExitCode.NO_INPUT_FILES,
        ExitCode.CANNOT_READ_TAG_FILE,
        ExitCode.CANNOT_WRITE_OUTPUT_FILE,
        ExitCode.CANNOT_WRITE_SUPPORT_FILE,
        ExitCode.SIGNATURE_REMOVAL_FAILED,
        ExitCode.SIGNATURE_UID_NOT_FOUND,
        ExitCode.SIGNATURE_CREATION_FAILED,
        ExitCode.SYNTAX_ERROR_IN_TAG_FILE,
        ExitCode.NO_SIGNATURES_PRESENT,
        ExitCode.SIGNATURE_VERIFICATION_FAILED,
        ExitCode.SIGNATURE_VERIFICATION_POLICY,
    }
    assert expected <= covered


def test_no_output_is_left_behind_after_a_failure(files: Files, pki: PKI) -> None:
    out = files.work / "never.dcm"
    dump = files.work / "never.stream"
    mine = ours("+s", pki.rsa3072.key, pki.rsa2048.cert, "+d", dump, files.unsigned, out)
    assert mine.returncode == ExitCode.SIGNATURE_CREATION_FAILED
    assert not out.exists()
    assert not dump.exists()
    assert not [p for p in files.work.iterdir() if p.name.startswith(".dicomsign-")]


def test_outputs_are_written_through_symbolic_links(files: Files, pki: PKI) -> None:
    """DCMTK opens its output and dump files through symbolic links: the links stay, their
    targets get the content."""
    for tool, run in (("dcmtk", lambda *a: dcmtk("dcmsign", *a)), ("ours", ours)):
        directory = files.work / f"links-{tool}"
        directory.mkdir()
        out, dump = directory / "out.dcm", directory / "dump.bin"
        out.symlink_to("signed-target.dcm")
        dump.symlink_to(directory / "dump-target.bin")
        args = ["+s", pki.rsa2048.key, pki.rsa2048.cert, "+m2", "+d", dump, files.unsigned, out]
        done = run(*args)
        assert done.returncode == 0, (tool, done.stderr)
        assert out.is_symlink() and dump.is_symlink(), tool
        assert (directory / "signed-target.dcm").stat().st_size > 0, tool
        assert (directory / "dump-target.bin").stat().st_size > 0, tool
        removed = run("+ra", out, out)
        assert removed.returncode == 0 and out.is_symlink(), (tool, removed.stderr)
        assert sorted(p.name for p in directory.iterdir()) == [
            "dump-target.bin",
            "dump.bin",
            "out.dcm",
            "signed-target.dcm",
        ]
        assert dcmtk("dcmsign", "+rg", out).returncode == ExitCode.NO_SIGNATURES_PRESENT
