"""Sign and verify a generated 1 GiB single-frame image with ours and with DCMTK, side by side,
and print the wall time and peak RSS of each run.

    python benches/rss_1gib.py [--size-mib 1024] [--mac +m2]

The input (deterministic pixel data) is cached in benches/.cache/. Exits with status 1 when
our peak RSS reaches 100 MiB for any run, or when a signature does not verify.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import CACHE, find_dcmtk, make_identity, make_image, ours_command, run

LIMIT_MIB = 100


def main() -> int:
    """Run the comparison; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mib", type=int, default=1024, help="pixel data size (MiB)")
    parser.add_argument("--mac", default="+m2", help="dcmsign MAC option (default +m2)")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    image = CACHE / f"ct-{args.size_mib}mib.dcm"
    if not image.exists():
        print(f"generating {image} ...", flush=True)
        make_image(image, args.size_mib << 20)
    dcmtk = [find_dcmtk()]
    ours = ours_command()
    failed = False
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        work = Path(tmp)
        pki = make_identity(work)
        key, cert = str(pki.key), str(pki.cert)
        by_us, by_dcmtk = str(work / "by-us.dcm"), str(work / "by-dcmtk.dcm")
        runs = [
            ("sign", "ours", [*ours, "+s", key, cert, args.mac, str(image), by_us]),
            ("sign", "DCMTK", [*dcmtk, "+s", key, cert, args.mac, str(image), by_dcmtk]),
            ("verify ours' signature", "ours", [*ours, "+cf", str(pki.root), by_us]),
            ("verify ours' signature", "DCMTK", [*dcmtk, "+cf", str(pki.root), by_us]),
            ("verify DCMTK's signature", "ours", [*ours, "+cf", str(pki.root), by_dcmtk]),
            ("verify DCMTK's signature", "DCMTK", [*dcmtk, "+cf", str(pki.root), by_dcmtk]),
        ]
        print(f"input: {image.stat().st_size / (1 << 20):.0f} MiB, MAC option {args.mac}")
        print(f"{'operation':<26} {'tool':<6} {'exit':>4} {'wall s':>8} {'peak RSS MiB':>13}")
        for operation, tool, command in runs:
            result = run(command)
            print(
                f"{operation:<26} {tool:<6} {result.code:>4} {result.wall:>8.2f} "
                f"{result.rss_mib:>13.1f}",
                flush=True,
            )
            if result.code != 0:
                failed = True
            if tool == "ours" and result.rss_mib >= LIMIT_MIB:
                print(f"  ours exceeds {LIMIT_MIB} MiB", flush=True)
                failed = True
    print("result:", "FAILED" if failed else f"ok, our peak RSS stays below {LIMIT_MIB} MiB")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
