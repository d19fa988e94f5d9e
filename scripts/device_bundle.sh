#!/usr/bin/env bash
# Packs what bench/gpu_check.sh needs on a GPU machine that has CUDA and PyTorch 2.11 (cu130) but
# none of Berth's other dependencies: the CUDA build's binaries, every shared library they load
# that is neither glibc, libstdc++ nor torch/CUDA (found with ldd), a copy of Debian's Open MPI
# (orterun, its plugins and help files, PMIx) laid out under its original /usr paths, the default
# model's tokenizer and config (not its weights: the GPU benchmark uses random weights), and the
# sst2 CSVs. Writes .device/ (git-ignored, about 40 MB); the device tool carries it.
#
# usage: scripts/device_bundle.sh [BUILD_DIR=build]   (a build with BERTH_WITH_CUDA)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=.device
for f in "$build/berth" "$build/distributed_gpu_tests"; do
  [[ -x $f ]] || { echo "no $f: configure with the CUDA toolkit present and build first" >&2; exit 2; }
done
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/mpilib" "$out/root" "$out/model" "$out/data"
cp "$build/berth" "$build/distributed_gpu_tests" "$out/bin/"

ompi=/usr/lib/x86_64-linux-gnu/openmpi
pmix=/usr/lib/x86_64-linux-gnu/pmix2
# Open MPI under its own absolute paths (prefix /usr is compiled in), copied to / on the device
# only where that machine has no Open MPI of its own.
for p in /usr/bin/orterun /usr/bin/orted /usr/share/openmpi "$ompi/lib/openmpi3" \
         /etc/openmpi "$pmix"; do
  mkdir -p "$out/root$(dirname "$p")"
  cp -a "$p" "$out/root$p"
done
ln -s orterun "$out/root/usr/bin/mpirun"

# Shared libraries: MPI's own (and what only MPI needs) go to mpilib/, used only when the device
# has no Open MPI; the rest to lib/. glibc, libstdc++/libgcc and torch/CUDA come from the device.
skip='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|librt\.|libpthread\.|libutil\.|libresolv\.|libstdc\+\+|libgcc_s|libtorch|libc10|libcuda|libcudart|libnccl|libnv|libcu|libgomp|libshm)'
mpi_libs='^(libmpi|libopen-|libpmix|libhwloc|libevent|libmca_|liboshmem|libfabric|libuc[mpst]|libibverbs|librdmacm|libpsm|libinfinipath|libefa|libnl-|libnuma|libmunge)'
objects=("$build/berth" "$build/distributed_gpu_tests" /usr/bin/orterun "$ompi"/lib/openmpi3/*.so
         "$pmix"/lib/pmix/*.so)
ldd "${objects[@]}" 2>/dev/null | awk '/=> \//{print $3}' | sort -u | while read -r lib; do
  name=$(basename "$lib")
  [[ $name =~ $skip ]] && continue
  if [[ $name =~ $mpi_libs ]]; then cp -L "$lib" "$out/mpilib/"; else cp -L "$lib" "$out/lib/"; fi
done

cp models/default/{config.json,vocab.txt,tokenizer.json,tokenizer_config.json,special_tokens_map.json} \
  "$out/model/"
cp ../shared/data/sst2/{train,dev}.csv "$out/data/"
du -sh "$out"
