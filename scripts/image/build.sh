#!/usr/bin/env bash
# Builds Berth's OCI image without any container registry (what `make image` runs):
#   1. the runtime libraries berth loads are found with ldd: those of the torch wheel and its
#      nvidia-* wheels (LibTorch, CUDA runtime, cuBLAS, cuDNN, NCCL, ...) are copied into
#      /opt/berth/lib; each one Debian ships becomes the Debian package that owns it
#      (dpkg -S), installed into the image from Debian's mirror;
#   2. mmdebstrap makes the Debian part of the root file system (minbase + those packages +
#      Open MPI's launcher and PMIx), kept as BUILD_DIR/image/debian-KEY.tar and reused while
#      the package list, suite and mirror are the same (KEY): a rebuild after a code change
#      skips it; /opt/berth is staged beside it: the berth executable, its libraries (hard
#      links to the wheel's files where possible), the default model, the configs, the Slurm
#      and Kubernetes scripts and the quickstart's data; no compiler, no Python, no test oracle;
#      the loader's cache for both is made here with `ldconfig -r` (same glibc as the image);
#   3. buildah (its own storage under the build directory, so nothing else on the machine is
#      touched) adds both into one layer and writes the image as a docker-archive file, which
#      `apptainer build berth.sif docker-archive://FILE`, `skopeo copy docker-archive:FILE ...`
#      and `docker load -i FILE` read (docs/cluster.md).
# The staging tree and buildah's storage are removed at the end; the archive and the Debian
# part stay.
#
# usage: scripts/image/build.sh [BUILD_DIR=build]
# Environment: IMAGE_WORK (default BUILD_DIR/image: staging, buildah storage, archive), IMAGE_NAME (default localhost/berth), IMAGE_TAG (default: berth's version and
# commit), IMAGE_OUT (default BUILD_DIR/image/berth-TAG.docker.tar), DEBIAN_SUITE (bookworm:
# must be the release berth was built on, or its libraries' sonames may not exist there),
# DEBIAN_MIRROR (http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
build=${1:-build}
say() { printf '[image] %s\n' "$*"; }
die() { printf '[image] error: %s\n' "$*" >&2; exit 2; }
start=$(date +%s)

[[ $(id -u) == 0 ]] || die "scripts/image/build.sh needs root (mmdebstrap installs packages into the new root file system, buildah writes its storage); run 'sudo make image' or build on a machine where you are root and copy the archive to the cluster"
[[ -x $build/berth ]] || die "$build/berth does not exist: run 'make build' first (make image does)"
for tool in mmdebstrap buildah; do
  command -v $tool >/dev/null ||
    die "$tool is not installed: 'apt-get install -y mmdebstrap buildah' (make image does it)"
done
suite=${DEBIAN_SUITE:-$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# The image's name: berth's own version report, so the tag says which commit it holds.
version_line=$("$build/berth" --version | head -1)  # "berth 0.1.0 (commit abc1234)"
version=$(awk '{print $2}' <<<"$version_line")
commit=$(sed -n 's/.*(commit \([^)]*\)).*/\1/p' <<<"$version_line")
tag=${IMAGE_TAG:-$version${commit:+-$commit}}
tag=${tag//[^A-Za-z0-9_.-]/-}
name=${IMAGE_NAME:-localhost/berth}
work=${IMAGE_WORK:-$build/image}
out=${IMAGE_OUT:-$work/berth-$tag.docker.tar}
stage=$work/stage
rm -rf "$stage" "$work/rootfs.tar" "$work/ldroot"
mkdir -p "$stage/opt/berth/bin" "$stage/opt/berth/lib" "$stage/opt/berth/share" \
         "$stage/etc/ld.so.conf.d" "$(dirname "$out")"

# --- 1. libraries ---------------------------------------------------------------------------
# The torch wheel's directory (where CMake found LibTorch); its nvidia-* wheels sit beside it.
torch_lib=$(sed -n 's/^Torch_DIR:PATH=\(.*\)\/share\/cmake\/Torch$/\1/p' "$build/CMakeCache.txt")/lib
[[ -f $torch_lib/libtorch_cpu.so ]] || die "no LibTorch under '$torch_lib' (from Torch_DIR in $build/CMakeCache.txt): reconfigure the build"
site=$(cd "$torch_lib/../.." && pwd -P)
torch_lib=$site/torch/lib
# What berth links, and what LibTorch loads later by itself: libtorch_cuda (the CUDA kernels,
# loaded when present), its linalg part and the NVRTC shim (dlopen'd on first use), cuDNN's
# engine libraries (dlopen'd by libcudnn) and NVRTC's builtins (dlopen'd by libnvrtc).
roots=("$build/berth" "$torch_lib"/libtorch_cuda.so "$torch_lib"/libtorch_cuda_linalg.so
       "$torch_lib"/libcaffe2_nvrtc.so "$torch_lib"/libc10_cuda.so "$torch_lib"/libtorch_nvshmem.so)
dlopened=("$site"/nvidia/cudnn/lib/libcudnn*.so* "$site"/nvidia/cu13/lib/libnvrtc-builtins*.so*)
roots=("${roots[@]}" "${dlopened[@]}")
declare -A packages=()
declare -A wheel_libs=()  # soname -> the wheel's file
# The roots themselves (ldd lists only what they need), the berth executable aside.
for f in "${roots[@]:1}"; do [[ -e $f ]] && wheel_libs[$(basename "$f")]=$(readlink -f "$f"); done
while read -r soname path; do
  real=$(readlink -f "$path")
  case $real in
    "$site"/*) wheel_libs[$soname]=$real ;;
    *)
      # dpkg knows a file by the path its package installed it under: /lib or /usr/lib (merged
      # /usr makes both valid), the soname link or the real file.
      pkg=
      for candidate in "$path" "$real" "${real#/usr}" "$(dirname "$path")/$(basename "$real")"; do
        pkg=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) || pkg=
        [[ -n $pkg ]] && break
      done
      if [[ -n $pkg ]]; then
        packages[$pkg]=1
        continue
      fi
      # Not Debian's: a CUDA toolkit under /usr/local links libcudart, which the wheels carry
      # too (the same soname, so the same ABI); take the wheel's.
      wheel_copy=$(ls "$site"/nvidia/*/lib/"$soname" "$torch_lib/$soname" 2>/dev/null | head -1 || true)
      [[ -n $wheel_copy ]] || die "$soname ($path) belongs to no Debian package and is not in the torch wheels: install it from a Debian package, or add it to scripts/image/build.sh by hand"
      wheel_libs[$soname]=$(readlink -f "$wheel_copy")
      ;;
  esac
done < <(ldd "${roots[@]}" 2>/dev/null | awk '/=> \// {print $1, $3}' | sort -u)
missing=$(ldd "$build/berth" | grep 'not found' || true)
[[ -z $missing ]] || die "$build/berth has unresolved libraries: $missing"
# Under the name the loader looks for (the soname), whatever the wheel's file is called.
# Hard links where the venv is on the same file system: 3.3 GB not written once more (nothing
# here changes them; the berth executable is copied, since it is stripped).
for soname in "${!wheel_libs[@]}"; do
  ln -f "${wheel_libs[$soname]}" "$stage/opt/berth/lib/$soname" 2>/dev/null ||
    cp -L "${wheel_libs[$soname]}" "$stage/opt/berth/lib/$soname"
done
# Open MPI's launcher and PMIx for srun --mpi=pmix, which no library dependency names; ssh for
# mpirun to reach other nodes and sshd for the MPI Operator's worker pods (deploy/k8s).
packages[openmpi-bin]=1
packages[libpmix2]=1
packages[openssh-client]=1
packages[openssh-server]=1
# libc6, libstdc++6, libgcc-s1 come with minbase; listing them is harmless.
include=$(printf '%s\n' "${!packages[@]}" | sort | paste -sd, -)
say "Debian packages: $include"
say "from the torch wheel: ${#wheel_libs[@]} libraries, $(du -sh "$stage/opt/berth/lib" | cut -f1)"

# --- what /opt/berth holds --------------------------------------------------------------------
cp "$build/berth" "$stage/opt/berth/bin/"
strip --strip-unneeded "$stage/opt/berth/bin/berth" 2>/dev/null || true
cp scripts/image/berth-quickstart scripts/image/k8s-launcher scripts/image/k8s-worker \
  "$stage/opt/berth/bin/"
mkdir -p "$stage/opt/berth/models"
cp -rL models/default "$stage/opt/berth/models/default"
cp -r configs slurm "$stage/opt/berth/"
mkdir -p "$stage/opt/berth/share/host" "$stage/opt/berth/share/k8s"
cp scripts/image/berth-apptainer "$stage/opt/berth/share/host/"
cp deploy/k8s/*.yaml "$stage/opt/berth/share/k8s/"
# The quickstart's corpus, made here from this machine's package lists (the image has none).
python3 scripts/make_quickstart_data.py "$stage/opt/berth/share/quickstart" >/dev/null
echo /opt/berth/lib >"$stage/etc/ld.so.conf.d/berth.conf"
# berth on the PATH of every shell, including the non-login ones that mpirun's ssh starts on
# other nodes and pods (they do not see the image's PATH).
mkdir -p "$stage/usr/local/bin"
ln -s /opt/berth/bin/berth "$stage/usr/local/bin/berth"
# For the MPI Operator (deploy/k8s): its launcher reaches the workers' sshd with keys mounted
# from a Secret, between pods whose host keys are new each time: no known_hosts to check or
# write, and no strict permission checks on the mounted key files.
mkdir -p "$stage/etc/ssh/ssh_config.d" "$stage/etc/ssh/sshd_config.d"
printf 'Host *\n    StrictHostKeyChecking no\n    UserKnownHostsFile /dev/null\n    LogLevel ERROR\n' \
  >"$stage/etc/ssh/ssh_config.d/berth-mpi-operator.conf"
printf 'StrictModes no\nPasswordAuthentication no\n' >"$stage/etc/ssh/sshd_config.d/berth-mpi-operator.conf"
revision=$(git rev-parse HEAD 2>/dev/null || echo "$commit")
echo "$revision" >"$stage/opt/berth/COMMIT"

# --- 2. root file system ----------------------------------------------------------------------
# Documentation and man pages are left out (copyright files stay); apt stays, so a site can
# derive an image with its own packages. Host keys are made per container (k8s-worker).
mm_opts=(--variant=minbase --format=tar --include="$include"
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*'
  --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*')
key=$(printf '%s\n' "$suite" "$mirror" "${mm_opts[@]}" | sha256sum | cut -c1-12)
base=$work/debian-$key.tar
if [[ -s $base ]]; then
  say "Debian part: $base (same packages, suite and mirror as before; mmdebstrap skipped)"
else
  say "mmdebstrap $suite from $mirror"
  t=$(date +%s)
  nice -n 15 ionice -c3 mmdebstrap "${mm_opts[@]}" "$suite" "$base.tmp" "$mirror" \
    >"$work/mmdebstrap.log" 2>&1 ||
    die "mmdebstrap failed (log: $work/mmdebstrap.log; is $mirror reachable?)"
  # Only the newest Debian part is kept.
  find "$work" -maxdepth 1 -name 'debian-*.tar' -delete
  mv "$base.tmp" "$base"
  say "Debian part: $(du -h "$base" | cut -f1) in $(($(date +%s) - t)) s"
fi
# The loader's cache for the image's libraries and /opt/berth/lib, made on a scratch copy of
# both (hard links for the wheel's libraries) with the host's ldconfig: bookworm's glibc, as in
# the image, so the cache's format is the one its loader reads.
mkdir -p "$work/ldroot"
tar -xf "$base" -C "$work/ldroot" --exclude='./dev/*'
cp -al "$stage/opt" "$work/ldroot/"
cp "$stage/etc/ld.so.conf.d/berth.conf" "$work/ldroot/etc/ld.so.conf.d/"
ldconfig -r "$work/ldroot"
cp "$work/ldroot/etc/ld.so.cache" "$stage/etc/ld.so.cache"
rm -rf "$work/ldroot"

# --- 3. image and archive ---------------------------------------------------------------------
# A private buildah storage: no other user's images are read or changed, and removing the
# directory removes everything this build made.
store=$work/buildah
bah() { nice -n 15 ionice -c3 buildah --root "$store/root" --runroot "$store/run" --storage-driver overlay "$@"; }
cleanup_store() {
  bah rm --all >/dev/null 2>&1 || true
  bah rmi --all --force >/dev/null 2>&1 || true
  rm -rf "$store"
}
trap cleanup_store EXIT
cleanup_store
t=$(date +%s)
ctr=$(bah from --quiet scratch)
bah add "$ctr" "$base" / >/dev/null
bah add "$ctr" "$stage" / >/dev/null
rm -rf "$stage"
bah config \
  --env PATH=/opt/berth/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env BERTH_HOME=/opt/berth \
  --workingdir / --cmd '["berth", "--help"]' \
  --label org.opencontainers.image.title=berth \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.revision="$revision" \
  --label org.opencontainers.image.description="Berth: BERT classifier fine-tuning in C++ (LibTorch, CUDA, NCCL, Open MPI with PMIx)" \
  "$ctr"
bah commit --quiet "$ctr" "$name:$tag" >/dev/null
rm -f "$out"
bah push --quiet "$name:$tag" "docker-archive:$out:$name:$tag"
say "buildah add, commit and push: $(($(date +%s) - t)) s"
# Where the tests (tests/image) and `make image`'s callers find the newest archive.
realpath "$out" >"$work/archive.path"
size=$(du -h "$out" | cut -f1)
bytes=$(stat -c %s "$out")
say "image: $name:$tag"
say "archive: $out ($size, $bytes bytes; docker-archive, one layer)"
say "built in $(( $(date +%s) - start )) s"
say "next: apptainer build berth.sif docker-archive://$out   (docs/cluster.md)"
