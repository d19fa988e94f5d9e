# Shared by the image tests (tests/image/*_test.sh; sourced): find the archive `make image`
# wrote, unpack it into a root file system once per archive, and run commands in that tree the
# way Apptainer runs them in an image (apptainer exec: the image's files, with the host's /proc,
# /sys, /dev, /tmp, /etc/hosts, $HOME and the current directory bound at their own paths), as
# root, in a private mount namespace so that nothing stays mounted.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BERTH_BUILD_DIR:-$ROOT/build}
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) == 0 ]] || skip "needs root (chroot and bind mounts, as the image build does)"
ARCHIVE=${BERTH_IMAGE_ARCHIVE:-$(cat "$BUILD/image/archive.path" 2>/dev/null || true)}
[[ -f $ARCHIVE ]] || fail "no image archive (${ARCHIVE:-$BUILD/image/archive.path is missing}): run 'make image' first (make test-image does)"
RootFS=$BUILD/image/rootfs

# The archive's layers, unpacked in order with their whiteouts applied: the image as any
# runtime sees it (one layer here). Redone when the archive changes.
unpack_image() {
  local stamp=$RootFS/.berth-archive
  if [[ -f $stamp && $(cat "$stamp") == "$(stat -c '%n %s %Y' "$ARCHIVE")" ]]; then return; fi
  rm -rf "$RootFS" "$RootFS.tmp"
  mkdir -p "$RootFS.tmp/x" "$RootFS.tmp/fs"
  tar -xf "$ARCHIVE" -C "$RootFS.tmp/x" manifest.json ||
    fail "$ARCHIVE is not a docker-archive (no manifest.json)"
  local layer
  for layer in $(python3 -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$RootFS.tmp/x/manifest.json"); do
    tar -xOf "$ARCHIVE" "$layer" | nice -n 15 ionice -c3 tar -xpf - -C "$RootFS.tmp/fs" --numeric-owner ||
      fail "cannot unpack layer $layer of $ARCHIVE"
    # OCI whiteouts: .wh.NAME deletes NAME of the layers below.
    local wh
    while IFS= read -r wh; do
      rm -rf "$(dirname "$wh")/$(basename "$wh" | sed 's/^\.wh\.//')" "$wh"
    done < <(find "$RootFS.tmp/fs" -name '.wh.*' ! -name '.wh..wh..opq')
  done
  # The config's environment, as the runtimes apply it.
  tar -xf "$ARCHIVE" -C "$RootFS.tmp/x" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$RootFS.tmp/x/manifest.json")"
  python3 - "$RootFS.tmp/x" >"$RootFS.tmp/fs/.berth-image-env" <<'PY'
import json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))[0]
for kv in json.load(open(os.path.join(d, m["Config"])))["config"].get("Env", []):
    print(kv)
PY
  mv "$RootFS.tmp/fs" "$RootFS"
  rm -rf "$RootFS.tmp"
  stat -c '%n %s %Y' "$ARCHIVE" >"$stamp"
}

# in_image [--bind DIR]... CMD...: CMD in the image. Its environment, as Apptainer makes it: the
# caller's, with PATH (and the rest of the image config's variables) from the image and no
# LD_LIBRARY_PATH. in_image_exec: the same, replacing this shell (every step execs, so CMD keeps
# the PID a launcher started: mpirun's daemon and srun signal that process).
in_image_cmd() {
  # $HOME as Apptainer binds it: what berth writes there (~/.cache/berth) goes to the host's,
  # not into the image, which is read-only under a runtime.
  local binds=(/tmp "${HOME:-}" "$PWD")
  while [[ ${1:-} == --bind ]]; do binds+=("$2"); shift 2; done
  local env_args=() kv
  while IFS= read -r -d '' kv; do
    case $kv in PATH=* | LD_LIBRARY_PATH=* | BASH_FUNC_* | _=* | OLDPWD=*) continue ;; esac
    env_args+=("$kv")
  done < <(env -0)
  while read -r kv; do env_args+=("$kv"); done <"$RootFS/.berth-image-env"
  IMAGE_CMD=(unshare --mount --propagation private -- bash -c '
    r=$1; shift
    mount --rbind /proc "$r/proc" && mount --rbind /sys "$r/sys" && mount --rbind /dev "$r/dev" || exit 125
    # The image has no /etc/hosts of its own (runtimes provide it): make the mount point.
    [[ -e $r/etc/hosts ]] || : >"$r/etc/hosts"
    [[ -f /etc/hosts ]] && mount --bind /etc/hosts "$r/etc/hosts"
    while [[ $1 != -- ]]; do
      [[ -d $1 ]] && { mkdir -p "$r$1"; mount --rbind "$1" "$r$1"; }
      shift
    done
    shift
    cd_to=$1; shift
    n=$1; shift
    envs=("${@:1:$n}"); shift "$n"
    exec chroot "$r" /usr/bin/env -i "${envs[@]}" /bin/sh -c "cd \"\$0\" 2>/dev/null || cd /; exec \"\$@\"" "$cd_to" "$@"
  ' in_image "$RootFS" "${binds[@]}" -- "$PWD" "${#env_args[@]}" "${env_args[@]}" "$@")
}
in_image() { in_image_cmd "$@"; "${IMAGE_CMD[@]}"; }
in_image_exec() { in_image_cmd "$@"; exec "${IMAGE_CMD[@]}"; }
