"""Reports from journals (JSON, CSV, JUnit XML, one self-contained HTML page), after a run
(``--report``) or later (``dicomsign report``); file names with control characters,
newlines and bytes that are not UTF-8 included."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest_archive import Archive
from dcmtk import dicomsign_cli
from dicomsign.archive.status import REPORT_ORDER

FAILING = {
    "signature-invalid",
    "certificate-untrusted",
    "certificate-expired",
    "certificate-revoked",
    "unreadable",
}
ODD_NAMES = [b"ctl\x01\x1b.dcm", b"new\nline.dcm", b"caf\xe9.dcm", b"quote\"<&>'.dcm"]


@pytest.fixture(scope="module")
def journal(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A journal of the archive plus files with odd names (all unsigned copies)."""
    base = tmp_path_factory.mktemp("reports")
    root = archive.copy(base / "tree")
    odd = os.fsencode(root / "odd")
    os.mkdir(odd)
    for name in ODD_NAMES:
        shutil.copy(archive.root / "study1/unsigned.dcm", odd + b"/" + name)
    path = base / "journal.jsonl"
    done = dicomsign_cli("verify", "-q", *archive.cli_trust, "--journal", path, root)
    assert done.returncode == 101, done.stderr
    return path, root


def _expected_counts(archive: Archive) -> Counter[str]:
    return Counter(archive.expected.values()) + Counter({"unsigned": len(ODD_NAMES)})


def _report(journal: Path, *args: str | Path) -> str:
    done = dicomsign_cli("report", journal, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_json_report(archive: Archive, journal: tuple[Path, Path]) -> None:
    path, _ = journal
    report = json.loads(_report(path, "--format", "json"))
    assert report["v"] == 1 and report["journals"] == [str(path)]
    counts = _expected_counts(archive)
    assert report["summary"]["statuses"] == {
        str(s): counts[str(s)] for s in REPORT_ORDER if counts[str(s)]
    }
    assert report["summary"]["files"] == sum(counts.values())
    assert report["summary"]["failing"] == sum(counts[w] for w in FAILING)
    oks = [f["ok"] for f in report["files"]]
    assert oks == sorted(oks), "failing files first"
    assert report["files"][0]["status"] == "signature-invalid"
    # JSON is the default of `dicomsign report`.
    assert json.loads(_report(path))["summary"] == report["summary"]


def test_csv_report(archive: Archive, journal: tuple[Path, Path]) -> None:
    path, root = journal
    rows = list(csv.DictReader(io.StringIO(_report(path, "-f", "csv"))))
    assert len(rows) == sum(_expected_counts(archive).values())
    by_path = {r["path"]: r for r in rows}
    assert str(root / "odd" / "new\nline.dcm") in by_path
    mixed = by_path[str(root / "study2" / "mixed.dcm")]
    assert mixed["status"] == "certificate-expired" and mixed["ok"] == "false"
    assert mixed["signatures"] == "3"
    assert mixed["signature_statuses"] == "verified | certificate-untrusted | certificate-expired"
    assert rows[0]["ok"] == "false" and rows[-1]["ok"] == "true"


def test_junit_report(archive: Archive, journal: tuple[Path, Path]) -> None:
    path, _ = journal
    suites = ET.fromstring(_report(path, "-f", "junit"))
    counts = _expected_counts(archive)
    total = sum(counts.values())
    assert suites.tag == "testsuites" and suites.get("tests") == str(total)
    suite = suites.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == total
    assert suite.get("errors") == str(counts["unreadable"]) == str(len(suite.findall("*/error")))
    failures = sum(counts[w] for w in FAILING - {"unreadable"})
    assert suite.get("failures") == str(failures) == str(len(suite.findall("*/failure")))
    skipped = counts["unsigned"] + counts["not-dicom"]
    assert suite.get("skipped") == str(skipped) == str(len(suite.findall("*/skipped")))
    names = {c.get("name") for c in cases}
    assert "ctl\\x01\\x1b.dcm" in names and "caf\\xe9.dcm" in names
    assert "quote\"<&>'.dcm" in names and "new\nline.dcm" in names


class _Checker(HTMLParser):
    """Well-formedness (every element closed in order), no script, no external resource."""

    VOID = frozenset({"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: Counter[str] = Counter()
        self.ids: list[str] = []
        self.errors: list[str] = []
        self.rows: dict[str, list[str]] = {}
        self.table: str | None = None
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            text = (value or "").lower()
            if name in ("src", "href", "action") or "url(" in text or "://" in text:
                self.errors.append(f"external reference in <{tag} {name}={value!r}>")
            if name == "id" and value:
                self.ids.append(value)
            if tag == "tr" and name == "data-status" and self.table is not None:
                self.rows[self.table].append(value or "")
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.errors.append(f"<{tag}>")
        if tag == "table":
            self.table = dict(attrs).get("id") or ""
            self.rows[self.table] = []
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        if tag == "table":
            self.table = None


def _check_html(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.doctype
    assert not checker.errors, checker.errors[:5]
    assert checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))
    return checker


def test_html_report_is_one_self_contained_page(
    archive: Archive, journal: tuple[Path, Path], tmp_path: Path
) -> None:
    path, _ = journal
    target = tmp_path / "report.html"
    assert dicomsign_cli("report", path, "-o", target).returncode == 0  # format by extension
    text = target.read_text(encoding="utf-8")
    checker = _check_html(text)
    counts = _expected_counts(archive)
    assert checker.tags["svg"] == 1
    assert checker.tags["rect"] == len(counts)  # one bar per status present
    for word, n in counts.items():
        assert f"<title>{word}: {n:,}</title>" in text
    failing_rows = checker.rows["failing"]
    assert len(failing_rows) == sum(counts[w] for w in FAILING)
    assert set(failing_rows) <= FAILING
    assert failing_rows == sorted(failing_rows, key=[str(s) for s in REPORT_ORDER].index)
    assert text.index('id="failing"') < text.index('id="passing"')
    assert set(checker.rows["passing"]) == {"verified", "unsigned", "not-dicom"}
    # Control characters as escapes, markup escaped.
    assert "ctl\\x01\\x1b.dcm" in text and "new\\nline.dcm" in text and "caf\\xe9" in text
    assert "quote&quot;&lt;&amp;&gt;&#x27;.dcm" in text
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium:  # a real browser, where one is installed: the same page, fully parsed
        done = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--dump-dom",
                target.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        dom = done.stdout
        assert dom.count("<tr") == 2 + sum(counts.values())  # two header rows
        assert dom.count("<rect") == len(counts)


def test_report_at_the_end_of_a_run(archive: Archive, tmp_path: Path) -> None:
    """With or without --journal (a temporary one, removed); formats by extension."""
    root = archive.copy(tmp_path / "tree")
    for name, parse in (
        ("report.json", json.loads),
        ("report.csv", lambda t: list(csv.DictReader(io.StringIO(t)))),
        ("report.xml", ET.fromstring),
        ("report.html", _check_html),
    ):
        target = tmp_path / name
        done = dicomsign_cli("verify", "-q", *archive.cli_trust, "--report", target, root)
        assert done.returncode == 101, done.stderr
        assert parse(target.read_text(encoding="utf-8"))
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["tree", "report.json", "report.csv", "report.xml", "report.html"]
    )
    journal = tmp_path / "journal.jsonl"
    target = tmp_path / "report.out"
    args: list[Any] = ["verify", "-q", *archive.cli_trust, "--journal", journal]
    done = dicomsign_cli(*args, "--report", target, "--report-format", "csv", root)
    assert done.returncode == 101
    assert target.read_text().startswith("path,status,ok,reason")
    done = dicomsign_cli(*args, "--report", target, root)
    assert done.returncode == 2 and "give --report-format" in done.stderr


def test_the_last_record_of_a_path_wins(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    journal = tmp_path / "journal.jsonl"
    args = ["verify", "-q", *archive.cli_trust, "--journal", journal, "--resume", root]
    assert dicomsign_cli(*args).returncode == 101
    shutil.copy(root / "study1/series1/rsa.dcm", root / "study2" / "tampered.dcm")
    assert dicomsign_cli(*args).returncode == 101
    assert journal.read_text().count("tampered.dcm") == 2
    report = json.loads(_report(journal))
    tampered = [f for f in report["files"] if f["path"].endswith("tampered.dcm")]
    assert [f["status"] for f in tampered] == ["verified"]
    assert report["summary"]["files"] == len(archive.expected)


def test_report_errors(tmp_path: Path) -> None:
    done = dicomsign_cli("report", tmp_path / "missing.jsonl")
    assert done.returncode == 20
    assert "cannot be read: No such file or directory" in done.stderr
    journal = tmp_path / "journal.jsonl"
    journal.write_text('{"v": 1, "path": "a.dcm", "status": "verified", "ok": true}\nbroken\n')
    done = dicomsign_cli("report", journal, "-o", tmp_path)
    assert done.returncode == 40 and "Is a directory" in done.stderr
    done = dicomsign_cli("report", journal, "-f", "csv")
    assert done.returncode == 0
    assert "1 damaged journal lines ignored" in done.stderr
    assert done.stdout.splitlines()[1].startswith("a.dcm,verified,true")
