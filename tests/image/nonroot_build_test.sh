#!/usr/bin/env bash
# Berth built by a user who is not root (docs/cluster.md, "Without a container"), in a copy of
# the working tree, against the C++ dependencies already installed and a venv that exists:
#  1. scripts/setup.sh as that user with a Debian package "missing" (a dpkg-query stub says so)
#     and no usable sudo: it stops (exit 2) naming the package and SKIP_APT=1, and runs neither
#     apt-get nor sudo beyond the probe `sudo -n true` (stubs record every call);
#  2. SKIP_APT=1 make setup: the venv from BERTH_CACHE_DIR (the machine's, linked, not
#     downloaded again) and the model, with no apt;
#  3. make configure and a build of NONROOT_TARGETS (default: berth and common_unit_tests), then
#     berth --version and the unit executables built, as that user, with the CUDA toolkit on
#     PATH as `module load cuda` puts it. The user's compiler cache is seeded with a copy of the
#     machine's (same relative paths, same flags: hits), so this takes minutes, not the hour of
#     a cold build on 2 cores; the hit count is printed.
# CTest image_nonroot_build (label image); needs root to create the user; skipped otherwise.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to create a build user"; exit 77; }
user=${NONROOT_USER:-berthbuild}
targets=${NONROOT_TARGETS:-berth common_unit_tests}
say() { echo "[nonroot_build_test +${SECONDS}s] $*"; }
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
home=$(getent passwd "$user" | cut -d: -f6)
W=${NONROOT_DIR:-/var/tmp/berth-nonroot}
rm -rf "$W"
# Only links to the venv and the interpreter are removed with it (rm never follows them).
trap '[[ -n ${NONROOT_KEEP:-} ]] || rm -rf "$W"' EXIT
mkdir -p "$W/tree" "$W/cache" "$W/stub"
# A copy of the working tree as a fresh clone would have it (tracked and new files, no build).
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -cf - -T -) | tar -xf - -C "$W/tree"
# The machine's venv under the user's cache, so setup.sh finds it complete and downloads
# nothing: hard links (no copy; the files are world-readable), never chown'd (that would change
# the originals). Its interpreter is linked the same way when it lives where the user cannot
# go (root's pyenv), and found through LD_LIBRARY_PATH, as a site's Python module does it.
venv=$(readlink -f "$ROOT/.venv")
[[ -f $venv/.complete ]] || fail "no complete venv at $venv: run make setup first"
uvenv=$W/cache/$(basename "$venv")
cp -al "$venv" "$uvenv"
py_home=$(sed -n 's/^home = //p' "$venv/pyvenv.cfg")
py_env=
if ! su "$user" -s /bin/bash -c "test -x '$py_home/python3'"; then
  prefix=$(dirname "$py_home")
  cp -al "$prefix" "$W/python"
  rm "$uvenv/pyvenv.cfg" "$uvenv/bin/python3"
  sed "s|$py_home|$W/python/bin|" "$venv/pyvenv.cfg" >"$uvenv/pyvenv.cfg"
  ln -s "$W/python/bin/python3" "$uvenv/bin/python3"
  py_env="PYTHON=$W/python/bin/python3 LD_LIBRARY_PATH=$W/python/lib"
fi
chown "$user:" "$W" "$W/cache"
chown -R "$user:" "$W/tree" "$W/stub"
# su resets PATH: put the CUDA toolkit back on it as a site's `module load cuda` does, so the
# user's build has the same compile flags as the machine's (and hits its compiler cache).
user_path=/usr/local/bin:/usr/bin:/bin
nvcc=$(command -v nvcc || true)
[[ -n $nvcc ]] && user_path=$(dirname "$nvcc"):$user_path
as_user() { su "$user" -s /bin/bash -c "cd '$W/tree' && export PATH=$user_path $py_env BERTH_CACHE_DIR=$W/cache; $*"; }

say "1. setup.sh as $user with libhdf5-dev 'missing' and no sudo"
cat >"$W/stub/dpkg-query" <<'STUB'
#!/bin/bash
# Says every package is installed except libhdf5-dev.
for a; do [[ $a == libhdf5-dev ]] && exit 1; done
echo "install ok installed"
STUB
for t in sudo apt-get; do printf '#!/bin/bash\necho "$0 $*" >>%s/stub/called\nexit 1\n' "$W" >"$W/stub/$t"; done
chmod +x "$W/stub"/*
set +e
out=$(as_user "PATH=$W/stub:\$PATH bash scripts/setup.sh" 2>&1)
rc=$?
set -e
echo "$out"
[[ $rc == 2 ]] || fail "setup.sh exited $rc, expected 2 (missing packages, not root)"
grep -q "not root.*libhdf5-dev" <<<"$out" || fail "setup.sh did not name the missing libhdf5-dev"
grep -q "SKIP_APT=1" <<<"$out" || fail "setup.sh did not point to SKIP_APT=1"
# The one sudo call allowed is the probe for password-less sudo (sudo -n true).
if [[ -e $W/stub/called ]] && grep -v '/sudo -n true$' "$W/stub/called"; then
  fail "setup.sh ran the above as a user without sudo"
fi

say "2. SKIP_APT=1 make setup"
as_user "SKIP_APT=1 make setup" || fail "SKIP_APT=1 make setup failed as $user"
[[ $(readlink "$W/tree/.venv") == "$uvenv" ]] || fail "setup.sh made a new venv instead of using $uvenv"
[[ -f $W/tree/models/default/model.safetensors ]] || fail "no models/default after setup"

say "3. configure and build $targets as $user"
as_user "SKIP_APT=1 make configure" || fail "make configure failed as $user"
# The user's own compiler cache, seeded with a copy of the machine's (when there is one) to keep
# the test's time down; paths relative to the tree, as the Makefile sets them, so it can hit.
ccache_dir=$home/.cache/berth-test-ccache
rm -rf "$ccache_dir"
mkdir -p "$ccache_dir"
root_cache=$(ccache -k cache_dir 2>/dev/null || true)
[[ -n $root_cache && -d $root_cache ]] && cp -a "$root_cache/." "$ccache_dir/"
chown -R "$user:" "$ccache_dir"
cc_env="CCACHE_DIR=$ccache_dir CCACHE_BASEDIR=$W/tree CCACHE_NOHASHDIR=1"
as_user "$cc_env ccache -z >/dev/null"
as_user "$cc_env nice -n 10 cmake --build build -j ${JOBS:-1} --target $targets" ||
  fail "the build failed as $user"
as_user "$cc_env ccache -s" | grep -E 'Hits|Misses' || true
if [[ " $targets " == *" berth "* ]]; then
  as_user "build/berth --version" || fail "berth --version failed"
  [[ $(stat -c %U "$W/tree/build/berth") == "$user" ]] || fail "build/berth is not $user's"
fi
for t in "$W"/tree/build/*_unit_tests; do
  as_user "$t --gtest_brief=1" || fail "$(basename "$t") failed as $user"
done
say "PASS"
