#!/usr/bin/env bash
# Builds the release artifacts into dist/ and proves that the wheel works without Rust:
#   1. the abi3 wheel (`maturin build --release --zig`: zig links against the manylinux policy's
#      glibc whatever the host's is) and the sdist (`maturin sdist`),
#      with build tools from PyPI in a scratch virtual environment;
#   2. lists both and asserts their contents: every file of python/dicomsign, the extension, the
#      licence, the metadata (version from Cargo.toml, dependencies, entry points), the
#      manylinux tag (also checked with `auditwheel show`);
#   3. builds a wheel from the sdist in a scratch directory (needs Rust, like any sdist build);
#   4. installs the wheel (dependencies from PyPI, binary only) into a fresh virtual environment
#      whose PATH has no cargo/rustc, and runs there `dcmsign --version`,
#      `dicomsign --version`, a sign and a verify of examples/ct-sample.dcm, and the public API;
#   5. `twine check --strict` on the artifacts.
# Any failure stops it with "check_wheel: FAIL: ..." and a non-zero exit code.
# PYTHON (default python3, 3.11 or newer) is the interpreter of the scratch environments.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
PYTHON=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/dicomsign-check-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
  echo "check_wheel: FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

# Facts from the project files: the version (Cargo.toml is its only source), the manylinux
# policy and the maturin requirement (pyproject.toml).
read -r version policy maturin_req < <("$PYTHON" - <<'EOF'
import tomllib
with open("Cargo.toml", "rb") as f:
    cargo = tomllib.load(f)
with open("pyproject.toml", "rb") as f:
    pyproject = tomllib.load(f)
(maturin,) = [r for r in pyproject["build-system"]["requires"] if r.startswith("maturin")]
print(cargo["package"]["version"], pyproject["tool"]["maturin"]["compatibility"],
      maturin.replace(" ", ""))
EOF
)
[ -n "$maturin_req" ] || fail "cannot read the version, the manylinux policy or maturin's requirement"
echo "dicomsign $version, Linux wheels tagged $policy, built with $maturin_req"

step "build tools in a scratch environment: ${maturin_req/maturin/maturin[zig]}, auditwheel, twine"
"$PYTHON" -m venv "$work/tools"
tools=$work/tools/bin
"$tools/python" -m pip install -q --disable-pip-version-check \
  "${maturin_req/maturin/maturin[zig]}" auditwheel twine packaging \
  || fail "cannot install the build tools from PyPI"

step "build the wheel and the sdist into dist/"
mkdir -p dist
rm -f dist/dicomsign-*.whl dist/dicomsign-*.tar.gz
# The scratch environment comes first on PATH so that maturin finds its `python -m ziglang`.
# A target directory of its own keeps these builds from invalidating the development build.
PATH="$tools:$PATH" CARGO_TARGET_DIR="$root/target/check-wheel" \
  "$tools/maturin" build --release --zig --out dist || fail "maturin build failed"
PATH="$tools:$PATH" "$tools/maturin" sdist --out dist || fail "maturin sdist failed"
shopt -s nullglob
wheels=(dist/dicomsign-*.whl)
sdists=(dist/dicomsign-*.tar.gz)
shopt -u nullglob
[ "${#wheels[@]}" = 1 ] || fail "expected one wheel in dist/, found: ${wheels[*]:-none}"
[ "${#sdists[@]}" = 1 ] || fail "expected one sdist in dist/, found: ${sdists[*]:-none}"
wheel=$root/${wheels[0]}
sdist=$root/${sdists[0]}

step "auditwheel show $(basename "$wheel")"
"$tools/auditwheel" show "$wheel" | tee "$work/auditwheel.txt" || fail "auditwheel show failed"

# check_artifact KIND FILE [POLICY]: lists FILE and asserts its contents (see the heredoc).
check_artifact() {
  "$tools/python" - "$root" "$version" "$@" "$work/auditwheel.txt" <<'EOF'
import re
import sys
import tarfile
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

root, version, kind, artifact = Path(sys.argv[1]), Version(sys.argv[2]), sys.argv[3], sys.argv[4]
policy = sys.argv[5] if kind == "wheel" and len(sys.argv) > 6 else None
audit = Path(sys.argv[-1])
errors: list[str] = []


def expect(condition: bool, message: str) -> None:
    if not condition:
        errors.append(message)


# Every file of the package's source tree (compiled and build leftovers aside).
package = root / "python" / "dicomsign"
sources = sorted(
    p.relative_to(package.parent).as_posix()
    for p in package.rglob("*")
    if p.is_file()
    and "__pycache__" not in p.parts
    and p.suffix not in {".so", ".pyd", ".pyc", ".dll", ".dylib"}
)
for needed in ("dicomsign/_core.pyi", "dicomsign/py.typed", "dicomsign/data/dictionary.tsv"):
    expect(needed in sources, f"{needed} is missing from the source tree")

name = Path(artifact).name
if kind == "wheel":
    with zipfile.ZipFile(artifact) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        print(f"{name}: {len(names)} files")
        for info in infos:
            print(f"  {info.file_size:>9}  {info.filename}")
        dist_info = f"dicomsign-{version}.dist-info"
        metadata_text = zf.read(f"{dist_info}/METADATA").decode() if f"{dist_info}/METADATA" in names else ""
        entry_points = zf.read(f"{dist_info}/entry_points.txt").decode() if f"{dist_info}/entry_points.txt" in names else ""
        wheel_text = zf.read(f"{dist_info}/WHEEL").decode() if f"{dist_info}/WHEEL" in names else ""
    expect(len(names) == len(set(names)), "duplicate names in the wheel")
    _, wheel_version, _, tags = parse_wheel_filename(name)
    expect(wheel_version == version, f"wheel version {wheel_version} != Cargo.toml's {version}")
    for tag in tags:
        expect(tag.interpreter == "cp311" and tag.abi == "abi3", f"not a cp311-abi3 wheel: {tag}")
    required = [*sources, f"{dist_info}/METADATA", f"{dist_info}/WHEEL", f"{dist_info}/RECORD",
                f"{dist_info}/entry_points.txt", f"{dist_info}/licenses/LICENSE"]
    extensions = [n for n in names if re.fullmatch(r"dicomsign/_core\.[^/]*(so|pyd)", n)]
    expect(len(extensions) == 1, f"expected one extension dicomsign/_core.*, found {extensions}")
    expect("Root-Is-Purelib: false" in wheel_text, "WHEEL does not say Root-Is-Purelib: false")
    # The commands, as pyproject.toml's [project.scripts] declares them.
    with (root / "pyproject.toml").open("rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    expect({"dcmsign", "dicomsign"} <= set(scripts), "pyproject.toml lacks a console script")
    for command, target in scripts.items():
        expect(re.search(rf"^{re.escape(command)}\s*=\s*{re.escape(target)}$", entry_points, re.M)
               is not None, f"entry point {command} = {target} missing from the wheel")
    if policy:
        platforms = {t.platform for t in tags}
        legacy = {"manylinux2014": "manylinux_2_17", "manylinux2010": "manylinux_2_12",
                  "manylinux1": "manylinux_2_5"}
        canonical = legacy.get(policy, policy)
        expect(any(p.startswith(f"{canonical}_") for p in platforms),
               f"wheel platform tags {sorted(platforms)} lack the {policy} policy ({canonical})")
        # auditwheel's verdict: the oldest glibc the .so allows must not be newer than the policy.
        found = re.search(r'consistent\s+with\s+the\s+following\s+platform\s+tag:\s+"([^"]+)"',
                          audit.read_text())
        expect(found is not None, "auditwheel show gave no platform tag")
        if found:
            m_audit = re.match(r"manylinux_(\d+)_(\d+)_", found.group(1))
            m_policy = re.match(r"manylinux_(\d+)_(\d+)", canonical)
            expect(bool(m_audit and m_policy and (int(m_audit[1]), int(m_audit[2]))
                        <= (int(m_policy[1]), int(m_policy[2]))),
                   f"auditwheel: the extension needs {found.group(1)}, newer than {policy}")
else:
    with tarfile.open(artifact) as tf:
        members = [m for m in tf.getmembers() if m.isfile()]
        prefix = f"dicomsign-{version}/"
        names = [m.name.removeprefix(prefix) for m in members]
        print(f"{name}: {len(names)} files")
        for m in members:
            print(f"  {m.size:>9}  {m.name}")
        pkg_info = tf.extractfile(prefix + "PKG-INFO") if prefix + "PKG-INFO" in tf.getnames() else None
        metadata_text = pkg_info.read().decode() if pkg_info else ""
    _, sdist_version = parse_sdist_filename(name)
    expect(sdist_version == version, f"sdist version {sdist_version} != Cargo.toml's {version}")
    required = ["PKG-INFO", "pyproject.toml", "Cargo.toml", "Cargo.lock", "LICENSE", "README.md",
                "rust/src/lib.rs",
                *(f"python/{s}" for s in sources)]
    binaries = [n for n in names if n.endswith((".so", ".pyd", ".dll", ".dylib"))]
    expect(not binaries, f"compiled files in the sdist: {binaries}")

for needed in required:
    expect(needed in names, f"{needed} is missing from {name}")

metadata = Parser().parsestr(metadata_text)
expect(metadata.get("Name") == "dicomsign", "metadata: Name is not dicomsign")
expect(Version(metadata.get("Version", "0")) == version, "metadata: Version differs from Cargo.toml")
expect(metadata.get("Requires-Python") == ">=3.11", "metadata: Requires-Python is not >=3.11")
expect(metadata.get("License-Expression") == "BSD-3-Clause", "metadata: no License-Expression")
expect(metadata.get("Description-Content-Type", "").startswith("text/markdown"),
       "metadata: the description is not the Markdown README")
expect(len(metadata.get_payload() or "") > 1000, "metadata: the README is not the description")
requirements = {}
for line in metadata.get_all("Requires-Dist") or []:
    req = Requirement(line)
    if req.marker is None:
        requirements[req.name] = req
for dep in ("pydicom", "cryptography", "asn1crypto"):
    spec = requirements.get(dep)
    expect(spec is not None and any(s.operator == ">=" for s in spec.specifier),
           f"metadata: {dep} is not required with a lower bound")
for field in ("Keywords", "Project-URL", "Classifier", "Author"):
    expect(bool(metadata.get_all(field)), f"metadata: no {field}")

if errors:
    for e in errors:
        print(f"check_wheel: FAIL: {e}", file=sys.stderr)
    sys.exit(1)
print(f"{name}: contents and metadata OK")
EOF
}

step "contents of the wheel"
check_artifact wheel "$wheel" "$policy" || fail "the wheel is incomplete (see above)"
step "contents of the sdist"
check_artifact sdist "$sdist" || fail "the sdist is incomplete (see above)"

step "build a wheel from the sdist in a scratch directory (cargo from PATH, dependencies fetched)"
mkdir -p "$work/from-sdist"
(cd "$work" && CARGO_TARGET_DIR="$work/from-sdist-target" \
  "$tools/python" -m pip wheel -q --disable-pip-version-check --no-deps \
  --wheel-dir "$work/from-sdist" "$sdist") || fail "building a wheel from the sdist failed"
sdist_wheels=("$work"/from-sdist/dicomsign-*.whl)
[ -f "${sdist_wheels[0]}" ] || fail "no wheel was built from the sdist"
check_artifact wheel "${sdist_wheels[0]}" || fail "the wheel built from the sdist is incomplete"

step "fresh virtual environment without cargo/rustc on PATH"
"$PYTHON" -m venv "$work/venv"
venv=$work/venv
clean_path=$venv/bin
for dir in /usr/local/bin /usr/bin /bin; do
  if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ]; then
    echo "(leaving $dir off PATH: it holds cargo or rustc)"
  else
    clean_path=$clean_path:$dir
  fi
done
echo "PATH=$clean_path"
# in_venv CMD...: runs CMD with that PATH, no Rust variables, from a directory outside the
# repository (so that nothing imports the source tree).
in_venv() {
  (cd "$work" && env -u CARGO_HOME -u RUSTUP_HOME -u RUSTC -u CARGO -u RUSTC_WRAPPER \
    -u CARGO_TARGET_DIR -u PYTHONPATH -u PYTHONHOME VIRTUAL_ENV="$venv" PATH="$clean_path" "$@")
}
# shellcheck disable=SC2016
in_venv "$BASH" -c '! command -v cargo && ! command -v rustc' >/dev/null \
  || fail "cargo or rustc is still reachable on PATH=$clean_path"
echo "command -v cargo: not found; command -v rustc: not found"

step "pip install $(basename "$wheel") (dependencies from PyPI, binary wheels only)"
in_venv python -m pip install -q --disable-pip-version-check --only-binary=:all: "$wheel" \
  || fail "installing the wheel failed"
in_venv python -m pip check || fail "pip check failed"
in_venv python -m pip list --disable-pip-version-check

step "dcmsign --version"
[ "$(in_venv "$BASH" -c 'command -v dcmsign')" = "$venv/bin/dcmsign" ] \
  || fail "dcmsign does not resolve to the virtual environment's"
head -n 1 "$venv/bin/dcmsign" | grep -q "^#!$venv/bin/python" \
  || fail "the installed dcmsign does not start with the environment's interpreter"
in_venv dcmsign --version | tee "$work/dcmsign-version.txt" || fail "dcmsign --version failed"
grep -q "^\$dicomsign: dcmsign v$version " "$work/dcmsign-version.txt" \
  || fail "dcmsign --version does not show $version"

step "dicomsign --version"
out=$(in_venv dicomsign --version) || fail "dicomsign --version failed"
echo "$out"
[ "$out" = "dicomsign $version" ] || fail "dicomsign --version shows '$out', not $version"

step "sign examples/ct-sample.dcm, then verify it"
in_venv dcmsign --sign "$root/examples/demo-key.pem" "$root/examples/demo-cert.pem" \
  --mac-sha256 "$root/examples/ct-sample.dcm" "$work/signed.dcm" \
  || fail "dcmsign --sign of the bundled sample failed"
in_venv dcmsign +cf "$root/examples/demo-cert.pem" "$work/signed.dcm" \
  || fail "dcmsign +cf could not verify the signed sample"
echo "dcmsign +cf examples/demo-cert.pem signed.dcm: exit 0"
in_venv dicomsign verify --trusted "$root/examples/demo-cert.pem" "$work/signed.dcm" \
  || fail "dicomsign verify failed on the signed sample"
if in_venv dicomsign verify --require-signature "$root/examples/ct-sample.dcm" >/dev/null; then
  fail "dicomsign verify --require-signature passed an unsigned file"
fi
echo "dicomsign verify --require-signature on the unsigned sample: fails, as it must"

step "import the public API"
in_venv python - "$version" "$venv" "$work/signed.dcm" "$root/examples/demo-cert.pem" <<'EOF' \
  || fail "the public API does not work from the installed wheel"
import sys
from importlib import metadata, resources
from pathlib import Path

import dicomsign
from dicomsign import engine

version, venv, signed, cert = sys.argv[1:]
assert Path(dicomsign.__file__).resolve().is_relative_to(Path(venv).resolve()), dicomsign.__file__
print("dicomsign", dicomsign.__version__, "from", Path(dicomsign.__file__).parent)
assert dicomsign.__version__ == version, (dicomsign.__version__, version)
assert metadata.version("dicomsign") == version, metadata.version("dicomsign")
for name in ("sign", "verify", "remove", "load_signer", "VerificationReport", "DicomSignError"):
    assert callable(getattr(dicomsign, name)), name
pkg = resources.files("dicomsign")
for rel in ("py.typed", "_core.pyi", "data/dictionary.tsv"):
    assert pkg.joinpath(rel).is_file(), f"{rel} is not installed"
assert len(pkg.joinpath("data/dictionary.tsv").read_bytes()) > 100_000, "dictionary truncated"
engine.ensure_dictionary()  # raises if the engine cannot find the installed table
report = dicomsign.verify(signed, trusted=[cert])
report.raise_for_status()
assert len(report.signatures) == 1, report
removed = dicomsign.remove(Path(signed).read_bytes())
assert len(dicomsign.verify(removed.document).signatures) == 0
print("sign, verify, remove:", [s.status for s in report.signatures], "-> removed")
EOF

step "twine check --strict"
"$tools/twine" check --strict "$wheel" "$sdist" || fail "twine check --strict failed"

echo "check_wheel: OK: $(basename "$wheel") and $(basename "$sdist") in dist/"
