"""Certified timestamps (RFC 3161) both ways with DCMTK, through the loopback test TSA.

DCMTK's ``+ts`` queries answered by the TSA and inserted by our ``+t``, ours inserted by
DCMTK's; verification (``+tv``, ``-tv``, ``+tr``) of every kind of token by both tools with the
same exit code and lines; bad query, response and UID files; an expired signer healed by its
timestamp; truncated files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.error
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import core, tsp

from dcmtk import DCMTK_DIR, dcmtk, ours
from dicomsign.tsp.reply import parse_response
from pki import PKI, Identity, issue_certificate, name, write_identity
from tsa import OTHER_POLICY, POLICY, ServedTSA

SOURCE = Path(__file__).resolve().parents[1] / "examples" / "ct-sample.dcm"
_UID = re.compile(r"UID=\S+|UID '[^']*'")


def _both(
    their_args: list[str | Path], mine_args: list[str | Path]
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Run DCMTK's dcmsign and ours at the same time (two cores); both finished."""
    commands = (
        [str(DCMTK_DIR / "dcmsign"), *map(str, their_args)],
        [sys.executable, "-m", "dicomsign.cli.dcmsign", *map(str, mine_args)],
    )
    procs = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for c in commands
    ]
    done = []
    for command, proc in zip(commands, procs, strict=True):
        out, err = proc.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(command, proc.returncode, out, err))
    return done[0], done[1]


def _same(
    args: list[str | Path], *, out: bool = False, work: Path | None = None
) -> tuple[int, str]:
    """Run DCMTK and ours with ``args`` (plus an output file each when ``out``): same exit
    code, same stderr (signature UIDs masked), no output file when failing."""
    mine_args, their_args = list(args), list(args)
    outputs: list[Path] = []
    if out:
        assert work is not None
        for who, a in (("dcmtk", their_args), ("ours", mine_args)):
            target = work / who / "out.dcm"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
            a.append(target)
            outputs.append(target)
    theirs, mine = _both(their_args, mine_args)
    assert mine.returncode == theirs.returncode, (theirs.stderr, mine.stderr)
    text = _UID.sub("UID", theirs.stderr).replace(str(work or ""), "")
    assert _UID.sub("UID", mine.stderr).replace(str(work or ""), "") == text
    assert "Traceback" not in mine.stderr
    for target in outputs:
        assert target.exists() == (mine.returncode == 0), target
    return mine.returncode, text


@dataclass
class Stamped:
    """A signed file, its query and UID files, and the TSA's answer."""

    signed: Path
    query: Path
    uid: Path
    response: Path


def _sign_and_query(
    tool: str,
    identity: Identity,
    work: Path,
    tsa: ServedTSA,
    *options: str,
    fault: str | None = None,
    item: str | None = None,
) -> Stamped:
    work.mkdir(parents=True, exist_ok=True)
    signed, query, uid = work / "signed.dcm", work / "q.tsq", work / "u.dcm"
    command = (
        ["+si", identity.key, identity.cert, item] if item else ["+s", identity.key, identity.cert]
    )
    args = [*command, "+ts", query, uid, *options, SOURCE, signed]
    done = dcmtk("dcmsign", *args) if tool == "dcmtk" else ours(*args)
    assert done.returncode == 0, done.stderr
    response = work / "r.tsr"
    response.write_bytes(tsa.post(query.read_bytes(), fault))
    return Stamped(signed, query, uid, response)


def _insert(tool: str, stamped: Stamped, out: Path) -> subprocess.CompletedProcess[str]:
    args = ["+t", stamped.query, stamped.response, stamped.uid, stamped.signed, out]
    return dcmtk("dcmsign", *args) if tool == "dcmtk" else ours(*args)


def _trust(identity: Identity, tsa: ServedTSA) -> list[str | Path]:
    return ["+cf", identity.root, "+uf", identity.chain, "+cf", tsa.authority.root]


# -- +ts: the query and the UID file --------------------------------------------------------


def _query_shape(path: Path) -> dict[str, object]:
    req = tsp.TimeStampReq.load(path.read_bytes())
    alg = req["message_imprint"]["hash_algorithm"]
    return {
        "version": req["version"].native,
        "algorithm": alg["algorithm"].dotted,
        "null_parameters": alg["parameters"].dump() == b"\x05\x00",
        "digest_length": len(req["message_imprint"]["hashed_message"].native),
        "policy": None if isinstance(req["req_policy"], core.Void) else req["req_policy"].dotted,
        "nonce": not isinstance(req["nonce"], core.Void),
        "cert_req": req["cert_req"].native,
        "cert_req_encoded": path.read_bytes().endswith(b"\x01\x01\xff"),
        "extensions": not isinstance(req["extensions"], core.Void),
    }


@pytest.mark.parametrize(
    "options",
    [(), ("+tm3",), ("+tm5", "-tn"), ("+tmr", "-tc"), ("+tms", "+tp", "1.2.3.4.5"), ("+tmm",)],
    ids=["default", "sha384", "sha512-no-nonce", "ripemd160-no-cert", "sha1-policy", "md5"],
)
def test_query_like_dcmtk(
    options: tuple[str, ...], pki: PKI, tsa: ServedTSA, tmp_path: Path
) -> None:
    theirs = _sign_and_query("dcmtk", pki.ec256, tmp_path / "dcmtk", tsa, *options)
    mine = _sign_and_query("ours", pki.ec256, tmp_path / "ours", tsa, *options)
    assert _query_shape(mine.query) == _query_shape(theirs.query)
    text = subprocess.run(
        ["openssl", "ts", "-query", "-in", mine.query, "-text"], capture_output=True, check=True
    ).stdout.decode()
    assert "Version: 1" in text
    # The UID file: a DICOM file DCMTK reads, naming our signature.
    uid_dump = dcmtk("dcmdump", mine.uid).stdout
    assert "(0400,0100) UI" in uid_dump and "1.2.276.0.7230010.3.1.0.1" in uid_dump
    assert "=LittleEndianImplicit" in uid_dump
    # The imprint is the digest of our signature value (the ECDSA pad byte removed): the
    # TSA's answer inserts cleanly with DCMTK and verifies with both tools.
    out = tmp_path / "stamped.dcm"
    done = _insert("dcmtk", mine, out)
    assert done.returncode == 0, done.stderr
    # Without certReq (-tc) the TSA's certificate is not in the token: give it.
    tsa_cert = ["+uf", tsa.authority.certificate] if "-tc" in options else []
    code, text = _same([*_trust(pki.ec256, tsa), *tsa_cert, "+tr", out])
    assert code == 0 and "Timestamp Verification : OK" in text


def test_openssl_answers_and_verifies_our_query(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    mine = _sign_and_query("ours", pki.rsa2048, tmp_path, tsa, "+tp", POLICY)
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-queryfile", mine.query, "-in", mine.response,
         "-CAfile", tsa.authority.root],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr


def test_query_files_written_before_the_output(pki: PKI, tmp_path: Path) -> None:
    for tool in ("dcmtk", "ours"):
        work = tmp_path / tool
        work.mkdir()
        args = ["+s", pki.rsa2048.key, pki.rsa2048.cert, "+ts", work / "q.tsq", work / "u.dcm"]
        args += [SOURCE, tmp_path / "no-such-dir" / "out.dcm"]
        done = dcmtk("dcmsign", *args) if tool == "dcmtk" else ours(*args)
        assert done.returncode == 40, done.stderr
        assert (work / "q.tsq").is_file() and (work / "u.dcm").is_file()


@pytest.mark.parametrize(
    "case", ["policy-name", "policy-arc", "policy-single", "query-dir", "uid-dir"]
)
def test_query_errors(case: str, pki: PKI, tmp_path: Path) -> None:
    query, uid = tmp_path / "q.tsq", tmp_path / "u.dcm"
    extra: list[str] = []
    if case == "policy-name":
        extra = ["+tp", "foo"]
    elif case == "policy-arc":
        extra = ["+tp", "1.40"]
    elif case == "policy-single":
        extra = ["+tp", "1"]
    elif case == "query-dir":
        query = tmp_path / "missing" / "q.tsq"
    else:
        uid = tmp_path / "missing" / "u.dcm"
    for who in ("dcmtk", "ours"):
        (tmp_path / who).mkdir()
    code, text = _same(
        ["+s", pki.rsa2048.key, pki.rsa2048.cert, "+ts", query, uid, *extra, SOURCE],
        out=True,
        work=tmp_path,
    )
    assert code == 85 and "while creating signature in main dataset" in text
    assert query.exists() == (case == "uid-dir")


# -- +t: inserting the answer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("querier", "inserter"),
    [("dcmtk", "ours"), ("ours", "dcmtk")],
    ids=["dcmtk-query", "our-query"],
)
def test_insert_both_ways(
    querier: str, inserter: str, pki: PKI, tsa: ServedTSA, tmp_path: Path
) -> None:
    stamped = _sign_and_query(querier, pki.rsa2048, tmp_path / "q", tsa)
    out = tmp_path / "stamped.dcm"
    done = _insert(inserter, stamped, out)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    for policy in ("+tv", "+tr", "-tv"):
        code, text = _same([*_trust(pki.rsa2048, tsa), policy, out])
        assert code == 0, text
        assert ("Timestamp Verification : OK" in text) == (policy != "-tv")
    code, text = _same(["-v", *_trust(pki.rsa2048, tsa), out])
    assert code == 0 and "Certified timestamp         : CMS_TSP version 1" in text


def test_insert_into_an_item_and_replace(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    stamped = _sign_and_query(
        "ours", pki.rsa3072, tmp_path / "q", tsa, item="ReferencedImageSequence[0]"
    )
    once = tmp_path / "once.dcm"
    assert _insert("ours", stamped, once).returncode == 0
    _same(["+t", stamped.query, stamped.response, stamped.uid, once], out=True, work=tmp_path)
    code, text = _same([*_trust(pki.rsa3072, tsa), "+tr", tmp_path / "ours" / "out.dcm"])
    assert code == 0 and "Timestamp Verification : OK" in text


@pytest.fixture(scope="module")
def stamped(pki: PKI, tsa: ServedTSA, tmp_path_factory: pytest.TempPathFactory) -> Stamped:
    """A file signed by DCMTK with a timestamp query (SHA-256, nonce, certificate asked)."""
    work = tmp_path_factory.mktemp("stamped")
    return _sign_and_query("dcmtk", pki.rsa2048, work, tsa, "+tp", OTHER_POLICY)


@pytest.mark.parametrize(
    "case",
    [
        "query-missing", "query-garbage", "query-truncated", "query-empty", "query-is-response",
        "response-missing", "response-garbage", "response-truncated", "response-is-query",
        "uid-missing", "uid-garbage", "uid-truncated", "uid-without-uid", "uid-unknown",
        "answer-to-another-query", "wrong-nonce", "wrong-policy", "rejected", "modified",
        "other-algorithm",
    ],
)  # fmt: skip
def test_insert_bad_input(
    case: str, stamped: Stamped, tsa: ServedTSA, pki: PKI, tmp_path: Path
) -> None:
    query, response, uid = stamped.query, stamped.response, stamped.uid
    bad = tmp_path / "bad"
    kind, _, what = case.partition("-")
    if what == "missing":
        bad = tmp_path / "missing"
    elif what == "garbage":
        bad.write_bytes(b"not ASN.1 and not DICOM at all")
    elif what == "truncated":
        source = {"query": query, "response": response, "uid": uid}[kind]
        bad.write_bytes(source.read_bytes()[: len(source.read_bytes()) // 2])
    elif what == "empty":
        bad.write_bytes(b"")
    elif what == "is-response":
        bad = response
    elif what == "is-query":
        bad = query
    elif case == "uid-without-uid":
        bad = SOURCE
    elif case == "uid-unknown":
        other = _sign_and_query("ours", pki.rsa2048, tmp_path / "other", tsa)
        bad = other.uid
    elif case == "other-algorithm":
        other = _sign_and_query("dcmtk", pki.rsa2048, tmp_path / "other", tsa, "+tm5")
        kind, bad = "query", other.query
    else:
        fault = {
            "answer-to-another-query": "imprint",
            "wrong-nonce": "nonce",
            "wrong-policy": "policy",
            "rejected": "reject",
            "modified": "modified",
        }[case]
        kind = "response"
        bad.write_bytes(tsa.post(query.read_bytes(), fault))
    if kind == "query":
        query = bad
    elif kind == "response":
        response = bad
    elif kind == "uid":
        uid = bad
    code, text = _same(["+t", query, response, uid, stamped.signed], out=True, work=tmp_path)
    expected = {
        "query": 31, "response": 32, "uid": 33,
        "answer-to-another-query": 87, "wrong-nonce": 87, "wrong-policy": 87, "rejected": 87,
        "modified": 0, "uid-unknown": 84, "uid-without-uid": 33, "other-algorithm": 87,
    }  # fmt: skip
    assert code == expected.get(case, expected.get(kind)), text
    if case == "modified":
        assert text == "W: timestamp response status: granted with modifications\n"
    elif code:
        assert text.startswith(("E: ", "F: ")), text
    if case == "rejected":
        assert "W: timestamp response status text: " in text


# -- verification ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verdict_files(
    pki: PKI, tsa: ServedTSA, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Files whose timestamp is valid, untrusted, expired, tampered, misplaced, unreadable."""
    work = tmp_path_factory.mktemp("verdicts")
    files: dict[str, Path] = {}
    for fault in (None, "untrusted", "expired", "modified", "backdated", "early"):
        stamped = _sign_and_query("ours", pki.rsa2048, work / str(fault), tsa, fault=fault)
        out = work / f"{fault or 'valid'}.dcm"
        assert _insert("dcmtk", stamped, out).returncode == 0
        files[fault or "valid"] = out
    no_cert = _sign_and_query("dcmtk", pki.ec384, work / "no-cert", tsa, "-tc")
    files["no-cert"] = work / "no-cert.dcm"
    assert _insert("ours", no_cert, files["no-cert"]).returncode == 0
    valid = files["valid"].read_bytes()
    token = tsp.TimeStampResp.load((work / "None" / "r.tsr").read_bytes())
    token_der = token["time_stamp_token"].dump()
    at = valid.index(token_der)
    gen_time = token_der.index(b"\x18\x0f")

    def variant(label: str, offset: int) -> None:
        data = bytearray(valid)
        data[offset] ^= 0x01
        files[label] = work / f"{label}.dcm"
        files[label].write_bytes(bytes(data))

    variant("tampered-signature", at + len(token_der) - 8)
    variant("tampered-content", at + gen_time + 5)
    variant("garbage-token", at + 1)
    # The token of another signature (put there by DCMTK's dcmodify): the imprint differs.
    other = _sign_and_query("ours", pki.rsa2048, work / "other", tsa)
    other_token = work / "other.tsd"
    other_der = tsp.TimeStampResp.load(other.response.read_bytes())["time_stamp_token"].dump()
    other_token.write_bytes(other_der + b"\0" * (len(other_der) % 2))
    files["misplaced"] = work / "misplaced.dcm"
    shutil.copy(files["valid"], files["misplaced"])
    done = dcmtk(
        "dcmodify", "-nb", "-if", f"(fffa,fffa)[0].(0400,0310)={other_token}", files["misplaced"]
    )
    assert done.returncode == 0, done.stderr
    unknown = valid.replace(b"CMS_TSP ", b"RFC3161 ")
    files["unknown-type"] = work / "unknown-type.dcm"
    files["unknown-type"].write_bytes(unknown)
    return files


# OpenSSL's reason for each token (a tampered RSA signature fails its padding check: almost
# always on the first byte, else on the block type).
_VERDICTS: dict[str, tuple[str, ...]] = {
    "valid": ("OK",),
    "modified": ("OK",),
    "untrusted": ("certificate verify error",),
    "expired": ("certificate verify error",),
    "tampered-signature": ("invalid padding", "block type is not 01"),
    "tampered-content": ("digest failure",),
    "no-cert": ("signer certificate not found",),
    "misplaced": ("message imprint mismatch",),
    "backdated": ("timestamp created before start of signer certificate validity.",),
    "early": ("timestamp created before start of TSA certificate validity.",),
}


@pytest.mark.parametrize("policy", ["+tv", "-tv", "+tr"])
@pytest.mark.parametrize("label", [*_VERDICTS, "garbage-token", "unknown-type"])
def test_verdicts_like_dcmtk(
    label: str, policy: str, verdict_files: dict[str, Path], pki: PKI, tsa: ServedTSA
) -> None:
    identity = pki.ec384 if label == "no-cert" else pki.rsa2048
    code, text = _same([*_trust(identity, tsa), policy, verdict_files[label]])
    expected = _VERDICTS.get(label)
    if policy == "-tv":
        assert code == 0 and "Timestamp Verification" not in text
    elif expected is None:
        # Unreadable: DCMTK warns and takes the signature as without a timestamp.
        assert "Timestamp Verification" not in text
        assert code == (101 if policy == "+tr" else 0)
    elif expected == ("OK",):
        assert code == 0 and "Timestamp Verification : OK\n" in text
    else:
        assert code == 101
        prefix = "Timestamp Verification : timestamp signature verification failed: "
        assert any(f"{prefix}{reason}\n" in text for reason in expected), text


def test_no_cert_token_verifies_with_the_tsa_certificate_given(
    verdict_files: dict[str, Path], pki: PKI, tsa: ServedTSA
) -> None:
    args = [*_trust(pki.ec384, tsa), "+uf", tsa.authority.certificate, verdict_files["no-cert"]]
    code, text = _same(args)
    assert code == 0 and "Timestamp Verification : OK" in text


def test_tsa_root_must_be_trusted(verdict_files: dict[str, Path], pki: PKI, tsa: ServedTSA) -> None:
    trust = ["+cf", pki.rsa2048.root, "+uf", pki.rsa2048.chain]
    code, text = _same([*trust, verdict_files["valid"]])
    assert code == 101 and "certificate verify error" in text
    code, _ = _same([*trust, "+uf", tsa.authority.root, verdict_files["valid"]])
    assert code == 101


@pytest.mark.parametrize("label", ["valid", "no-cert", "untrusted", "backdated", "early"])
def test_verbose_details_like_dcmtk(
    label: str, verdict_files: dict[str, Path], pki: PKI, tsa: ServedTSA
) -> None:
    identity = pki.ec384 if label == "no-cert" else pki.rsa2048
    args: list[str | Path] = ["-v", *_trust(identity, tsa), verdict_files[label]]
    if label in ("backdated", "early"):
        # DCMTK's own checks: an error line (before the TSA certificate's details for the TSA
        # check, after them for the signer's), no OpenSSL error queue involved.
        code, text = _same(args)
        reason = _VERDICTS[label][0]
        assert code == 101 and f"E: {reason}\n" in text
        details = text.index("Timestamp signature certificate")
        assert (text.index(f"E: {reason}") < details) == (label == "early")
        return
    if label == "valid":
        code, text = _same(args)
        assert code == 0
        for line in ("Policy OID              : 1.2.3.4.1", "TSA Name                : DirName:",
                     "Accuracy                : 1.500100s", "Timestamp signature certificate"):  # fmt: skip
            assert line in text
        return
    # DCMTK prints the oldest entry of OpenSSL's error queue, here a leftover of printing a
    # certificate with a 159-bit serial number ("too large"); we print the failure's own
    # reason (a deliberate difference, see the README). Everything else is the same.
    theirs, mine = dcmtk("dcmsign", *args), ours(*args)
    assert theirs.returncode == mine.returncode == 101
    reason = _VERDICTS[label][0]
    assert "verification failed: too large" in theirs.stderr
    assert mine.stderr == theirs.stderr.replace(
        "verification failed: too large", f"verification failed: {reason}"
    )


# -- long-term validation: an expired signer healed by its timestamp -------------------------


def test_expired_signer_healed_by_timestamp(pki: PKI, tsa: ServedTSA, tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    expiry = now + timedelta(seconds=4)
    key = pki.rsa2048.private_key
    cert = issue_certificate(
        name("Test leaf expiring"), key.public_key(), pki.intermediate.certificate,
        pki.intermediate.private_key,
        not_before=now - timedelta(days=7), not_after=expiry,
    )  # fmt: skip
    identity = write_identity(
        tmp_path, "expiring", key, cert, [pki.intermediate.certificate], pki.root.certificate
    )
    files = {}
    for tool in ("dcmtk", "ours"):
        stamped = _sign_and_query(tool, identity, tmp_path / tool, tsa)
        files[tool] = tmp_path / f"{tool}-stamped.dcm"
        assert _insert(tool, stamped, files[tool]).returncode == 0
        files[f"{tool}-unstamped"] = stamped.signed
    time.sleep(max(0.0, (expiry - datetime.now(UTC)).total_seconds()) + 1.2)
    trust = _trust(identity, tsa)
    for tool in ("dcmtk", "ours"):
        code, text = _same([*trust, files[tool]])
        assert code == 0, text
        assert "certificate verification failed: certificate has expired" in text
        assert "Timestamp Verification : OK, extends validity period of expired signature." in text
        code, text = _same([*trust, "-v", "+tr", files[tool]])
        assert code == 0 and "Timestamp signature certificate" in text
        code, text = _same([*trust, "-tv", files[tool]])
        assert code == 101 and "Timestamp Verification" not in text
        code, text = _same([*trust, "+tr", files[f"{tool}-unstamped"]])
        assert code == 101 and "absent, but required by timestamp policy" in text


# -- the test TSA's HTTP faults (for the timestamping client) -------------------------------


def test_tsa_http_faults(tsa: ServedTSA, stamped: Stamped) -> None:
    query = stamped.query.read_bytes()
    with pytest.raises(urllib.error.HTTPError) as error:
        tsa.post(query, "http500")
    assert error.value.code == 500
    with pytest.raises(urllib.error.HTTPError) as error:
        tsa.post(query, "busy")
    assert error.value.code == 429 and error.value.headers["Retry-After"] == "1"
    with pytest.raises(TimeoutError):
        tsa.post(query, "slow", timeout=0.5)
    assert tsa.post(query, "garbage") == b"not a timestamp"
    assert parse_response(tsa.post(query)).status == 0
    rejected = parse_response(tsa.post(query, "reject"))
    assert rejected.status == 2 and rejected.token is None and rejected.failure_bits == {15}


# -- truncated files --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [128, 131, 132, 136, 140, 150, 200, 300])
def test_truncated_meta_header(size: int, tmp_path: Path) -> None:
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(SOURCE.read_bytes()[:size])
    if size == 128:
        # No "DICM": both read the zero preamble as a bare dataset (empty elements).
        code, text = _same([cut])
        assert code == 0 and text.endswith("W: no signatures found in dataset.\n")
        return
    for policy in ((), ("+rg",)):
        code, text = _same([*policy, cut])
        assert code == 20 and text.endswith(f"reading file: {cut}\n"), text
    code, _ = _same(["+ra", cut], out=True, work=tmp_path)
    assert code == 20


def test_copy_of_stamped_file_is_untouched(stamped: Stamped, tmp_path: Path) -> None:
    """+t never modifies its inputs."""
    before = {
        p: p.read_bytes() for p in (stamped.query, stamped.response, stamped.uid, stamped.signed)
    }
    copy = tmp_path / "in.dcm"
    shutil.copy(stamped.signed, copy)
    done = ours("+t", stamped.query, stamped.response, stamped.uid, copy, tmp_path / "out.dcm")
    assert done.returncode == 0, done.stderr
    assert copy.read_bytes() == before[stamped.signed]
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("label", ["unknown-type", "garbage-token", "valid"])
def test_removal_reads_timestamps_like_dcmtk(
    label: str, verdict_files: dict[str, Path], tmp_path: Path
) -> None:
    """DCMTK reads (and warns about) each timestamp as it selects a signature, also in +r/+ra."""
    path = verdict_files[label]
    code, text = _same(["+ra", path], out=True, work=tmp_path)
    assert code == 0 and ("certified timestamp" in text) == (label != "valid")
    code, text = _same(["+r", "1.2.3", path], out=True, work=tmp_path)
    assert code == 84


def test_leftover_sign_options_are_loaded(stamped: Stamped, pki: PKI, tmp_path: Path) -> None:
    """In "+s k c +t q r u in out" DCMTK inserts the timestamp but loads k and c first."""
    args = ["+t", stamped.query, stamped.response, stamped.uid, stamped.signed]
    code, text = _same(
        ["+s", tmp_path / "no-key", tmp_path / "no-cert", *args], out=True, work=tmp_path
    )
    assert code == 20 and "while loading certificate file" in text
    code, _ = _same(["+s", pki.rsa2048.key, pki.rsa2048.cert, *args], out=True, work=tmp_path)
    assert code == 0


def _dataset_part() -> tuple[bytes, bytes]:
    data = SOURCE.read_bytes()
    end = 144 + int.from_bytes(data[140:144], "little")
    return data[:132], data[end:]


@pytest.mark.parametrize(
    "case", ["5", "11", "12", "100", "dataset", "preamble-no-meta", "preamble-cut"]
)
def test_file_only_without_meta_header(case: str, tmp_path: Path) -> None:
    """+fo: "File meta information header missing" (after DCMTK's preamble warning), but a
    premature end for files shorter than 12 bytes; never an empty dataset."""
    preamble, dataset = _dataset_part()
    content = {
        "dataset": dataset,
        "preamble-no-meta": preamble + dataset,
        "preamble-cut": preamble + dataset[:7],
    }.get(case) or dataset[: int(case)]
    path = tmp_path / "in.dcm"
    path.write_bytes(content)
    code, text = _same(["+fo", path])
    assert code == 20 and text.startswith(("F: ", "W: ")), text
    _same(["-f", path])
    _same([path])
