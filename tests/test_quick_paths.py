"""The quick paths of the ``dcmsign`` entry point (dicomsign.cli.entry): taken only for plain
command lines, without importing cryptography, and indistinguishable from the complete path
and from DCMTK in what they print and write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dcmtk import dcmtk
from pki import PKI

PROBE = """
import sys
from dicomsign.cli.entry import dcmsign
code = dcmsign(sys.argv[1:])
print("cryptography" in sys.modules, code)
"""


def _probe(*args: str | Path) -> tuple[bool, int, str]:
    """Run the entry point in a fresh interpreter: (cryptography imported, exit code, stderr)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, check=False
    )
    imported, code = done.stdout.split()
    return imported == "True", int(code), done.stderr


def _full(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dcmsign", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("identity", ["rsa2048", "rsa3072", "dsa2048", "ec256", "ec384"])
def test_quick_sign_then_quick_verify(
    identity: str, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    ident = getattr(pki, identity)
    out = tmp_path / "signed.dcm"
    imported, code, err = _probe(
        "+s", ident.key, ident.cert, "+m3", dicom_corpus["explicit_le"], out
    )
    assert (imported, code, err) == (False, 0, "")
    trust = ["+cf", ident.root, "--add-ucert-file", ident.chain]
    theirs = dcmtk("dcmsign", *trust, out)
    assert theirs.returncode == 0, theirs.stderr
    imported, code, err = _probe(*trust, out)
    assert (imported, code) == (False, 0)
    assert err == theirs.stderr == _full(*trust, out).stderr


def test_quick_verify_prints_load_warnings_like_dcmtk(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    source = dicom_corpus["out_of_order"]
    assert dcmtk("dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, source, out).returncode == 0
    # DCMTK wrote the file sorted: no warnings on reading it back; the unsigned input has some.
    trust = ["+cf", pki.root.cert, "+uf", pki.rsa2048.chain]
    imported, code, err = _probe(*trust, out)
    assert (imported, code) == (False, 0) and err == dcmtk("dcmsign", *trust, out).stderr
    imported, code, err = _probe(*trust, source)
    assert not imported and code == 0
    assert err == dcmtk("dcmsign", *trust, source).stderr
    assert "not in ascending tag order" in err and "no signatures found" in err


@pytest.mark.parametrize(
    ("case", "args"),
    [
        ("untrusted", lambda p, f, o: [f]),
        ("tampered-trust", lambda p, f, o: ["+cf", p.intermediate.cert, f]),
        ("verbose", lambda p, f, o: ["-v", "+cf", p.root.cert, "+uf", p.rsa2048.chain, f]),
        ("policy", lambda p, f, o: ["+rc", "+cf", p.root.cert, "+uf", p.rsa2048.chain, f]),
        ("mismatch", lambda p, f, o: ["+s", p.rsa3072.key, p.rsa2048.cert, f, o]),
        ("expired", lambda p, f, o: ["+s", p.expired.key, p.expired.cert, f, o]),
        ("encrypted", lambda p, f, o: ["+s", p.rsa2048.key_encrypted_pkcs8, p.rsa2048.cert, "+pw", p.password, f, o]),
        ("no-output-dir", lambda p, f, o: ["+s", p.rsa2048.key, p.rsa2048.cert, f, o.parent / "none" / "x.dcm"]),
        ("missing-input", lambda p, f, o: ["+s", p.rsa2048.key, p.rsa2048.cert, o.parent / "none.dcm", o]),
    ],
)  # fmt: skip
def test_everything_else_takes_the_complete_path(
    case: str, args: object, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    signed = tmp_path / "signed.dcm"
    assert (
        dcmtk(
            "dcmsign", "+s", pki.rsa2048.key, pki.rsa2048.cert, dicom_corpus["explicit_le"], signed
        ).returncode
        == 0
    )
    argv = args(pki, signed, tmp_path / "out.dcm")  # type: ignore[operator]
    imported, code, err = _probe(*argv)
    theirs = dcmtk("dcmsign", *argv)
    assert code == theirs.returncode
    if case not in ("mismatch", "no-output-dir", "missing-input", "untrusted", "tampered-trust"):
        assert imported, "the complete path was expected"
    if case != "verbose" and case != "encrypted":
        import re

        uid = re.compile(r"UID=\S+")
        assert uid.sub("", err) == uid.sub("", theirs.stderr)


GC_PROBE = """
import gc, sys
from dicomsign.cli.entry import dcmsign
code = dcmsign(sys.argv[1:])
print(code, gc.isenabled(), gc.get_freeze_count())
"""


def test_the_quick_paths_leave_the_collector_as_found(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    ident = pki.rsa2048
    assert _probe("+s", ident.key, ident.cert, dicom_corpus["explicit_le"], out)[1] == 0
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, "+cf", str(ident.root), "+uf", str(ident.chain), str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    # Called as a library would, the collector is left running and nothing is frozen.
    assert done.stdout == "0 True 0\n"


RUN_PROBE = """
import atexit, sys
atexit.register(lambda: print("finalized"))
from dicomsign.cli.entry import run_dcmsign
sys.argv[0] = "dcmsign"
run_dcmsign()
"""


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", RUN_PROBE, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_run_dcmsign_ends_the_process_at_once_after_a_quick_path_only(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    ident = pki.rsa2048
    out = tmp_path / "signed.dcm"
    signed = _run("+s", ident.key, ident.cert, dicom_corpus["explicit_le"], out)
    # A quick path: the exit code and everything printed are kept, the finalization is not run.
    assert (signed.returncode, signed.stdout, signed.stderr) == (0, "", "")
    assert out.is_file()
    verified = _run("+cf", ident.root, "+uf", ident.chain, out)
    assert (verified.returncode, verified.stdout) == (0, "")
    assert verified.stderr.endswith("W:   Signature Verification : OK\n")
    assert verified.stderr == dcmtk("dcmsign", "+cf", ident.root, "+uf", ident.chain, out).stderr
    # The complete path (here an error, DCMTK's exit code 20) exits normally: clean-up runs.
    failed = _run("+cf", ident.root, tmp_path / "missing.dcm")
    assert (failed.returncode, failed.stdout) == (20, "finalized\n")
    assert failed.stderr.startswith("F: No such file or directory")
    verbose = _run("-v", "+cf", ident.root, "+uf", ident.chain, out)
    assert (verbose.returncode, verbose.stdout) == (0, "finalized\n")


def test_the_installed_dcmsign_launcher_imports_only_the_entry_point(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """The ``dcmsign`` installed beside the interpreter is the wheel's own launcher (the
    ``data`` directory of pyproject.toml), which does not import ``re`` as installers'
    entry-point launchers do."""
    launcher = Path(sys.executable).parent / "dcmsign"
    assert launcher.read_text().split("\n", 1)[0].startswith("#!"), launcher
    ident = pki.rsa2048
    out = tmp_path / "signed.dcm"
    made = subprocess.run(
        [launcher, "+s", ident.key, ident.cert, dicom_corpus["explicit_le"], out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (made.returncode, made.stderr) == (0, "")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", launcher, "+cf", ident.root, "+uf", ident.chain, out],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "dicomsign.cli.entry" in imported
    assert not imported & {"re", "enum", "cryptography", "pydicom", "typing"}
    assert done.stderr.endswith("W:   Signature Verification : OK\n")
