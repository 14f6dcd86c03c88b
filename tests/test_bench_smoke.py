"""Smoke test of the benchmark comparison (benches/compare_dcmtk.py): its input generators at
tiny sizes, and one round of the comparison with DCMTK on the small CT file only. No timing is
checked, only that everything was measured and reported."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pydicom
import pytest
from pydicom.encaps import generate_fragments

BENCHES = Path(__file__).resolve().parent.parent / "benches"
KIB = 1024


@pytest.fixture(scope="session")
def compare() -> ModuleType:
    """The comparison script, imported as a module."""
    if str(BENCHES) not in sys.path:
        sys.path.insert(0, str(BENCHES))
    return importlib.import_module("compare_dcmtk")


@pytest.fixture(scope="session")
def tiny(compare: ModuleType) -> Any:
    """Tiny input sizes."""
    return compare.Sizes(medium=256 * KIB, large=512 * KIB, fragments=16, frame_side=64)


@pytest.fixture(scope="session")
def tiny_inputs(
    compare: ModuleType, tiny: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every input of the comparison at tiny sizes, by key."""
    cache = tmp_path_factory.mktemp("bench-cache")
    return {s.key: compare.generate(s, cache).path for s in compare.input_specs(tiny)}


def test_generated_inputs_are_valid_dicom(tiny_inputs: dict[str, Path]) -> None:
    assert set(tiny_inputs) == {
        "small",
        "fragments",
        "single-medium",
        "multi-medium",
        "single-large",
        "multi-large",
    }
    small = pydicom.dcmread(tiny_inputs["small"])
    assert small.Modality == "CT" and small.ReferencedImageSequence[1].ReferencedSOPInstanceUID
    assert 35_000 < tiny_inputs["small"].stat().st_size < 45_000
    for key, size in [("single-medium", 256 * KIB), ("single-large", 512 * KIB)]:
        ds = pydicom.dcmread(tiny_inputs[key])
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
        assert len(ds.PixelData) == ds.Rows * ds.Columns * 2 == size
    for key, frames in [("multi-medium", 32), ("multi-large", 64)]:
        ds = pydicom.dcmread(tiny_inputs[key])
        assert ds.NumberOfFrames == frames == len(ds.PerFrameFunctionalGroupsSequence)
        assert len(ds.PixelData) == frames * 64 * 64 * 2
    rle = pydicom.dcmread(tiny_inputs["fragments"])
    assert rle.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.5"
    items = list(generate_fragments(rle.PixelData))
    assert len(items) == 1 + 16 == 1 + rle.NumberOfFrames
    offsets = [int.from_bytes(items[0][i : i + 4], "little") for i in range(0, 64, 4)]
    assert offsets == [sum(8 + len(f) for f in items[1:n]) for n in range(1, 17)]


def test_generators_are_deterministic(
    compare: ModuleType, tiny: Any, tiny_inputs: dict[str, Path], tmp_path: Path
) -> None:
    for spec in compare.input_specs(tiny):
        if spec.key in ("small", "fragments", "multi-medium"):
            again = compare.generate(spec, tmp_path).path
            assert again.read_bytes() == tiny_inputs[spec.key].read_bytes()


def test_quick_comparison_on_the_small_file(
    compare: ModuleType, tiny: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--quick", "--rounds", "1", "--only", "small"]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert compare.main(argv, sizes=tiny) == 0
    out = capsys.readouterr().out
    assert "ours/DCMTK" in out and "ours/openssl" in out
    assert out.count("target: ") == 10
    assert out.count("not measured") == 7
    (report,) = (tmp_path / "results").glob("*.json")
    document = json.loads(report.read_text())
    assert document["machine"]["cores"] >= 1 and document["machine"]["cpu_model"]
    assert "$dcmtk:" in document["tools"]["DCMTK"]
    assert "$dicomsign:" in document["tools"]["ours"]
    assert [(c["operation"], c["input"]) for c in document["cases"]] == [
        ("sign", "small"),
        ("verify", "small"),
    ]
    for case in document["cases"]:
        for tool in ("DCMTK", "ours", "openssl"):
            (run,) = case["runs"][tool]
            assert run["exit"] == 0 and run["wall_s"] > 0 and run["peak_rss_mib"] > 0
    measured = [t for t in document["targets"] if t["value"] is not None]
    assert [t["description"] for t in measured] == [
        "peak RSS of ours, any input (MiB)",
        "small file verify, start-up included, ours/DCMTK",
        "small file sign, start-up included, ours/DCMTK",
    ]


def test_a_baseline_is_measured_in_the_same_rounds(
    compare: ModuleType, tiny: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--baseline`` (here our own command again) runs beside the others in every round."""
    (ours,) = compare.Tools.find().ours
    argv = ["--rounds", "2", "--only", "small", "--baseline", ours]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert compare.main(argv, sizes=tiny) == 0
    out = capsys.readouterr().out
    assert "base/DCMTK" in out and "ours/base" in out
    assert "$dicomsign:" in out.split("baseline: ", 1)[1].splitlines()[0]
    (report,) = (tmp_path / "results").glob("*.json")
    document = json.loads(report.read_text())
    assert document["settings"]["baseline"] == ours
    for case in document["cases"]:
        assert len(case["runs"]["baseline"]) == 2
        assert all(run["exit"] == 0 for run in case["runs"]["baseline"])
        median = case["median_s"]
        assert case["ours_over_baseline"] == median["ours"] / median["baseline"]
        assert case["baseline_over_dcmtk"] == median["baseline"] / median["DCMTK"]


def test_a_failing_tool_is_an_error(
    compare: ModuleType, tiny_inputs: dict[str, Path], tmp_path: Path
) -> None:
    inp = compare.Input("small", "CT, small", tiny_inputs["small"])
    tools = compare.Tools.find()
    broken = compare.Tools(["false"], tools.ours, tools.openssl)
    pki = compare.make_identity(tmp_path / "pki")
    with pytest.raises(compare.BenchError, match="DCMTK failed to sign"):
        compare.measure(compare.Case("sign", inp, "SHA256"), broken, pki, tmp_path, 1)


def test_a_failing_tool_makes_the_run_fail_after_reporting(
    compare: ModuleType,
    tiny: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tools = compare.Tools.find()
    broken = compare.Tools(tools.dcmtk, ["false"], tools.openssl)
    monkeypatch.setattr(compare.Tools, "find", classmethod(lambda cls: broken))
    argv = ["--rounds", "1", "--only", "small"]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert compare.main(argv, sizes=tiny) == 1
    captured = capsys.readouterr()
    assert "error: ours failed to sign" in captured.err
    assert captured.out.count("target: ") == 10
    (report,) = (tmp_path / "results").glob("*.json")
    document = json.loads(report.read_text())
    assert document["cases"] == [] and "ours failed to sign" in document["error"]


# -- benches/verify_archive.py ----------------------------------------------------------------

#: The word ``dicomsign verify`` must give each kind of file of the generated archive.
EXPECTED_WORDS = {
    "signed": "verified",
    "tampered-name": "signature-invalid",
    "tampered-pixels": "signature-invalid",
    "unsigned": "unsigned",
    "untrusted": "certificate-untrusted",
    "truncated": "unreadable",
    "text": "not-dicom",
    "random": "not-dicom",
    "empty": "not-dicom",
}


@pytest.fixture(scope="session")
def archive_bench() -> ModuleType:
    """The archive verification benchmark, imported as a module."""
    if str(BENCHES) not in sys.path:
        sys.path.insert(0, str(BENCHES))
    return importlib.import_module("verify_archive")


def test_the_archive_is_generated_once_and_reused(
    archive_bench: ModuleType, tmp_path: Path
) -> None:
    spec = archive_bench.ArchiveSpec(files=40, large_count=1, large_mib=1)
    archive = archive_bench.build_archive(spec, tmp_path)
    assert archive.root.name == spec.name and len(archive.small_files) == 40
    assert set(archive.kinds.values()) <= set(EXPECTED_WORDS)
    assert [p.name for p in archive.large] == ["large-0.dcm"]
    large = pydicom.dcmread(archive.large[0])
    assert len(large.PixelData) == 1 << 20 and len(large.DigitalSignaturesSequence) == 1
    assert large.MACParametersSequence[0].MACAlgorithm == "SHA256"
    stamps = {p: p.stat().st_mtime_ns for p in archive.small_files}
    again = archive_bench.build_archive(spec, tmp_path)
    assert again.kinds == archive.kinds
    assert {p: p.stat().st_mtime_ns for p in again.small_files} == stamps
    assert [p.name for p in tmp_path.iterdir()] == [spec.name]


def test_quick_archive_run(
    archive_bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--quick", "--files", "150", "--loop-sample", "30", "--rounds", "1"]
    argv += ["--large-count", "1", "--large-mib", "2"]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert archive_bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "fixed random sample of 30 of the 150 small files" in out
    assert out.count("target: ") == 2
    assert "target: ≥30× DCMTK files/s (all cores): " in out
    assert "target: every verdict equal to DCMTK's: met (0 of 150 files differ)" in out
    (report,) = (tmp_path / "results").glob("verify-archive-*.json")
    document = json.loads(report.read_text())
    assert document["error"] is None and "$dcmtk:" in document["tools"]["DCMTK"]
    assert [r["key"] for r in document["results"]] == [
        "dicomsign-all",
        "dicomsign-1",
        "dcmtk-loop",
        "ours-loop",
        "dcmtk-parallel",
        "dicomsign-large",
        "openssl-large",
    ]
    for r in document["results"]:
        (run,) = r["runs"]
        assert run["wall_s"] > 0 and run["peak_rss_mib"] > 0 and r["rate"] > 0
        assert (r["ratio"] is None) == (r["key"] in ("dcmtk-loop", "openssl-large"))
    assert document["archive"]["loop_files"] == 30
    assert sum(document["archive"]["kinds"].values()) == 150
    verdicts = document["verdicts"]
    assert verdicts["files"] == 150 and verdicts["differ"] == 0
    assert verdicts["ours_dcmsign_loop"] == {"files": 30, "differ": 0}
    for kind, words in verdicts["by_kind"].items():
        assert list(words) == [EXPECTED_WORDS[kind]], kind
    assert document["table_markdown"].count("\n") == 8


def test_million_mode_on_a_small_tree(
    archive_bench: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--million", "--million-files", "1200"]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert archive_bench.main(argv) == 0
    out = capsys.readouterr().out
    assert "target: peak RSS < 200 MiB over 1,200 paths: met (" in out
    (report,) = (tmp_path / "results").glob("verify-million-*.json")
    runs = json.loads(report.read_text())["runs"]
    assert [r["paths"] for r in runs] == [1000, 1200]
    assert all(r["exit"] == 0 and 0 < r["peak_rss_mib"] < 200 for r in runs)
    assert len(list((tmp_path / "cache" / "million-1200").rglob("*"))) == 2 + 1200


def test_a_failing_verify_stops_the_archive_run_after_reporting(
    archive_bench: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tools = archive_bench.Tools.find()
    broken = archive_bench.Tools(tools.dcmtk, tools.ours, ["false"], tools.openssl)
    monkeypatch.setattr(archive_bench.Tools, "find", classmethod(lambda cls: broken))
    argv = ["--quick", "--files", "20", "--large-count", "0", "--rounds", "1"]
    argv += ["--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    assert archive_bench.main(argv) == 1
    captured = capsys.readouterr()
    assert "error: dicomsign verify failed (exit 1)" in captured.err
    assert "target: every verdict equal to DCMTK's: not measured" in captured.out
    (report,) = (tmp_path / "results").glob("verify-archive-*.json")
    document = json.loads(report.read_text())
    assert document["results"] == [] and "dicomsign verify failed" in document["error"]
