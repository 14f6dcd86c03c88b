"""The quick paths of the ``dcmsign`` command (dicomsign.cli.dcmsign.quick): taken only for plain
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
from dicomsign.cli.dcmsign import main
code = main(sys.argv[1:])
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
from dicomsign.cli.dcmsign import main
code = main(sys.argv[1:]) if sys.argv[1] != "--as-command" else main(sys.argv.pop(1) and None)
print(code, gc.isenabled(), gc.get_freeze_count() > 0)
"""


def test_the_quick_paths_leave_the_collector_as_found(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "signed.dcm"
    ident = pki.rsa2048
    assert _probe("+s", ident.key, ident.cert, dicom_corpus["explicit_le"], out)[1] == 0
    trust = ["+cf", str(ident.root), "+uf", str(ident.chain), str(out)]
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, *trust], capture_output=True, text=True, check=True
    )
    # Called as a library would, the collector is left running and nothing is frozen.
    assert done.stdout == "0 True False\n"
    # Called as the command, the process's objects are frozen for its exit (the collector runs).
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, "--as-command", *trust],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "0 True True\n"
    assert done.stderr.endswith("W:   Signature Verification : OK\n")


COUNT_PROBE = """
import sys
from dicomsign import _core

counts = {"open": 0, "check_signatures": 0}
real = _core.Document


class Counted:
    def __init__(self, doc):
        self.doc = doc

    def check_signatures(self, **kwargs):
        counts["check_signatures"] += 1
        return self.doc.check_signatures(**kwargs)

    def __getattr__(self, name):
        return getattr(self.doc, name)


class Document:
    @staticmethod
    def open(*args, **kwargs):
        counts["open"] += 1
        return Counted(real.open(*args, **kwargs))


_core.Document = Document
from dicomsign.cli.dcmsign import main
code = main(sys.argv[1:])
print(code, counts["open"], counts["check_signatures"])
"""


@pytest.mark.parametrize(
    "trust",
    [
        pytest.param(lambda p: ["+cf", p.root.cert, "+uf", p.rsa2048.chain], id="quick"),
        pytest.param(lambda p: ["+cf", p.intermediate.cert], id="untrusted"),
        pytest.param(lambda p: [], id="no-trust"),
        pytest.param(lambda p: ["-v", "+cf", p.root.cert, "+uf", p.rsa2048.chain], id="verbose"),
    ],
)
def test_a_file_is_read_and_judged_once_whichever_path_reports_it(
    trust: object, pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """The quick verification's document and verdicts go to the complete path when the quick
    path cannot report them: one read and one pass of hashing in every case."""
    out = tmp_path / "signed.dcm"
    ident = pki.rsa2048
    assert _probe("+s", ident.key, ident.cert, dicom_corpus["explicit_le"], out)[1] == 0
    argv = [*map(str, trust(pki)), str(out)]  # type: ignore[operator]
    done = subprocess.run(
        [sys.executable, "-c", COUNT_PROBE, *argv], capture_output=True, text=True, check=False
    )
    code, opened, checked = done.stdout.split()
    assert int(code) == dcmtk("dcmsign", *argv).returncode
    assert (opened, checked) == ("1", "1")


def _imports_of_installed_dcmsign(*args: str | Path) -> tuple[set[str], str]:
    """Run the ``dcmsign`` installed beside the interpreter under ``-X importtime``: the modules
    it imported and the rest of its stderr."""
    command = Path(sys.executable).parent / "dcmsign"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", command, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines(keepends=True)
    imported = {line.rsplit("|", 1)[1].strip() for line in lines if line.startswith("import time:")}
    return imported, "".join(line for line in lines if not line.startswith("import time:"))


# What neither quick path needs: the heavy libraries, the option parser's modules, and the
# modules a start-up of a few milliseconds cannot afford (``typing``, the vocabulary's ``enum``).
SLOW_IMPORTS = {
    "cryptography",
    "pydicom",
    "dataclasses",
    "typing",
    "dicomsign.vocabulary",
    "dicomsign.cli.dcmsign.options",
    "dicomsign.cli.dcmsign.run",
}


def test_the_installed_dcmsign_quick_paths_import_nothing_slow(
    pki: PKI, dicom_corpus: dict[str, Path], tmp_path: Path
) -> None:
    """The ``dcmsign`` installed beside the interpreter is an ordinary entry point; its quick
    signature and verification load neither the option parser's dependencies nor the heavy
    libraries."""
    ident = pki.rsa2048
    out = tmp_path / "signed.dcm"
    imported, err = _imports_of_installed_dcmsign(
        "+s", ident.key, ident.cert, "+m2", dicom_corpus["explicit_le"], out
    )
    assert err == ""
    assert {"dicomsign.cli.dcmsign.quick", "dicomsign.items"} <= imported
    assert not imported & SLOW_IMPORTS
    assert dcmtk("dcmsign", "+cf", ident.root, "+uf", ident.chain, out).returncode == 0
    imported, err = _imports_of_installed_dcmsign("+cf", ident.root, "+uf", ident.chain, out)
    assert {"dicomsign.cli.dcmsign", "dicomsign.cli.dcmsign.quick"} <= imported
    assert not imported & SLOW_IMPORTS
    assert err.endswith("W:   Signature Verification : OK\n")
