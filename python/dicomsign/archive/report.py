"""Reports from journals: JSON, CSV, JUnit XML and one self-contained HTML page.

A report covers the last record of each path in the journals given (in order: a later record
of a path replaces an earlier one). Files are listed failing first (``ok`` false), then by
status word in :data:`~dicomsign.archive.status.REPORT_ORDER`, then by path. The HTML page
needs nothing from the network (inline CSS, an inline SVG chart of the counts per status, no
script); it lists every failing file and the first :data:`HTML_PASSING_ROWS` others.
"""

from __future__ import annotations

import functools
import html
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from .. import __version__
from .journal import SCHEMA_VERSION, JournalReader, record_path
from .status import REPORT_ORDER, Status, is_failure, one_line

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "HTML_PASSING_ROWS",
    "Records",
    "format_for",
    "load",
    "render",
]

FORMATS = ("json", "csv", "junit", "html")
HTML_PASSING_ROWS = 5000

_EXTENSIONS = {".json": "json", ".csv": "csv", ".xml": "junit", ".html": "html", ".htm": "html"}
_RANK = {str(s): i for i, s in enumerate(REPORT_ORDER)}


def format_for(path: str, default: str | None = None) -> str | None:
    """The report format of a file name by its extension (``.json``, ``.csv``, ``.xml`` for
    JUnit, ``.html``), else ``default``."""
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower(), default)


def _ok(rec: dict[str, Any]) -> bool:
    ok = rec.get("ok")
    if isinstance(ok, bool):
        return ok
    try:
        return not is_failure(str(rec.get("status")))
    except ValueError:  # a word from a later version without "ok": count it as failing
        return False


@dataclass
class Records:
    """The current record of each path of some journals, sorted failing first."""

    journals: list[str]
    files: list[dict[str, Any]] = field(default_factory=list)
    damaged: int = 0

    @property
    def counts(self) -> Counter[str]:
        """Files per status word."""
        return Counter(str(r.get("status")) for r in self.files)

    @property
    def failing(self) -> int:
        """Files that fail (``ok`` false)."""
        return sum(1 for r in self.files if not _ok(r))

    @property
    def bytes(self) -> int:
        """Sum of the files' sizes."""
        return sum(r["size"] for r in self.files if isinstance(r.get("size"), int))

    def summary(self) -> dict[str, Any]:
        """Counts as JSON-ready values."""
        counts = self.counts
        ordered = [str(s) for s in REPORT_ORDER if counts[str(s)]]
        ordered += sorted(set(counts) - set(ordered))
        return {
            "files": len(self.files),
            "bytes": self.bytes,
            "failing": self.failing,
            "statuses": {word: counts[word] for word in ordered},
        }


def load(journals: Iterable[str | os.PathLike[str]]) -> Records:
    """Read journals into :class:`Records` (a later record of a path wins).

    Raises
    ------
    JournalError
        A journal cannot be read.
    """
    names = [os.fspath(j) for j in journals]
    latest: dict[bytes, dict[str, Any]] = {}
    damaged = 0
    for name in names:
        reader = JournalReader(name)
        for rec in reader:
            key = record_path(rec)
            latest.pop(key, None)
            latest[key] = rec
        damaged += reader.damaged
    files = sorted(
        latest.values(),
        key=lambda r: (_ok(r), _RANK.get(str(r.get("status")), -1), str(r.get("path"))),
    )
    return Records(names, files, damaged)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(records: Records, out: TextIO) -> None:
    document = {
        "v": SCHEMA_VERSION,
        "generator": f"dicomsign {__version__}",
        "generated_at": _now(),
        "journals": records.journals,
        "summary": records.summary(),
        "files": records.files,
    }
    json.dump(document, out, ensure_ascii=False, indent=1)
    out.write("\n")


CSV_COLUMNS = (
    "path",
    "status",
    "ok",
    "reason",
    "size",
    "mtime_ns",
    "exit_code",
    "checked_at",
    "signatures",
    "signature_uids",
    "signature_statuses",
    "signers",
    "mac_algorithms",
    "signing_times",
    "locations",
)


def _joined(signatures: list[dict[str, Any]], key: str) -> str:
    return " | ".join("" if s.get(key) is None else str(s.get(key)) for s in signatures)


def _csv(records: Records, out: TextIO) -> None:
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in records.files:
        sigs = rec.get("signatures") or []
        writer.writerow(
            [
                rec.get("path"),
                rec.get("status"),
                "true" if _ok(rec) else "false",
                rec.get("reason") or "",
                "" if rec.get("size") is None else rec.get("size"),
                "" if rec.get("mtime_ns") is None else rec.get("mtime_ns"),
                "" if rec.get("exit_code") is None else rec.get("exit_code"),
                rec.get("checked_at") or "",
                len(sigs),
                _joined(sigs, "uid"),
                _joined(sigs, "status"),
                _joined(sigs, "signer"),
                _joined(sigs, "mac_algorithm"),
                _joined(sigs, "datetime"),
                _joined(sigs, "location"),
            ]
        )


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """Characters XML 1.0 does not allow, even escaped."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(value: object) -> str:
    return _not_xml().sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _xml_text(value: object) -> str:
    return html.escape(_xml_safe(value), quote=False)


def _xml_attr(value: object) -> str:
    text = html.escape(_xml_safe(value), quote=True)
    return '"' + text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def _junit(records: Records, out: TextIO) -> None:
    failures = errors = skipped = 0
    cases = []
    for rec in records.files:
        path = str(rec.get("path"))
        directory, name = os.path.split(path)
        status = str(rec.get("status"))
        why = rec.get("reason") or status
        head = f"    <testcase classname={_xml_attr(directory or '.')} name={_xml_attr(name)}"
        if not _ok(rec):
            tag = "error" if status == Status.UNREADABLE else "failure"
            if tag == "error":
                errors += 1
            else:
                failures += 1
            body = f"<{tag} type={_xml_attr(status)} message={_xml_attr(why)}>"
            body += f"{_xml_text(path)}: {_xml_text(why)}</{tag}>"
        elif status in (Status.UNSIGNED, Status.NOT_DICOM):
            skipped += 1
            body = f"<skipped message={_xml_attr(f'{status}: {why}')}/>"
        else:
            body = ""
        cases.append(f"{head}>{body}</testcase>" if body else f"{head}/>")
    total = len(records.files)
    counts = f'tests="{total}" failures="{failures}" errors="{errors}" skipped="{skipped}"'
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="dicomsign verify" {counts}>\n')
    out.write(f'  <testsuite name="dicomsign verify" {counts} timestamp="{_now()[:-1]}">\n')
    out.writelines(case + "\n" for case in cases)
    out.write("  </testsuite>\n</testsuites>\n")


_COLORS = {
    Status.SIGNATURE_INVALID: "#b3261e",
    Status.CERTIFICATE_REVOKED: "#8c1d18",
    Status.CERTIFICATE_EXPIRED: "#c4561b",
    Status.CERTIFICATE_UNTRUSTED: "#d9822b",
    Status.REVOCATION_UNKNOWN: "#a66a00",
    Status.POLICY_VIOLATION: "#7e57c2",
    Status.UNREADABLE: "#5f6368",
    Status.UNSIGNED: "#8a8f98",
    Status.NOT_DICOM: "#b0b4ba",
    Status.VERIFIED_BY_TIMESTAMP: "#2e7d5b",
    Status.VERIFIED: "#1e8e3e",
}

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#202124}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.meta{color:#5f6368;margin:0 0 1rem}.meta code{font-size:.85em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;
border-bottom:1px solid #e0e0e0;vertical-align:top}th{background:#f1f3f4;position:sticky;top:0}
td.path{font-family:ui-monospace,Menlo,Consolas,monospace;width:30%;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 .4rem;border-radius:.6rem;color:#fff;font-size:.8rem;
white-space:nowrap}.sig{font-size:.85em;color:#3c4043}.fail td.path{color:#b3261e}
.note{color:#5f6368;font-style:italic}svg text{font:12px system-ui,sans-serif}
"""


def _badge(status: str) -> str:
    color = _COLORS.get(Status(status), "#444") if status in _RANK else "#444"
    return f'<span class="badge" style="background:{color}">{html.escape(status)}</span>'


def _chart(records: Records) -> str:
    summary = records.summary()["statuses"]
    rows = list(summary.items())
    if not rows:
        return '<p class="note">No files.</p>'
    biggest = max(n for _, n in rows)
    bar_height, gap, label_width, bar_width = 22, 6, 190, 460
    height = len(rows) * (bar_height + gap) + gap
    width = label_width + bar_width + 90
    svg = (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="chart-title">'
    )
    parts = [svg, '<title id="chart-title">Files per status</title>']
    for index, (word, n) in enumerate(rows):
        y = gap + index * (bar_height + gap)
        length = max(2, round(bar_width * n / biggest))
        color = _COLORS.get(Status(word), "#444") if word in _RANK else "#444"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{html.escape(word)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" '
            f'fill="{color}"><title>{html.escape(word)}: {n:,}</title></rect>'
            f'<text x="{label_width + length + 6}" y="{y + 15}">{n:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _signatures_cell(signatures: list[dict[str, Any]]) -> str:
    lines = []
    for sig in signatures:
        details = " · ".join(
            html.escape(str(sig[k]))
            for k in ("location", "mac_algorithm", "signer", "datetime", "uid")
            if sig.get(k)
        )
        lines.append(
            f'<div class="sig">#{html.escape(str(sig.get("number", "?")))} '
            f"{_badge(str(sig.get('status')))} {details}</div>"
        )
    return "".join(lines)


def _row(rec: dict[str, Any]) -> str:
    status = str(rec.get("status"))
    css = "" if _ok(rec) else ' class="fail"'
    return (
        f'<tr{css} data-status="{html.escape(status)}">'
        f'<td class="path">{html.escape(one_line(str(rec.get("path"))))}</td>'
        f"<td>{_badge(status)}</td><td>{html.escape(rec.get('reason') or '')}</td>"
        f"<td>{_signatures_cell(rec.get('signatures') or [])}</td></tr>"
    )


def _html(records: Records, out: TextIO, *, passing_rows: int = HTML_PASSING_ROWS) -> None:
    summary = records.summary()
    failing = [r for r in records.files if not _ok(r)]
    passing = [r for r in records.files if _ok(r)]
    sources = ", ".join(f"<code>{html.escape(j)}</code>" for j in records.journals)
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>dicomsign verification report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n"
        "<h1>dicomsign verification report</h1>\n"
        f'<p class="meta">{summary["files"]:,} files, {summary["failing"]:,} failing '
        f"· generated {_now()} by dicomsign {html.escape(__version__)} from {sources}</p>\n"
        f"<h2>Files per status</h2>\n{_chart(records)}\n"
    )
    head = "<tr><th>File</th><th>Status</th><th>Reason</th><th>Signatures</th></tr>"
    out.write(f"<h2>Failing files ({len(failing):,})</h2>\n")
    if failing:
        out.write(f'<table id="failing">\n<thead>{head}</thead>\n<tbody>\n')
        out.writelines(_row(rec) + "\n" for rec in failing)
        out.write("</tbody>\n</table>\n")
    else:
        out.write('<p class="note">None.</p>\n')
    out.write(f"<h2>Other files ({len(passing):,})</h2>\n")
    if passing:
        out.write(f'<table id="passing">\n<thead>{head}</thead>\n<tbody>\n')
        out.writelines(_row(rec) + "\n" for rec in passing[:passing_rows])
        out.write("</tbody>\n</table>\n")
        if len(passing) > passing_rows:
            out.write(
                f'<p class="note">{len(passing) - passing_rows:,} more files not listed here '
                "(the JSON and CSV reports list every file).</p>\n"
            )
    if records.damaged:
        out.write(f'<p class="note">{records.damaged} damaged journal lines skipped.</p>\n')
    out.write("</body>\n</html>\n")


def render(records: Records, fmt: str, out: TextIO) -> None:
    """Write the report of ``records`` in ``fmt`` (one of :data:`FORMATS`) to ``out``."""
    if fmt == "json":
        _json(records, out)
    elif fmt == "csv":
        _csv(records, out)
    elif fmt == "junit":
        _junit(records, out)
    elif fmt == "html":
        _html(records, out)
    else:
        raise ValueError(f"unknown report format {fmt!r} (one of {', '.join(FORMATS)})")
