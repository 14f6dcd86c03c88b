"""Tests of the DCMTK-compatible command line (``dicomsign.cli``) and logger (``dicomsign.log``).

Most tests run the real DCMTK 3.6.7 ``/usr/bin/dcmsign`` and our parser on the same arguments
and compare exit codes and texts (the program header line differs by design).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import io
import os
import random
import re
import shlex
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pydicom
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from dicomsign.cli.dcmsign.cmdline import (
    ApplicationExit,
    CommandLineFailure,
    CommandLineSpec,
    ConsoleApplication,
    FindMode,
    OptionSpec,
    ParseStatus,
    ValueStatus,
    expand_command_files,
    parse_command_line,
    tokenize_command_file,
)
from dicomsign.cli.dcmsign.options import (
    CertificateSource,
    Command,
    DcmsignOptions,
    DcmsignParseHooks,
    KeyFormat,
    build_dcmsign_spec,
    default_version,
    evaluate_dcmsign_args,
    parse_dcmsign_args,
    parse_tag_argument,
)
from dicomsign.exceptions import (
    CommandLineError,
    DicomSignError,
    SupportFileError,
    TagFileError,
)
from dicomsign.exitcodes import ExitCode
from dicomsign.log import DcmtkLogger, LogLevel, parse_log_level
from dicomsign.purposes import CODING_SCHEME_DESIGNATOR, SignaturePurpose, purpose_list_text
from dicomsign.signers.passwords import Password
from dicomsign.vocabulary import (
    MacAlgorithm,
    Profile,
    ReadMode,
    ReadTransferSyntax,
    TimestampPolicy,
    VerificationPolicy,
    WriteTransferSyntax,
)

DCMTK = "/usr/bin/dcmsign"
DCMTK_ID = "$dcmtk: dcmsign v3.6.7 2022-04-22 $"
VERSION = "9.8.7"
DATE = "2001-02-03"
OUR_ID = f"$dicomsign: dcmsign v{VERSION} {DATE} $"
DCMTK_DICT = Path("/usr/share/libdcmtk17/dicom.dic")


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_dcmtk(argv: Sequence[str], cwd: Path) -> Outcome:
    proc = subprocess.run(
        ["dcmsign", *argv],
        executable=DCMTK,
        capture_output=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Outcome(
        proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "surrogateescape"),
    )


def run_ours(
    argv: Sequence[str], cwd: Path, hooks: DcmsignParseHooks | None = None
) -> tuple[DcmsignOptions | int, Outcome]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd):
        try:
            result = parse_dcmsign_args(
                argv,
                stdout=out,
                stderr=err,
                version=VERSION,
                release_date=DATE,
                hooks=hooks,
            )
        except DicomSignError as exc:
            result = int(exc.exit_code)
    code = result if isinstance(result, int) else -1
    outcome = Outcome(
        code,
        out.getvalue().replace(OUR_ID, DCMTK_ID),
        err.getvalue().replace(OUR_ID, DCMTK_ID),
    )
    return result, outcome


def _make_key_and_certificate(directory: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dicomsign cli test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4711)
        .not_valid_before(now - datetime.timedelta(days=30))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def _make_tiny_dataset(path: Path) -> None:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "1.2.826.0.1.3680043.2.1143.4711"
    ds.PatientName = "Test^Pat"
    ds.PatientID = "123"
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(path, enforce_file_format=True)


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with command files, log configs, a key, a certificate and a tiny dataset."""
    directory = tmp_path_factory.mktemp("cli")
    files = {
        "cmdf1": '--arguments\r\n-t\t"a b"  -t \'c d\'\n-t "" -t x#y -t "e\'f" -t ab"cd"ef'
        ' -t \'"\' -t a"b c"d -t "unterminated x\n',
        "cmdf2": '-t "',
        "cmdf3": '-t "x\n',
        "cmdf4": "--arguments @cmdf2",
        "cmdf5": "--sign key.pem cert.pem\n-t 'SOPInstanceUID' --mac-sha256",
        "empty": "",
        "tags.txt": "PatientName (0010,0020)\n",
        "fatal.cfg": "log4cplus.rootLogger=FATAL\n",
        "error.cfg": "log4cplus.rootLogger=ERROR\n",
        "l1.cfg": "foo=bar\n",
        "l2.cfg": "log4cplus.foo=bar\n",
        "l5.cfg": "# c\n\n",
        "l7.cfg": "log4cplus.rootLogger:INFO\n",
    }
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8", newline="")
    (directory / "emptydir").mkdir()
    _make_key_and_certificate(directory)
    _make_tiny_dataset(directory / "tiny.dcm")
    return directory


# Command lines whose complete outcome (exit code, stdout, stderr) must match DCMTK.
SAME_AS_DCMTK = """
-h
--help x y z
--foo x
x +s k
-v
a b c
@nofile x
--foo @nofile
+sp 19 x
+s "" c in out
--arguments -q a
--arguments a
--arguments
-q --foo
--arguments -ll fatal a
--arguments -h
--arguments --foo
--arguments a b c
--arguments +s k c in
-ll foo x
-ll "" x
-ll fatal x
-ll warning x
-q x
-v x
-d x
-lc nofile x
-lc /dev/null x
--arguments -ll foo x
-q +sp 19 x
-q -ll foo x
-q -ll info x
-d -ll warn x
-d -v x
-v -d x
-q -d x
-d -q x
-q -v +sp 19 x
-v -q +sp 19 x
-d +sp 19 x
--arguments -lc nofile x
-lc nofile -ll info x
-ll info -lc nofile x
-q -lc nofile x
-v -lc l1.cfg x
-ll TRACE x
-ll Warn x
-ll off x
-ll all +sp 19 x
-ll error +sp 19 x
-ll fatal +sp 19 x
-ll off +sp 19 x
--arguments -ll off x
--arguments ''
--arguments +s -x c in out
--arguments -5
-h --foo
--foo -h
--arguments -- x
--verif x
--sign=k x
+x
--arguments in -
+lp +s
+s k c +sp 0 in out
+s k c +sp 19 in out
+s k c +sp abc in out
+s k c +sp -1 in out
+s k c +sp 5abc in out
+s k c +sp " 7" in out
+s k c +sp 0x5 in out
+s k c +sp "" in out
+s k c +sp +5 in out
+s k c +sp 18446744073709551615 in out
+s k c +sp 18446744073709551616 in out
+s k c +sp "  " in out
+s k c +sp " -1" in out
+s k c +sp -0 in out
+s k c +sp +0 in out
+s k c +sp +-1 in out
+s k c +sp 1- in out
+s k c +sp 007 in out
+s k c -t Foo -t Bar in out
-t Foo -t Bar in
-q -t Foo in
-ll off -t Foo in
+s k c -t Foo +sp 0 in out
+s k c -fo -t Foo in out
+s k c +pa in out
-v +s k c +pa -t PatientName in out
+rc +s k c in out
+s k c +rc in out
+rv +rg +s k c in out
+rg +rv +s k c in out
+pc +si k c l in out
+si k c l +pb in out
-pf in
+d dump in
+tm2 +s k c in out
+t q r u +tm3 +tn -tc +tp 1.2 in out
+t q r u -ts in out
+s k c +ts q u -ts +tm2 in out
+s k c -ts +ts q u +tm2 in out
+t q r u +s k c +tm5 in out
-te in
-f -te in
-te -f in
-f -te +f in
-t= -te -f in
-te -t= in
-td -te -f in
-te -f -td in
--verify +s k c in
+s k c --verify in out
+s k c --verify in
+r uid +s k c in
+ra in
+ra in out
+r u in
+r u in out
+t q r in
+t q r u in
+si k c in out
+si k c l in
in ""
+cf a +uf b +cd c +cr d +cl in
+cf a +s k c in out
+s k c +cf a in out
+s k c +uf a in out
+s k c +cd a in out
+s k c +cr x in out
+s k c +cl in out
+ps in
+s k c +pw secret -pw +ps in out
-pw in
+mr in
+s k c +m2 +m3 +mm in out
-sp in
+s k c -sp +sp 3 in out
+s k c +sp 3 -sp in out
-fo -fn in
+uc -uc in
+te +tb +ti +t= -e +e in
-tp in
+tp x in
-tn in
+tc in
+s k c +tp x in out
+s k c +ts q u +tp 1.2.3 -tn -tc +tms in out
+s k c -t PatientName -t 0010,0020 -t 8,18 in out
+s k c -t "(0010,0010)" in out
+s k c -t patientname in out
+s k c -t "" in out
+si k c l +pv in out
+s k c +pv +pr +pa +pc +pb -pf in out
+s k c -pf +pb +pc +pa +pr +pv in out
+ra +pc in out
-t Foo -h
-h --version
-ll error +sp 19 x
-v -q +sp 19 x
@cmdf1 x
@cmdf1 x y
--arguments @cmdf2 x
--arguments @cmdf2 x y
--arguments @cmdf3 x
@cmdf4
--arguments @ x
--arguments @emptydir x
--arguments @empty x
@empty
--arguments +s @cmdf4 c @empty out
@cmdf5 in
@cmdf5 in out
-lc error.cfg +sp 19 x
-lc l1.cfg x
-lc l2.cfg x
-lc l5.cfg x
-lc l7.cfg x
-lc emptydir x
-lc "" x
--arguments -lc l1.cfg x
-ll foo -ll info x
-ll info -ll foo x
"""


def _cases(block: str) -> list[list[str]]:
    return [shlex.split(line) for line in block.strip().splitlines()]


def _ids(cases: Sequence[Sequence[str]]) -> list[str]:
    return [shlex.join(case) or "(none)" for case in cases]


def _assert_same_as_dcmtk(argv: Sequence[str], cwd: Path, hooks: DcmsignParseHooks | None) -> None:
    result, ours = run_ours(argv, cwd, hooks)
    real = run_dcmtk(argv, cwd)
    if isinstance(result, int):
        assert (ours.code, ours.stdout, ours.stderr) == (real.code, real.stdout, real.stderr)
        return
    # The command line was accepted: DCMTK went on and failed to read the missing input.
    assert ours.stdout == real.stdout == ""
    assert real.stderr.startswith(ours.stderr)
    tail = real.stderr[len(ours.stderr) :]
    if result.input_file:
        assert real.code == ExitCode.CANNOT_READ_INPUT_FILE
        fatal = f"F: No such file or directory: reading file: {result.input_file}\n"
    else:
        assert real.code == ExitCode.NO_INPUT_FILES
        fatal = "F: invalid filename: <empty string>\n"
    if result.log_level <= LogLevel.FATAL:
        assert tail.endswith(fatal)
    else:
        assert tail == ""


@pytest.mark.parametrize("argv", _cases(SAME_AS_DCMTK), ids=_ids(_cases(SAME_AS_DCMTK)))
def test_same_outcome_as_dcmtk(argv: list[str], workdir: Path) -> None:
    _assert_same_as_dcmtk(argv, workdir, None)


def test_no_arguments_prints_usage(workdir: Path) -> None:
    result, ours = run_ours([], workdir)
    real = run_dcmtk([], workdir)
    assert result == 0
    assert (ours.code, ours.stdout, ours.stderr) == (real.code, real.stdout, real.stderr)
    assert ours.stdout.startswith(DCMTK_ID + "\n\ndcmsign: Sign and Verify DICOM Files\nusage:")


def test_help_body_is_dcmtk_byte_for_byte(workdir: Path) -> None:
    real = run_dcmtk(["-h"], workdir)
    out = io.StringIO()
    assert parse_dcmsign_args(["-h"], stdout=out, version=VERSION, release_date=DATE) == 0
    ours = out.getvalue()
    assert ours.splitlines(keepends=True)[0] == OUR_ID + "\n"
    assert real.stdout.splitlines(keepends=True)[0] == DCMTK_ID + "\n"
    assert ours.splitlines(keepends=True)[1:] == real.stdout.splitlines(keepends=True)[1:]
    assert "  +pw   --use-passwd           [p]assword: string \n" in ours


def test_list_purposes_matches_dcmtk_after_host_lines(workdir: Path) -> None:
    real = run_dcmtk(["+lp"], workdir)
    result, ours = run_ours(["+lp", "x", "y", "z"], workdir)
    assert result == 0 == real.code
    marker = "\nDigital Signature Purpose Codes:\n"
    assert (
        ours.stdout[ours.stdout.index(marker) - 1 :] == real.stdout[real.stdout.index(marker) - 1 :]
    )
    assert ours.stdout.endswith(purpose_list_text())
    head = ours.stdout[: ours.stdout.index(marker)]
    assert head.startswith(DCMTK_ID + "\n\ndcmsign: Sign and Verify DICOM Files\n\nHost type: ")
    assert "Character encoding: " in head and "Build options: " in head
    assert ours.stderr == real.stderr == ""


def test_version_describes_our_build(workdir: Path) -> None:
    real = run_dcmtk(["--version", "a", "b", "c"], workdir)
    result, ours = run_ours(["--version", "+lp", "a", "b", "c"], workdir)
    assert result == real.code == 0
    assert ours.stderr == real.stderr == ""
    lines = ours.stdout.splitlines()
    assert lines[:4] == [DCMTK_ID, "", "dcmsign: Sign and Verify DICOM Files", ""]
    assert [line.split(":")[0] for line in lines[4:7]] == [
        "Host type",
        "Character encoding",
        "Build options",
    ]
    assert lines[7:9] == ["", "External libraries used:"]
    assert lines[9] == f"- pydicom, Version {pydicom.__version__}"
    assert lines[10].startswith("- cryptography, Version ")
    assert "OpenSSL" in lines[11]
    # DCMTK's layout is the same up to the library list.
    real_lines = real.stdout.splitlines()
    assert real_lines[:4] == lines[:4] and real_lines[7:9] == lines[7:9]


def test_header_version_defaults() -> None:
    assert default_version()
    out = io.StringIO()
    assert parse_dcmsign_args(["-h"], stdout=out) == 0
    assert re.match(r"\$dicomsign: dcmsign v\S+ \d{4}-\d{2}-\d{2} \$\n\n", out.getvalue())


def test_arguments_masks_the_password(workdir: Path) -> None:
    argv = ["--arguments", "+s", "k", "c", "+pw", "secret", "in", "out"]
    result, ours = run_ours(argv, workdir)
    real = run_dcmtk(argv, workdir)
    assert isinstance(result, DcmsignOptions)
    assert result.password == Password.given("secret") and "secret" not in repr(result)
    assert "'--use-passwd' 'secret'" in real.stderr
    assert "secret" not in ours.stderr
    assert ours.stderr == real.stderr.replace("'secret'", "'********'").split("F: ")[0]


def test_arguments_uses_the_program_name() -> None:
    err = io.StringIO()
    result = parse_dcmsign_args(["--arguments", "x"], stderr=err, prog="/usr/bin/dcmsign")
    assert isinstance(result, DcmsignOptions)
    assert (
        err.getvalue()
        == "I: calling '/usr/bin/dcmsign' with 2 arguments: '--arguments' 'x' \nI: \n"
    )


class DcmtkLikeHooks(DcmsignParseHooks):
    """Test hooks doing what DCMTK does at these moments (messages as DCMTK prints them)."""

    def __init__(self, logger: DcmtkLogger) -> None:
        self.calls: list[tuple[str, str]] = []
        self.logger = logger

    def add_certificate_source(
        self, source: CertificateSource, path: str, key_format: KeyFormat
    ) -> None:
        self.calls.append((source.value, path))
        if source is CertificateSource.TRUSTED_DIRECTORY:
            if not path:
                self.logger.warning(
                    f"unable to load certificates from directory '{path}', ignoring"
                )
            return
        crl = source is CertificateSource.CRL_FILE
        marker = b"-----BEGIN X509 CRL" if crl else b"-----BEGIN CERTIFICATE"
        try:
            content = Path(path).read_bytes()
        except OSError:
            content = None
        # DCMTK accepts an untrusted-certificate file without certificates in it.
        untrusted = source is CertificateSource.UNTRUSTED_FILE
        loadable = content is not None and (untrusted or marker in content)
        if not loadable:
            kind = "CRL file" if crl else "certificate file"
            self.logger.warning(f"unable to load {kind} '{path}', ignoring")

    def read_tag_file(self, path: str) -> Sequence[int] | None:
        self.calls.append(("-tf", path))
        if not os.path.isfile(path):
            self.logger.error(f"file not found: {path}")
            self.logger.fatal(f"Error while reading tag file '{path}', giving up.")
            raise TagFileError("file not found", exit_code=ExitCode.CANNOT_READ_TAG_FILE)
        return [0x00100010]

    def open_dump_file(self, path: str) -> None:
        self.calls.append(("+d", path))
        try:
            Path(path).write_bytes(b"")
        except OSError as exc:
            self.logger.fatal(f"unable to create dump file '{path}'")
            raise SupportFileError("unable to create dump file") from exc


WITH_HOOKS = """
+cf a +cf b +uf c +cd d +cr e +cr f -tf nofile x
+cd emptydir +cr emptydir x
-q +cf a x
+cf a -t Foo x
-tf nofile -t Foo x
+s k c -tf nofile -tf nofile2 in out
+s k c -tf nofile +d /nonexistent/dump in out
+s k c +d /nonexistent/dump -t Foo in out
+s k c +d /nonexistent/dump +sp 0 in out
+s k c +d /nonexistent/dump +tm2 in out
+s k c +d /nonexistent/dump in out
+s k c +cf a in out
+s k c +d /nonexistent/dump +d dump.bin in out
+s k c +d dump.bin +d /nonexistent/dump in out
-tf tags.txt -tf nofile x
-tf nofile -tf tags.txt -t Foo x
-tf a -tf b -t Foo x
"""


@pytest.mark.parametrize("argv", _cases(WITH_HOOKS), ids=_ids(_cases(WITH_HOOKS)))
def test_same_outcome_as_dcmtk_with_hooks(argv: list[str], workdir: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    logger = DcmtkLogger(err)
    with contextlib.chdir(workdir):
        try:
            result: DcmsignOptions | int = parse_dcmsign_args(
                argv,
                stdout=out,
                stderr=err,
                logger=logger,
                hooks=DcmtkLikeHooks(logger),
                version=VERSION,
                release_date=DATE,
            )
        except DicomSignError as exc:
            result = int(exc.exit_code)
    real = run_dcmtk(argv, workdir)
    ours_err = err.getvalue().replace(OUR_ID, DCMTK_ID)
    if isinstance(result, int):
        assert (result, out.getvalue(), ours_err) == (real.code, real.stdout, real.stderr)
    else:
        assert real.code == ExitCode.CANNOT_READ_INPUT_FILE
        tail = f"F: No such file or directory: reading file: {result.input_file}\n"
        assert real.stderr == ours_err + tail


def _random_command_line(rng: random.Random, options: Sequence[OptionSpec]) -> list[str]:
    values = ["k", "cert.pem", "1", "5", "19", "0", "PatientName", "Foo", "0010,0010"]
    values += ["tags.txt", "nofile", "-", "x", "", "info", "foo", "1.2.3", "@empty"]
    argv: list[str] = []
    for _ in range(rng.randint(0, 7)):
        option = rng.choice(options)
        argv.append(rng.choice([option.long, option.short or option.long]))
        argv += [rng.choice(values) for _ in range(option.value_count)]
    params = rng.choice([["in"], ["in", "out"], [], ["in", "out", "x"], ["in", ""]])
    position = rng.randint(0, len(argv)) if rng.random() < 0.3 else len(argv)
    return argv[:position] + params + argv[position:]


def test_random_command_lines_behave_like_dcmtk(workdir: Path) -> None:
    rng = random.Random(4711)
    skipped = {"--help", "--version", "--list-purposes", "--log-config"}
    spec = build_dcmsign_spec()
    options = [o for o in spec.options if o.long not in skipped]
    for _ in range(250):
        argv = _random_command_line(rng, options)
        out, err = io.StringIO(), io.StringIO()
        logger = DcmtkLogger(err)
        with contextlib.chdir(workdir):
            try:
                result: DcmsignOptions | int = parse_dcmsign_args(
                    argv,
                    stdout=out,
                    stderr=err,
                    logger=logger,
                    hooks=DcmtkLikeHooks(logger),
                    version=VERSION,
                    release_date=DATE,
                )
            except DicomSignError as exc:
                result = int(exc.exit_code)
        real = run_dcmtk(argv, workdir)
        # Differences by design: the password is masked, and DCMTK's dictionary loading
        # (debug lines) has no counterpart here.
        real_err = re.sub(r"'--use-passwd' '[^']*'", "'--use-passwd' '********'", real.stderr)
        real_err = re.sub(r"D: DcmDataDictionary: Loading file: \S+\n", "", real_err)
        ours_err = err.getvalue().replace(OUR_ID, DCMTK_ID)
        if isinstance(result, int):
            ours_out = out.getvalue().replace(OUR_ID, DCMTK_ID)
            assert (result, ours_out, ours_err) == (real.code, real.stdout, real_err), argv
        else:
            assert real.code in (ExitCode.CANNOT_READ_INPUT_FILE, ExitCode.NO_INPUT_FILES), argv
            assert real_err.startswith(ours_err) and real.stdout == "", argv


def test_hook_order_and_results(workdir: Path) -> None:
    hooks = DcmtkLikeHooks(DcmtkLogger(io.StringIO()))
    with contextlib.chdir(workdir):
        options = evaluate_dcmsign_args(
            ["+cf", "cert.pem", "+cr", "c1", "+cf", "key.pem", "-tf", "tags.txt", "in"],
            hooks=hooks,
            logger=DcmtkLogger(io.StringIO()),
        )
    assert hooks.calls == [
        ("+cf", "key.pem"),
        ("+cf", "cert.pem"),
        ("+cr", "c1"),
        ("-tf", "tags.txt"),
    ]
    assert options.trusted_certificate_files == ("cert.pem", "key.pem")
    assert options.crl_files == ("c1",)
    assert options.crl_verification and not options.crl_verification_option
    assert options.tag_file == "tags.txt" and options.tag_file_tags == (0x00100010,)


# -t/--tag values: resolved like DCMTK (checked by signing a tiny dataset with the real dcmsign).
TAG_VALUES = [
    "0020,000d",
    "8,18",
    "0x8,0x18",
    "10000,0",
    "0008,0018junk",
    "0008 ,0018",
    "0008, 0018",
    "-8,18",
    "PatientName",
    "patientname",
    "OverlayData",
    "0008",
    "0008,",
    "ggg,0010",
    " 0010,0010",
    "\t10,10",
    "+10,+10",
    "0X10,0x",
    "0x,18",
    "0xg,1",
    "10,g",
    "-,1",
    "",
    "ffffffffff,1",
    "100000000000000000000,5",
    "1ffff,1",
    "8,  -0x18",
    "PatientsName",
    "(0010,0010)",
    "0010,0010,0020",
    "RETIRED_CurveDimensions",
    "RETIRED_SourceImageIDs",
    "RETIRED_RowsForNthOrderCoefficients",
    "RETIRED_ZonalMap",
    "RETIRED_PatientName",
    "GenericGroupLength",
    "Item",
    "SOPInstanceUID",
    "ROIArea",
    "SyntheticData",
    "CurveData",
    "RETIRED_CurveData",
    "DoseValue",
    "RETIRED_DoseValue",
    "RETIRED_",
    "RETIRED_RETIRED_CurveData",
    "CurrentFrameFunctionalGroupsSequence",
]


def _dcmtk_tag_resolution(value: str, workdir: Path, out: Path) -> int | None | list[int]:
    argv = ["+s", "key.pem", "cert.pem", "-t", value, "tiny.dcm", str(out)]
    real = run_dcmtk(argv, workdir)
    if real.code == ExitCode.COMMANDLINE_SYNTAX_ERROR:
        assert real.stderr == f"F: unknown attribute tag '{value}'\n"
        return None
    if real.code == ExitCode.SIGNATURE_CREATION_FAILED:
        found = re.search(
            r"attribute \(([0-9a-f]{4}),([0-9a-f]{4})\) should be signed", real.stderr
        )
        assert found, real.stderr
        return int(found.group(1) + found.group(2), 16)
    assert real.code == 0, real.stderr
    signed = pydicom.dcmread(out).MACParametersSequence[0]["DataElementsSigned"].value
    return [int(tag) for tag in (signed if isinstance(signed, list) else [signed])]


@pytest.mark.parametrize("value", TAG_VALUES)
def test_tag_values_resolve_like_dcmtk(value: str, workdir: Path, tmp_path: Path) -> None:
    real = _dcmtk_tag_resolution(value, workdir, tmp_path / "out.dcm")
    ours = parse_tag_argument(value)
    if isinstance(real, list):
        assert ours in real
    else:
        assert ours == real


def _dcmtk_dictionary() -> dict[str, int]:
    names: dict[str, int] = {}
    for line in DCMTK_DICT.read_text(encoding="latin-1").splitlines():
        fields = line.split("\t")
        if line.startswith("#") or len(fields) < 3:
            continue
        group, element = fields[0].strip("()").split(",")
        names.setdefault(fields[2], int(group[:4] + element[:4], 16))
    return names


def test_every_dcmtk_public_keyword_resolves_to_the_same_tag() -> None:
    names = _dcmtk_dictionary()
    assert len(names) > 4000
    mismatches = {
        n: (t, parse_tag_argument(n)) for n, t in names.items() if parse_tag_argument(n) != t
    }
    assert mismatches == {}


def test_no_other_name_resolves() -> None:
    # Every pydicom keyword, bare or with DCMTK's retired prefix, and every DCMTK name without
    # its prefix: only DCMTK's own names are known (keywords newer than DCMTK 3.6.7, bare
    # retired keywords and RETIRED_ on current attributes are not).
    from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary

    names = _dcmtk_dictionary()
    keywords = {e[4] for e in DicomDictionary.values()} | {
        e[4] for e in RepeatersDictionary.values()
    }
    candidates = keywords | {f"RETIRED_{k}" for k in keywords}
    candidates |= {n.removeprefix("RETIRED_") for n in names} | {f"RETIRED_{n}" for n in names}
    others = sorted(n for n in candidates if n and n not in names)
    assert len(others) > 5000
    assert [n for n in others if parse_tag_argument(n) is not None] == []


def test_hex_tag_scanning_matches_glibc_sscanf() -> None:
    libc = ctypes.CDLL(None)
    rng = random.Random(20260101)
    alphabet = "0123456789abcdefxX+- \t,g("
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        if not text or text[0] not in " \t+-0123456789":
            text = rng.choice(["0", "1f", "-2", " 3"]) + text
        first, second = ctypes.c_uint(0), ctypes.c_uint(0)
        count = libc.sscanf(text.encode(), b"%x,%x", ctypes.byref(first), ctypes.byref(second))
        expected = ((first.value & 0xFFFF) << 16) | (second.value & 0xFFFF) if count == 2 else None
        ours = parse_tag_argument(text)
        if expected is None:
            # Not a tag pair: whatever is left must not be a keyword either.
            assert ours is None, text
        else:
            assert ours == expected, text


# -- typed results ---------------------------------------------------------------------------


def _options(argv: Sequence[str]) -> DcmsignOptions:
    result = evaluate_dcmsign_args(argv, logger=DcmtkLogger(io.StringIO()))
    assert isinstance(result, DcmsignOptions)
    return result


def test_defaults() -> None:
    options = _options(["in.dcm"])
    assert options == DcmsignOptions(input_file="in.dcm")
    assert options.command is Command.VERIFY and options.output_file is None
    assert options.mac is MacAlgorithm.RIPEMD160 and options.profile is Profile.NONE
    assert options.log_level is LogLevel.WARN and not options.creates_timestamp_query


def test_sign_with_everything() -> None:
    options = _options(
        [
            "+s",
            "k.pem",
            "c.pem",
            "-der",
            "+m5",
            "+pb",
            "+sp",
            "5",
            "-t",
            "PatientName",
            "-t",
            "0010,0020",
            "+pw",
            "pw",
            "-fo",
            "+ts",
            "q.tsq",
            "u.txt",
            "+tm3",
            "-tn",
            "-tc",
            "+tp",
            "1.2.3",
            "+ti",
            "-e",
            "+d",
            "dump.bin",
            "-v",
            "-f",
            "-tb",
            "+uc",
            "in.dcm",
            "-",
        ]
    )
    assert options.command is Command.SIGN
    assert (options.key_file, options.certificate_file) == ("k.pem", "c.pem")
    assert options.output_file == "-"
    assert options.key_format is KeyFormat.DER and options.mac is MacAlgorithm.SHA512
    assert options.profile is Profile.BASE_RSA and options.purpose is SignaturePurpose.VERIFICATION
    assert options.tags == (0x00100010, 0x00100020)
    assert options.password == Password.given("pw")
    assert options.old_format
    assert (options.ts_query_file, options.ts_response_file, options.ts_uid_file) == (
        "q.tsq",
        None,
        "u.txt",
    )
    assert options.ts_mac is MacAlgorithm.SHA384 and not options.ts_nonce
    assert not options.ts_request_certificate and options.ts_policy_oid == "1.2.3"
    assert options.creates_timestamp_query
    assert options.write_transfer_syntax is WriteTransferSyntax.LITTLE_ENDIAN_IMPLICIT
    assert not options.explicit_length and options.dump_file == "dump.bin"
    assert options.log_level is LogLevel.INFO
    assert options.read_mode is ReadMode.DATASET
    assert options.read_transfer_syntax is ReadTransferSyntax.BIG_ENDIAN_EXPLICIT
    assert options.convert_un


def test_rightmost_command_wins_and_keeps_earlier_values() -> None:
    options = _options(["+s", "k", "c", "+si", "k2", "c2", "Seq[0]", "+ra", "in", "out"])
    assert options.command is Command.REMOVE_ALL
    assert (options.key_file, options.certificate_file) == ("k2", "c2")
    assert options.item_location == "Seq[0]"
    # A command left of the winner is not evaluated at all if it comes later in DCMTK's order.
    options = _options(["+r", "1.2.3", "+s", "k", "c", "in", "out"])
    assert options.command is Command.SIGN and options.signature_uid is None
    options = _options(["+s", "k", "c", "+r", "1.2.3", "in", "out"])
    assert options.command is Command.REMOVE and options.signature_uid == "1.2.3"
    assert options.key_file == "k"
    options = _options(["+s", "k", "c", "+t", "q", "r", "u", "+tm5", "in", "out"])
    assert options.command is Command.INSERT_TIMESTAMP and not options.creates_timestamp_query
    assert (options.key_file, options.ts_query_file, options.ts_response_file) == ("k", "q", "r")
    assert options.ts_mac is MacAlgorithm.SHA512
    with pytest.raises(CommandLineFailure, match="--ts-mac-sha512 only allowed with"):
        _options(["+t", "q", "r", "u", "+s", "k", "c", "+tm5", "in", "out"])


def test_verification_options() -> None:
    options = _options(
        [
            "+rg",
            "+rs",
            "+tv",
            "+tr",
            "+cf",
            "a",
            "+cf",
            "b",
            "+uf",
            "c",
            "+cd",
            "d",
            "+cr",
            "e",
            "+cl",
            "-der",
            "in",
        ]
    )
    assert options.verification_policy is VerificationPolicy.SR
    assert options.timestamp_policy is TimestampPolicy.REQUIRE
    assert options.trusted_certificate_files == ("a", "b")
    assert options.untrusted_certificate_files == ("c",)
    assert options.trusted_certificate_directories == ("d",)
    assert options.crl_files == ("e",) and options.crl_verification_option
    assert options.key_format is KeyFormat.DER


def test_insert_timestamp_and_remove() -> None:
    options = _options(["+t", "q", "r", "u", "+tms", "in", "out"])
    assert options.command is Command.INSERT_TIMESTAMP
    assert (options.ts_query_file, options.ts_response_file, options.ts_uid_file) == ("q", "r", "u")
    assert options.ts_mac is MacAlgorithm.SHA1 and not options.creates_timestamp_query
    options = _options(["+r", "1.2.3", "in", "out"])
    assert options.command is Command.REMOVE and options.signature_uid == "1.2.3"


def test_stdin_and_stdout_names_are_parameters() -> None:
    options = _options(["+s", "k", "c", "-", "-"])
    assert (options.input_file, options.output_file) == ("-", "-")


def test_log_levels_from_options() -> None:
    assert _options(["-q", "x"]).log_level is LogLevel.FATAL
    assert _options(["-q", "-d", "x"]).log_level is LogLevel.DEBUG
    assert _options(["-d", "-v", "x"]).log_level is LogLevel.INFO
    assert _options(["-ll", "Trace", "x"]).log_level is LogLevel.TRACE
    assert _options(["-ll", "all", "x"]).log_level is LogLevel.TRACE
    assert _options(["-ll", "off", "x"]).log_level is LogLevel.OFF


def test_debug_prints_the_identifier() -> None:
    err = io.StringIO()
    result = parse_dcmsign_args(["-d", "x"], stderr=err, version=VERSION, release_date=DATE)
    assert isinstance(result, DcmsignOptions)
    assert err.getvalue() == f"D: {OUR_ID}\nD: \n"


def test_log_config_sets_root_level_and_warns(tmp_path: Path) -> None:
    config = tmp_path / "logger.cfg"
    config.write_text(
        "# comment\nlog4cplus.rootLogger = INFO, console\n"
        "log4cplus.appender.console=log4cplus::ConsoleAppender\n"
    )
    err = io.StringIO()
    logger = DcmtkLogger(err)
    result = parse_dcmsign_args(["-lc", str(config), "x"], stderr=err, logger=logger)
    assert isinstance(result, DcmsignOptions)
    assert result.log_level is LogLevel.INFO and logger.level is LogLevel.INFO
    assert result.log_config_file == str(config)
    assert err.getvalue().startswith(
        f"W: --log-config: only the root logger level is taken from '{config}'"
    )
    config.write_text("log4cplus.rootLogger = FATAL\n")
    err = io.StringIO()
    assert parse_dcmsign_args(["-lc", str(config), "+sp", "3", "x"], stderr=err) == 1
    assert err.getvalue() == ""


def test_errors_raise_command_line_failure() -> None:
    with pytest.raises(CommandLineFailure) as info:
        evaluate_dcmsign_args(["--foo"], version=VERSION, release_date=DATE)
    assert isinstance(info.value, CommandLineError)
    assert info.value.exit_code == ExitCode.COMMANDLINE_SYNTAX_ERROR
    assert info.value.message == "Unknown option --foo"
    assert info.value.stderr_text == (
        f"{OUR_ID}\n\ndcmsign: Sign and Verify DICOM Files\nerror: Unknown option --foo\n"
    )
    with pytest.raises(CommandLineFailure) as info:
        evaluate_dcmsign_args(["-t", "Nope", "x"], logger=DcmtkLogger(io.StringIO()))
    assert info.value.stderr_text == "F: unknown attribute tag 'Nope'\n"
    with pytest.raises(ApplicationExit) as done:
        evaluate_dcmsign_args(["+lp"])
    assert done.value.exit_code == 0 and done.value.stdout_text.endswith(purpose_list_text())


def test_hook_errors_propagate() -> None:
    class Failing(DcmsignParseHooks):
        def open_dump_file(self, path: str) -> None:
            raise SupportFileError(f"unable to create dump file '{path}'")

    with pytest.raises(SupportFileError):
        parse_dcmsign_args(
            ["+s", "k", "c", "+d", "d", "in", "out"],
            stderr=io.StringIO(),
            hooks=Failing(),
        )
    assert DcmsignParseHooks().read_tag_file("x") is None


# -- generic command line --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ('-t "a b"', ["-t", "a b"]),
        ("-t 'c d'", ["-t", "c d"]),
        ('-t ""', ["-t", ""]),
        ("x#y", ["x#y"]),
        ('"e\'f"', ["e'f"]),
        ('ab"cd"ef', ["abcd", "ef"]),
        ("'\"'", ['"']),
        ('a"b c"d', ["ab c", "d"]),
        ('"unterminated x', ["unterminated x"]),
        ('"x\n', ["x\n"]),
        ('-t "', ["-t"]),
        ('a\\"b', ["a\\b"]),
        ("-t\r\n\tq", ["-t", "q"]),
        ('"a\nb"', ["a\nb"]),
        ('a""b', ["a", "b"]),
        ("\x0bv\x0cw", ["\x0bv\x0cw"]),
        ("", []),
    ],
)
def test_tokenize_command_file(text: str, tokens: list[str]) -> None:
    assert tokenize_command_file(text) == tokens


def test_expand_command_files(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x 'y z'")
    (tmp_path / "b").write_text("@a")
    with contextlib.chdir(tmp_path):
        assert expand_command_files(["@a", "@", "@b", "q"]) == ["x", "y z", "@", "@a", "q"]
        assert expand_command_files([f"@{tmp_path}"]) == []
        with pytest.raises(CommandLineError, match="Cannot open command file 'missing'"):
            expand_command_files(["@missing"])


def _tiny_spec() -> CommandLineSpec:
    spec = CommandLineSpec(long_column=10, short_column=3, param_column=8)
    spec.add_param("in", "input\nfile")
    spec.add_param("out", "output", optional=True)
    spec.add_group("general:")
    spec.add_option("--help", "-h", description="help", exclusive=True)
    spec.add_option("--alpha", "+a", description="a")
    spec.add_option("--beta", "-b", description="b")
    spec.add_option("--gamma", "+g", values=2, value_description="[x] [y]", description="g\nmore")
    spec.add_subgroup("sub:", 12, 5)
    spec.add_option("--a-very-long-option", description="long")
    spec.add_option("--num", "+n", values=1, value_description="n", description="number")
    return spec


def test_help_layout_of_a_small_table() -> None:
    app = ConsoleApplication("tool", "Does things", "$id$")
    assert app.usage(_tiny_spec()) == (
        "$id$\n\ntool: Does things\nusage: tool [options] in [out]\n\n"
        "parameters:\n"
        "  in        input\n"
        "            file\n"
        "  out       output\n"
        "\n"
        "general:\n"
        "  -h   --help      help\n"
        "  +a   --alpha     a\n"
        "  -b   --beta      b\n"
        "  +g   --gamma     [x] [y]\n"
        "                   g\n"
        "                   more\n"
        "  sub:\n"
        "           --a-very-long-option  long\n"
        "    +n     --num                 n\n"
        "                                 number\n"
        "\n"
    )


def test_spec_rejects_bad_names() -> None:
    spec = CommandLineSpec()
    spec.add_option("--ok", "-o")
    for long, short in [("--ok", ""), ("x", ""), ("--other", "-o"), ("-5", ""), ("", "-z")]:
        with pytest.raises(ValueError):
            spec.add_option(long, short)


def test_parse_statuses() -> None:
    spec = _tiny_spec()
    cases = {
        (): ParseStatus.NO_ARGUMENTS,
        ("-h", "--nope"): ParseStatus.UNKNOWN_OPTION,
        ("-h", "a", "b", "c"): ParseStatus.EXCLUSIVE_OPTION,
        ("a", "+g", "x"): ParseStatus.MISSING_VALUE,
        ("+a",): ParseStatus.MISSING_PARAMETER,
        ("a", "b", "c"): ParseStatus.TOO_MANY_PARAMETERS,
        ("-5", "-"): ParseStatus.NORMAL,
        ("@/nonexistent/file",): ParseStatus.CANNOT_OPEN_COMMAND_FILE,
    }
    for argv, status in cases.items():
        parsed = parse_command_line(spec, argv)
        assert parsed.status is status, argv
    parsed = parse_command_line(spec, ["+g", "-b", "+a", "in"])
    assert parsed.arguments == ["--gamma", "-b", "+a", "in"]
    assert parsed.option_positions == [0] and parsed.get_param(1) == "in"
    with pytest.raises(IndexError):
        parsed.get_param(2)
    assert parse_command_line(spec, ["+a"]).status_message() == "Missing parameter in"
    assert parse_command_line(spec, ["i", "+g", "x"]).status_message() == (
        "Missing value for option --gamma"
    )


def test_option_blocks_let_the_rightmost_win() -> None:
    spec = _tiny_spec()
    parsed = parse_command_line(spec, ["-b", "+a", "-b", "+a", "in"])
    parsed.begin_option_block()
    assert parsed.find_option("--alpha")
    assert not parsed.find_option("--beta")  # left of the --alpha found
    parsed.end_option_block()
    parsed = parse_command_line(spec, ["+a", "-b", "in"])
    parsed.begin_option_block()
    assert parsed.find_option("--alpha") and parsed.find_option("--beta")
    parsed.end_option_block()
    parsed = parse_command_line(spec, ["+n", "1", "+a", "+n", "2", "+n", "3", "in"])
    seen = []
    found = parsed.find_option("--num", FindMode.FIRST)
    while found:
        seen.append(parsed.get_value()[1])
        found = parsed.find_option("--num", FindMode.NEXT)
    assert seen == ["3", "2", "1"]


def test_unsigned_values() -> None:
    spec = _tiny_spec()
    expected = {
        "5": (ValueStatus.NORMAL, 5),
        " +7x": (ValueStatus.NORMAL, 7),
        "0": (ValueStatus.UNDERFLOW, 0),
        "99": (ValueStatus.OVERFLOW, 99),
        "-1": (ValueStatus.INVALID, 0),
        "": (ValueStatus.INVALID, 0),
        "9" * 30: (ValueStatus.OVERFLOW, 2**64 - 1),
    }
    for text, result in expected.items():
        parsed = parse_command_line(spec, ["+n", text, "in"])
        assert parsed.find_option("--num")
        assert parsed.get_unsigned_value(1, 18) == result, text
    parsed = parse_command_line(spec, ["+n", "0", "in"])
    parsed.find_option("--num")
    status, _ = parsed.get_unsigned_value(1, 18)
    assert parsed.value_status_message(status) == "Invalid value for option --num (underflow: 0)"
    assert parsed.value_status_message(ValueStatus.EMPTY) == ""


def test_console_application_errors_and_quiet_mode() -> None:
    app = ConsoleApplication("tool", "Does things", "$id$")
    with pytest.raises(CommandLineFailure) as info:
        app.check_dependence("--a", "--b", False)
    assert info.value.stderr_text == "$id$\n\ntool: Does things\nerror: --a only allowed with --b\n"
    app.check_dependence("--a", "--b", True)
    app.check_conflict("--a", "--b", False)
    app.quiet = True
    with pytest.raises(CommandLineFailure) as info:
        app.check_conflict("--a", "--b", True)
    assert info.value.stderr_text == "" and info.value.message == "--a not allowed with --b"
    with pytest.raises(ApplicationExit):
        app.parse_command_line(_tiny_spec(), ["--help"])
    assert app.header(host_info=True) == "$id$\n\ntool: Does things\n\n"


def test_dcmsign_spec_lists_every_option_once() -> None:
    spec = build_dcmsign_spec()
    text = spec.option_string()
    for name in ["-lc", "+cl", "+tm2", "+tmm", "-tp", "+d", "-uc", "+lp", "--arguments"]:
        assert spec.lookup(name) is not None
        assert text.count(f" {name} ") == 1
    assert spec.min_params == 1 and spec.max_params == 2


# -- logger and purposes ---------------------------------------------------------------------


def test_logger_format_and_levels() -> None:
    stream = io.StringIO()
    logger = DcmtkLogger(stream)
    logger.fatal("f")
    logger.error("e")
    logger.warning("w1\nw2")
    logger.warning("w3")
    logger.info("hidden")
    logger.level = LogLevel.TRACE
    logger.debug("d\n")
    logger.trace("t")
    assert stream.getvalue() == "F: f\nE: e\nW: w1\nW: w2\nW: w3\nD: d\nD: \nT: t\n"
    logger.level = LogLevel.OFF
    assert not logger.is_enabled(LogLevel.FATAL)
    logger.emit(LogLevel.INFO, "forced")
    assert stream.getvalue().endswith("I: forced\n")
    assert DcmtkLogger().is_enabled(LogLevel.WARN) and not DcmtkLogger().is_enabled(LogLevel.INFO)


def test_logger_defaults_to_current_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    DcmtkLogger().warn("to stderr")
    assert capsys.readouterr().err == "W: to stderr\n"


def test_parse_log_level() -> None:
    assert parse_log_level("Warn") is LogLevel.WARN
    assert parse_log_level("ALL") is LogLevel.TRACE
    for bad in ["warning", "30000", "", "notset"]:
        assert parse_log_level(bad) is None


def test_purposes() -> None:
    assert len(SignaturePurpose) == 18
    assert SignaturePurpose(5).meaning() == "Verification Signature"
    assert SignaturePurpose.ADMINISTRATIVE.meaning() == "Administrative (Error/Edit) Signature"
    assert SignaturePurpose.TIMESTAMP.code_value == "18"
    assert CODING_SCHEME_DESIGNATOR == "ASTM-sigpurpose"
    text = purpose_list_text()
    assert text.startswith("\nDigital Signature Purpose Codes:\n   1: Author's Signature\n")
    assert text.endswith("  18: Timestamp Signature\n\n")
