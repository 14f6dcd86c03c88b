"""Verification on a Dask cluster (``dicomsign.archive.cluster``, ``dicomsign verify --dask``)
on a real ``distributed.LocalCluster`` of two worker processes: the same records as a local
run, a worker killed while it verifies a batch, the command end to end, and its errors."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster, WorkerPlugin

import dicomsign
from conftest_archive import Archive
from dcmtk import dicomsign_cli
from dicomsign.archive import Verifier
from dicomsign.archive import cluster as cluster_module
from dicomsign.archive.cluster import MISSING_EXTRA, ClusterError, verify_on_cluster
from dicomsign.archive.journal import record

BATCH = 16
#: Files of several words copied into the tree COPIES times each: a run has many batches.
BULK = (
    "study1/series1/rsa.dcm",
    "study1/unsigned.dcm",
    "study2/tampered.dcm",
    "study2/revoked.dcm",
    "study2/truncated.dcm",
    "misc/notes.txt",
)
COPIES = 40


@dataclass(frozen=True)
class Tree:
    """A copy of the archive with bulk copies, and the journal of a local run over it."""

    root: Path
    expected: dict[str, str]
    local: list[dict[str, Any]]
    local_exit: int


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """One cluster for the module: two worker processes of one thread each."""
    with (
        LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster, set_as_default=False) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def tree(archive: Archive, tmp_path_factory: pytest.TempPathFactory) -> Tree:
    base = tmp_path_factory.mktemp("dask")
    root = archive.copy(base / "tree")
    expected = dict(archive.expected)
    for n in range(COPIES):
        directory = root / "bulk" / f"{n:02d}"
        directory.mkdir(parents=True)
        for relative in BULK:
            name = f"{n:02d}-{Path(relative).name}"
            shutil.copy(root / relative, directory / name)
            expected[f"bulk/{n:02d}/{name}"] = archive.expected[relative]
    journal = base / "local.jsonl"
    done = dicomsign_cli("verify", "-q", *archive.cli_trust, root, "--journal", journal)
    local = _lines(journal)
    assert len(local) == len(expected) > 10 * BATCH
    return Tree(root, expected, local, done.returncode)


def _lines(journal: Path) -> list[dict[str, Any]]:
    data = journal.read_bytes()
    assert data == b"" or data.endswith(b"\n")
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def _comparable(records: list[dict[str, Any]]) -> Counter[str]:
    """Each record without the time it was made, as a multiset: equal only when every path
    has the same records, as many times."""
    out: Counter[str] = Counter()
    for rec in records:
        out[json.dumps({k: v for k, v in rec.items() if k != "checked_at"}, sort_keys=True)] += 1
    return out


def _address(client: Client) -> str:
    """The scheduler's address, for ``--dask``."""
    return str(client.scheduler_info()["address"])


def _loads(client: Client) -> dict[str, int]:
    """Verifiers built (trust files loaded) so far in each worker process."""
    return dict(client.run(getattr, cluster_module, "_loads"))


def test_the_records_of_a_local_run(archive: Archive, tree: Tree, client: Client) -> None:
    before = _loads(client)
    trust: dict[str, Any] = dict(archive.trust)
    assert dicomsign.verify_on_cluster is verify_on_cluster
    results = list(dicomsign.verify_on_cluster(tree.root, client, batch_size=BATCH, **trust))
    after = _loads(client)
    records = [record(r) for r in results]
    assert _comparable(records) == _comparable(tree.local)
    words = {os.path.relpath(r.path, tree.root): str(r.status) for r in results}
    assert words == tree.expected
    # The trust files are loaded once per worker process, not once per batch.
    assert len(results) > 10 * BATCH and set(after) == set(before)
    assert all(after[w] - before.get(w, 0) <= 1 for w in after)
    # The certificates travel back (as DER) and are the signers' certificates.
    rsa = next(r for r in results if r.path.endswith("series1/rsa.dcm"))
    assert rsa.report is not None and rsa.report.signatures[0].certificate is not None
    here = Verifier(**trust).verify(rsa.path)
    assert here.report is not None
    assert rsa.report.signatures[0].certificate == here.report.signatures[0].certificate


def test_the_ocsp_settings_reach_the_workers(archive: Archive, client: Client) -> None:
    """``require`` with no responder anywhere (the test certificates name none): every
    verified signature becomes revocation-unknown on the workers, as it does here."""
    trust: dict[str, Any] = dict(archive.trust)
    path = archive.root / "study1/series1/rsa.dcm"
    there = list(verify_on_cluster([path], client, ocsp="require", **trust))
    here = Verifier(**trust, ocsp="require").verify(path)
    assert [str(r.status) for r in there] == [str(here.status)] == ["revocation-unknown"]
    assert there[0].reason == here.reason


def test_the_walk_streams_and_batches_in_flight_are_bounded(
    archive: Archive, tree: Tree, client: Client
) -> None:
    files = sorted(str(p) for p in tree.root.rglob("*") if p.is_file())
    taken = 0

    def paths() -> Iterator[str]:
        nonlocal taken
        for path in files:
            taken += 1
            yield path

    handed = 0
    most = 0
    trust: dict[str, Any] = dict(archive.trust)
    results = verify_on_cluster(paths(), client, batch_size=BATCH, in_flight=2, **trust)
    for result in results:
        handed += 1
        most = max(most, taken - handed)
        assert result.path in files
    assert handed == taken == len(files)
    # Two batches in flight and the one being handed out, never the whole walk.
    assert 0 < most <= 3 * BATCH < len(files)


class KillOnce(WorkerPlugin):
    """Kills its worker process (SIGKILL) when batch number ``batch`` of a run starts
    executing there; once for the whole cluster (the first to create ``marker``)."""

    def __init__(self, marker: str, batch: int) -> None:
        self.marker = marker
        self.batch = batch

    def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
        name = str(key)
        if finish != "executing" or not name.startswith("dicomsign-verify-"):
            return
        if not name.endswith(f"-{self.batch}"):
            return
        try:
            fd = os.open(self.marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return
        os.write(fd, str(os.getpid()).encode("ascii"))
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_run_still_gives_the_complete_journal(
    archive: Archive, tree: Tree, client: Client, tmp_path: Path
) -> None:
    address = _address(client)
    pids = set(client.run(os.getpid).values())
    marker = tmp_path / "killed"
    client.register_plugin(KillOnce(str(marker), batch=4), name="kill-once")
    try:
        journal = tmp_path / "journal.jsonl"
        done = dicomsign_cli(
            "verify",
            "-q",
            *archive.cli_trust,
            tree.root,
            "--dask",
            address,
            "--batch-size",
            str(BATCH),
            "--journal",
            journal,
        )
    finally:
        client.unregister_worker_plugin("kill-once")
    # A worker died while it ran the fifth batch; its batch ran again.
    killed = int(marker.read_text())
    assert killed in pids
    assert "Traceback" not in done.stderr and "error" not in done.stderr, done.stderr
    assert done.returncode == tree.local_exit == 101
    records = _lines(journal)
    assert len(records) == len({r["path"] for r in records}) == len(tree.expected)
    assert _comparable(records) == _comparable(tree.local)
    client.wait_for_workers(2, timeout=60)
    assert killed not in set(client.run(os.getpid).values())


def test_resume_on_the_cluster(
    archive: Archive, tree: Tree, client: Client, tmp_path: Path
) -> None:
    address = _address(client)
    journal = tmp_path / "journal.jsonl"
    half = tree.local[: len(tree.local) // 2]
    journal.write_text("".join(json.dumps(r) + "\n" for r in half))
    args: tuple[str | Path, ...] = (
        "verify",
        "-q",
        *archive.cli_trust,
        tree.root,
        "--journal",
        journal,
        "--resume",
    )
    done = dicomsign_cli(*args, "--dask", address, "--batch-size", str(BATCH))
    assert done.returncode == tree.local_exit
    records = _lines(journal)
    assert _comparable(records) == _comparable(tree.local)


def test_the_command_on_a_local_cluster(archive: Archive, tree: Tree, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    study1 = tree.root / "study1"
    done = dicomsign_cli(
        "verify",
        *archive.cli_trust,
        study1,
        tree.root / "study2/revoked.dcm",
        "--dask",
        "local:2",
        "--batch-size",
        "2",
        "--journal",
        journal,
    )
    assert done.returncode == 101, done.stderr
    records = _lines(journal)
    wanted = {p: w for p, w in tree.expected.items() if p.startswith("study1/")}
    wanted["study2/revoked.dcm"] = "certificate-revoked"
    assert {os.path.relpath(r["path"], tree.root): r["status"] for r in records} == wanted
    assert _comparable(records) == _comparable(
        [r for r in tree.local if os.path.relpath(r["path"], tree.root) in wanted]
    )
    lines = done.stdout.splitlines()
    assert len(lines) == len(wanted)
    assert f"{tree.root}/study2/revoked.dcm: CERTIFICATE-REVOKED: signature #1" in done.stdout
    assert f"{study1}/unsigned.dcm: OK (0 signatures)" in lines
    summary = done.stderr.splitlines()
    assert summary[0].startswith(f"dicomsign verify: {len(wanted)} files (")
    assert f"journal: {journal} ({len(wanted)} records written)" in done.stderr
    assert "Traceback" not in done.stderr


def test_relative_paths_are_made_absolute(
    archive: Archive, tree: Tree, client: Client, tmp_path: Path
) -> None:
    """The workers have working directories of their own: the client sends absolute paths,
    from the PATHs and from --files-from alike."""
    address = _address(client)
    journal = tmp_path / "journal.jsonl"
    listed = tmp_path / "list.txt"
    listed.write_text("misc/notes.txt\n")
    done = subprocess.run(
        [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", "-q", "study1"]
        + ["--files-from", str(listed), "--dask", address, "--journal", str(journal)]
        + archive.cli_trust,
        cwd=tree.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    paths = {r["path"]: r["status"] for r in _lines(journal)}
    wanted = {
        str(tree.root / p): w
        for p, w in tree.expected.items()
        if p.startswith("study1/") or p == "misc/notes.txt"
    }
    assert paths == wanted


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_scheduler_is_one_line(tree: Tree, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    address = f"tcp://127.0.0.1:{_free_port()}"
    done = dicomsign_cli(
        "verify", tree.root, "--dask", address, "--dask-timeout", "1", "--journal", journal
    )
    assert done.returncode == 20
    assert done.stdout == ""
    assert done.stderr.startswith(
        f"dicomsign verify: error: the Dask scheduler cannot be reached: "
        f"Timed out trying to connect to {address}"
    )
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert not journal.exists()  # nothing was started
    unknown = dicomsign_cli("verify", tree.root, "--dask", "tcp://nohost.invalid:8786")
    assert unknown.returncode == 20 and len(unknown.stderr.splitlines()) == 1
    assert "cannot be reached" in unknown.stderr
    for bad in ("nonsense", "local:0", "foo://host:1"):
        usage = dicomsign_cli("verify", tree.root, "--dask", bad)
        assert usage.returncode == 2, bad
        assert usage.stderr.splitlines()[-1].startswith(f"dicomsign verify: error: --dask '{bad}'")
        assert "Traceback" not in usage.stderr
    usage = dicomsign_cli("verify", tree.root, "--batch-size", "10")
    assert usage.returncode == 2 and "need --dask" in usage.stderr


def test_without_the_extra(tree: Tree) -> None:
    """Without ``distributed`` (an import that fails), --dask says which extra to install."""
    code = (
        "import sys\n"
        "sys.modules['distributed'] = None\n"  # import distributed raises ImportError
        "from dicomsign.cli.dicomsign import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "verify", str(tree.root), "--dask", "local:2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == f"dicomsign verify: error: {MISSING_EXTRA}\n"
    assert MISSING_EXTRA == "the --dask option needs the extra: pip install 'dicomsign[dask]'"


def test_a_batch_that_fails_for_good_is_one_error(
    archive: Archive, tree: Tree, client: Client, tmp_path: Path
) -> None:
    """A trust file the workers cannot load (here: removed after the client loaded it) fails
    the batch on every try: the run stops with one ClusterError naming the batch."""
    root = tmp_path / "root.pem"
    shutil.copy(archive.trust["trusted"][0], root)
    results = verify_on_cluster(tree.root / "study1", client, trusted=root, retries=1)
    root.unlink()
    with pytest.raises(ClusterError) as caught:
        list(results)
    message = caught.value.message
    assert message.startswith("a batch of 5 files (the first: ")
    assert "failed on the cluster: TrustFileError: " in message and str(root) in message
    assert "\n" not in message and caught.value.exit_code == 20


def test_ctrl_c_stops_the_run_and_its_local_workers_quietly(
    archive: Archive, tree: Tree, client: Client, tmp_path: Path
) -> None:
    """Ctrl-C on a terminal (SIGINT to the whole process group, the local workers too) while
    the file list is still coming: exit 130, a valid journal, no traceback from any process;
    --resume then completes the journal."""
    journal = tmp_path / "journal.jsonl"
    files = sorted(str(p) for p in tree.root.rglob("*") if p.is_file())[:12]
    command = [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", *archive.cli_trust]
    command += ["--files-from", "-", "--batch-size", "2", "--journal", str(journal)]
    process = subprocess.Popen(
        [*command, "--dask", "local:2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdin is not None
    process.stdin.write("".join(f"{name}\n" for name in files[:10]))
    process.stdin.flush()
    deadline = time.monotonic() + 60
    # The list stays open: the run cannot end before the interrupt.
    while not (journal.exists() and journal.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.startswith("dicomsign verify: interrupted after ")
    first = _lines(journal)
    assert 0 < len(first) < len(files)
    done = subprocess.run(
        [*command, "--resume", "--dask", _address(client)],
        input="".join(f"{name}\n" for name in files),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Traceback" not in done.stderr
    records = _lines(journal)
    assert sorted(r["path"] for r in records) == files
    local = {r["path"]: r for r in tree.local}
    assert _comparable(records) == _comparable([local[name] for name in files])


def _wait_for(condition: Any, what: str, seconds: float = 60) -> None:
    """Poll ``condition()`` until it holds (a deadline, not a fixed sleep)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


def test_a_scheduler_lost_mid_run_is_one_error(
    archive: Archive, tree: Tree, tmp_path: Path
) -> None:
    """The scheduler killed (SIGKILL) while the run waits for the file list: one line, exit
    20, a valid journal of the files done, no traceback from the client's logs."""
    info = tmp_path / "scheduler.json"
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
        + ["--port", "0", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(info)],
        **quiet,
    )
    worker: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(lambda: info.exists() and info.stat().st_size, "the scheduler")
        address = json.loads(info.read_text())["address"]
        worker = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny"]
            + ["--nthreads", "1", "--no-dashboard"],
            **quiet,
        )
        with Client(address, set_as_default=False, timeout=30) as watcher:
            watcher.wait_for_workers(1, timeout=60)
        journal = tmp_path / "journal.jsonl"
        files = sorted(str(p) for p in tree.root.rglob("*") if p.is_file())[:10]
        process = subprocess.Popen(
            [sys.executable, "-m", "dicomsign.cli.dicomsign", "verify", *archive.cli_trust]
            + ["--files-from", "-", "--batch-size", "2", "--journal", str(journal)]
            + ["--dask", address],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdin is not None
        process.stdin.write("".join(f"{name}\n" for name in files))
        process.stdin.flush()
        # The list stays open: batches are in flight when the scheduler goes.
        _wait_for(lambda: journal.exists() and journal.stat().st_size, "the first record")
        scheduler.kill()
        scheduler.wait()
        _, stderr = process.communicate(timeout=60)
    finally:
        for started in (worker, scheduler):
            if started is not None and started.poll() is None:
                started.kill()
                started.wait()
    assert process.returncode == 20, stderr
    (line,) = stderr.splitlines()
    assert line.startswith("dicomsign verify: error: a batch of ")
    assert "failed on the cluster: " in line  # then Dask's reason (cancelled, comm closed)
    assert line.endswith("(run the same command with --resume to go on)")
    records = _lines(journal)
    assert 0 < len(records) < len(files)
    assert len({r["path"] for r in records}) == len(records)
