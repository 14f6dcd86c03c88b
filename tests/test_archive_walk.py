"""The walk (trees and file lists, streaming), the engine seam (``verify_stream``: bounded,
as completed) and ``dicomsign.verify_many``, on real files; faults during the walk."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import dicomsign
from conftest_archive import Archive
from dicomsign.archive import FileResult, Verifier, verify_stream
from dicomsign.archive.journal import JournalWriter, record
from dicomsign.archive.pipeline import judge
from dicomsign.archive.walk import Filters, Found, Walk, read_file_list


def _relative(root: Path, paths: list[str]) -> list[str]:
    return sorted(os.path.relpath(p, root) for p in paths)


def test_the_walk_finds_every_file_below_the_roots(archive: Archive) -> None:
    found = list(Walk([str(archive.root)]))
    assert all(f.problem is None for f in found)
    assert _relative(archive.root, [f.path for f in found]) == sorted(archive.expected)
    # Paths are as walked: the root as given, joined with the names below it.
    assert all(f.path.startswith(str(archive.root) + os.sep) for f in found)


def test_the_walk_streams(tmp_path: Path) -> None:
    """A directory is read when the walk gets there: a file created in a directory not yet
    visited is found; roots are consumed lazily (an endless iterable of roots works)."""
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "1.dcm").write_bytes(b"x")
    walk = iter(Walk([str(tmp_path)]))
    first = next(walk)
    assert first.path == str(tmp_path / "a" / "1.dcm")
    (tmp_path / "b" / "late.dcm").write_bytes(b"x")
    rest = [f.path for f in walk]
    assert str(tmp_path / "b" / "late.dcm") in rest
    endless = Walk(itertools.repeat(str(tmp_path / "a" / "1.dcm")))
    assert len(list(itertools.islice(endless, 5000))) == 5000


def test_a_directory_named_like_a_file_is_walked(archive: Archive, tmp_path: Path) -> None:
    inner = tmp_path / "x.dcm"
    inner.mkdir()
    shutil.copy(archive.root / "study1/series1/rsa.dcm", inner / "image.dcm")
    results = list(dicomsign.verify_many(tmp_path, **archive.trust))  # type: ignore[arg-type]
    assert [(r.path, r.status) for r in results] == [(str(inner / "image.dcm"), "verified")]


def _link_tree(archive: Archive, tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "real").mkdir(parents=True)
    shutil.copy(archive.root / "study1/series1/rsa.dcm", root / "real" / "image.dcm")
    (root / "link-to-file.dcm").symlink_to(root / "real" / "image.dcm")
    (root / "link-to-dir").symlink_to(root / "real")
    (root / "dangling.dcm").symlink_to(root / "nowhere.dcm")
    (root / "real" / "up").symlink_to("..")  # a loop: real/up/real/up/...
    (root / "self.dcm").symlink_to("self.dcm")  # ELOOP
    return root


def test_symbolic_links_are_not_followed_unless_asked(archive: Archive, tmp_path: Path) -> None:
    root = _link_tree(archive, tmp_path)
    walk = Walk([str(root)])
    assert _relative(root, [f.path for f in walk]) == ["real/image.dcm"]
    assert walk.symlinks_skipped == 5
    # A PATH that is a link is followed (as find -H does).
    assert _relative(root, [f.path for f in Walk([str(root / "link-to-dir")])]) == [
        "link-to-dir/image.dcm"
    ]


def test_followed_links_are_loop_safe_and_each_fault_is_a_record(
    archive: Archive, tmp_path: Path
) -> None:
    root = _link_tree(archive, tmp_path)
    results = dicomsign.verify_many(root, follow_symlinks=True, **archive.trust)  # type: ignore[arg-type]
    got = {os.path.relpath(r.path, root): (r.status, r.reason) for r in results}
    assert {k: v[0] for k, v in got.items()} == {
        "real/image.dcm": "verified",
        "link-to-file.dcm": "verified",
        "link-to-dir/image.dcm": "verified",
        "dangling.dcm": "unreadable",
        "self.dcm": "unreadable",
        "real/up": "unreadable",
        "link-to-dir/up": "unreadable",
    }
    assert got["real/up"][1] == (
        "symbolic link loop (the directory is one of its own parents): listing directory: "
        f"{root / 'real' / 'up'}"
    )
    assert got["dangling.dcm"][1] is not None and "dangling symbolic link" in got["dangling.dcm"][1]
    assert got["self.dcm"][1] is not None
    assert got["self.dcm"][1].startswith("Too many levels of symbolic links")


def test_include_and_exclude_globs(archive: Archive) -> None:
    def walked(include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()) -> list[str]:
        walk = Walk([str(archive.root)], filters=Filters(include, exclude))
        return _relative(archive.root, [f.path for f in walk])

    dcm = sorted(p for p in archive.expected if p.endswith(".dcm"))
    assert walked(include=("*.dcm",)) == dcm
    assert walked(include=("*.dcm",), exclude=("study2",)) == [
        p for p in dcm if not p.startswith("study2/")
    ]
    assert walked(include=("*/series1/*",)) == ["study1/series1/ec.dcm", "study1/series1/rsa.dcm"]
    assert walked(exclude=("*.dcm", "misc")) == []
    assert walked(include=("*.txt", "*.bin")) == ["misc/notes.txt", "misc/random.bin"]
    # Globs are for what the walk finds: a file named as a root is always taken.
    notes = str(archive.root / "misc" / "notes.txt")
    assert [f.path for f in Walk([notes], filters=Filters(exclude=("*.txt",)))] == [notes]


def test_file_lists_newline_crlf_nul_and_undecodable_names() -> None:
    data = b"a.dcm\nb.dcm\r\n\n" + b"caf\xe9.dcm\n" + b"last.dcm"
    names = [f.path for f in read_file_list(io.BytesIO(data))]
    assert names == ["a.dcm", "b.dcm", os.fsdecode(b"caf\xe9.dcm"), "last.dcm"]
    data = b"with\nnewline.dcm\0b.dcm\0\0"
    assert [f.path for f in read_file_list(io.BytesIO(data), null=True)] == [
        "with\nnewline.dcm",
        "b.dcm",
    ]


def test_a_file_list_is_read_as_it_arrives() -> None:
    """From a pipe, the first name is there before the writer has finished."""
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as reader, open(write_end, "wb", buffering=0) as writer:
        writer.write(b"first.dcm\n")
        names = read_file_list(reader)
        got: list[Found] = []
        thread = threading.Thread(target=lambda: got.append(next(names)), daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive() and got[0].path == "first.dcm"
        writer.write(b"second.dcm\n")
        writer.close()
        assert [f.path for f in names] == ["second.dcm"]


def test_undecodable_file_names(archive: Archive, tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9-\xff.dcm"
    shutil.copy(archive.root / "study1/series1/rsa.dcm", raw)
    results = list(dicomsign.verify_many([tmp_path], **archive.trust))  # type: ignore[arg-type]
    assert len(results) == 1
    assert os.fsencode(results[0].path) == raw
    assert results[0].status == "verified"
    # Bytes paths are accepted by the API too.
    again = list(dicomsign.verify_many([raw], **archive.trust))  # type: ignore[arg-type]
    assert [r.status for r in again] == ["verified"]


def test_files_and_directories_that_vanish_during_the_walk(
    archive: Archive, tmp_path: Path
) -> None:
    root = archive.copy(tmp_path / "tree")
    vanishing = str(root / "study1" / "unsigned.dcm")
    found: Iterator[Found] = iter(Walk([str(root)]))

    def paths() -> Iterator[Found]:
        for n, item in enumerate(found):
            if n == 0:
                shutil.rmtree(root / "study2")  # listed in the root, not yet read
            if item.path == vanishing:
                os.unlink(vanishing)  # listed, gone before it is verified
            yield item

    results = {r.path: r for r in judge(paths(), Verifier(**archive.trust), jobs=2)}  # type: ignore[arg-type]
    assert results[vanishing].status == "unreadable"
    assert results[vanishing].reason == f"No such file or directory: reading file: {vanishing}"
    gone = str(root / "study2")
    assert results[gone].status == "unreadable"
    assert results[gone].reason == f"No such file or directory: listing directory: {gone}"
    assert not any(p.startswith(gone + os.sep) for p in results)


def test_the_journal_is_left_out_of_the_tree_it_lies_in(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    with JournalWriter(root / "journal.jsonl") as journal:
        walk = Walk([str(root)], ignore=[journal.identity])
        assert "journal.jsonl" not in _relative(root, [f.path for f in walk])
    assert "journal.jsonl" in _relative(root, [f.path for f in Walk([str(root)])])


# -- the engine ---------------------------------------------------------------------------------


def _engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("dicomsign-verify")]


def test_the_engine_pulls_paths_lazily_and_stops_cleanly(archive: Archive) -> None:
    """Memory is bounded by the window, not by the number of files: from an endless source,
    no more paths are taken than the results handed out plus the window."""
    pulled = 0
    one = str(archive.root / "study1/series1/rsa.dcm")

    def endless() -> Iterator[str]:
        nonlocal pulled
        while True:
            pulled += 1
            if pulled > 1000:  # an engine that reads ahead without bound fails, not hangs
                raise AssertionError("the engine took 1000 paths for 40 results")
            yield one

    results = verify_stream(endless(), Verifier(**archive.trust), jobs=3, window=5)  # type: ignore[arg-type]
    taken = list(itertools.islice(results, 40))
    assert [r.status for r in taken] == ["verified"] * 40
    assert 40 < pulled <= 40 + 5
    results.close()
    assert _engine_threads() == []


def test_the_engine_gives_what_the_verifier_gives(archive: Archive) -> None:
    verifier = Verifier(**archive.trust)  # type: ignore[arg-type]
    paths = [str(archive.root / p) for p in archive.expected] * 3

    def outcome(results: Iterator[FileResult]) -> Counter[tuple[str, str, int]]:
        return Counter((r.path, str(r.status), r.exit_code) for r in results)

    sequential = outcome(verifier.verify(p) for p in paths)
    assert outcome(verify_stream(paths, verifier, jobs=1)) == sequential
    assert outcome(verify_stream(paths, verifier, jobs=4)) == sequential
    # jobs=1 keeps the order.
    assert [r.path for r in verify_stream(paths, verifier, jobs=1)] == paths
    with pytest.raises(ValueError, match="at least 1"):
        next(verify_stream(paths, verifier, jobs=0))


def test_the_engine_yields_results_as_they_complete(archive: Archive, large_signed: Path) -> None:
    """A large file submitted first completes after every small one on the other thread."""
    slow = str(large_signed)
    others = [str(archive.root / p) for p in archive.expected]
    verifier = Verifier(**archive.trust)  # type: ignore[arg-type]
    results = list(verify_stream([slow, *others], verifier, jobs=2, window=4))
    assert sorted(r.path for r in results) == sorted([slow, *others])
    assert results[-1].path == slow and results[-1].status == "verified"


# -- verify_many --------------------------------------------------------------------------------


def test_verify_many_gives_each_file_its_word(archive: Archive) -> None:
    assert dicomsign.verify_many is dicomsign.archive.verify_many
    results = dicomsign.verify_many(archive.root, jobs=2, **archive.trust)  # type: ignore[arg-type]
    got = {os.path.relpath(r.path, archive.root): str(r.status) for r in results}
    assert got == archive.expected
    required = dicomsign.verify_many(
        [archive.root / "study1"], require_signature=True, include="*unsigned*", **archive.trust
    )  # type: ignore[arg-type]
    assert [(r.status, r.exit_code) for r in required] == [("unsigned", 100)]


def test_verify_many_raises_a_trust_file_error_at_once(tmp_path: Path) -> None:
    with pytest.raises(dicomsign.TrustFileError, match="No such file or directory"):
        dicomsign.verify_many([tmp_path], trusted=tmp_path / "missing.pem")


def test_verify_many_changed_since_a_journal(archive: Archive, tmp_path: Path) -> None:
    root = archive.copy(tmp_path / "tree")
    journal = tmp_path / "journal.jsonl"
    with JournalWriter(journal) as writer:
        for result in dicomsign.verify_many(root, **archive.trust):  # type: ignore[arg-type]
            writer.write(record(result))
    changed = root / "study1" / "unsigned.dcm"
    stat = changed.stat()
    os.utime(changed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    new = root / "misc" / "new.dcm"
    shutil.copy(root / "study1/series1/ec.dcm", new)
    again = dicomsign.verify_many(root, changed_since=journal, **archive.trust)  # type: ignore[arg-type]
    assert sorted(r.path for r in again) == sorted([str(changed), str(new)])


def test_permission_denied_is_a_record(archive: Archive) -> None:
    """A file that cannot be read and a directory that cannot be listed (as root the command
    runs as nobody: root reads everything)."""
    base = Path(tempfile.mkdtemp(prefix="dicomsign-permissions-"))
    try:
        base.chmod(0o755)
        (base / "open").mkdir()
        (base / "closed").mkdir()
        for name in ("open/fine.dcm", "open/secret.dcm", "closed/hidden.dcm"):
            shutil.copy(archive.root / "study1/unsigned.dcm", base / name)
        (base / "open" / "secret.dcm").chmod(0o000)
        (base / "closed").chmod(0o000)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run(
            [*(as_nobody if os.geteuid() == 0 else [])]
            + [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", "--json", str(base)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in done.stderr
        files = {f["path"]: f for f in json.loads(done.stdout)["files"]}
        assert {p: f["status"] for p, f in files.items()} == {
            f"{base}/open/fine.dcm": "unsigned",
            f"{base}/open/secret.dcm": "unreadable",
            f"{base}/closed": "unreadable",
        }
        assert files[f"{base}/open/secret.dcm"]["reason"] == (
            f"Permission denied: reading file: {base}/open/secret.dcm"
        )
        assert files[f"{base}/closed"]["reason"] == (
            f"Permission denied: listing directory: {base}/closed"
        )
        assert done.returncode == 20
    finally:
        (base / "closed").chmod(0o755)
        shutil.rmtree(base)
