#!/usr/bin/env bash
# The archive `make image` wrote, taken apart the way `apptainer build berth.sif
# docker-archive://FILE` takes it apart, by a user who is not root: containers/image (skopeo, the
# library Apptainer links for docker-archive://) copies it into an OCI layout, umoci unpacks
# that in rootless mode (Apptainer unpacks OCI layers with umoci's code, rootless when not root),
# and the root file system it gives must run berth in a user namespace (unshare, chroot), as
# Apptainer runs a container without setuid. Neither Apptainer nor enroot can be installed here
# (docs/cluster.md): this checks the steps Apptainer takes, short of writing the SIF file.
#   1. as an unprivileged user: skopeo copy docker-archive:ARCHIVE oci:DIR:berth, then
#      umoci unpack --rootless (which also writes the runtime spec, config.json, from the
#      image's config: its process.env is the environment runtimes give the container);
#   2. in that root file system, in a user namespace with the host's /proc, /sys and /dev bound:
#      berth --version (with config.json's environment, and with none: /usr/local/bin) and
#      berth tokenize with the image's model;
#   3. the file tree equals the one tests/image/image_env.sh unpacks (path, type, mode, size,
#      link target), in which the other image tests run: their stand-in for a runtime starts
#      from what umoci makes;
#   4. that tree packed with mksquashfs (gzip, as Apptainer packs a SIF's and enroot a .sqsh)
#      and mounted with squashfuse by the user (as Apptainer without setuid mounts a SIF): berth
#      --version runs from it. Not the SIF container itself, nor apptainer exec.
# CTest image_oci_unpack (label image); needs root only to create the user (NONROOT_USER,
# default berthbuild, as image_nonroot_build); needs skopeo, umoci, squashfs-tools and
# squashfuse (make image-deps) and /dev/fuse.
set -euo pipefail
source "$(dirname "$0")/image_env.sh"
say() { echo "[oci_unpack_test +${SECONDS}s] $*"; }
for tool in skopeo umoci unshare mksquashfs squashfuse fusermount; do
  command -v $tool >/dev/null ||
    fail "$tool is not installed: 'make image-deps' installs skopeo, umoci, squashfs-tools and squashfuse"
done
user=${NONROOT_USER:-berthbuild}
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "$user"
su "$user" -s /bin/bash -c 'unshare --user --map-root-user --mount true' ||
  skip "unprivileged user namespaces are disabled here (Apptainer would need its setuid starter)"
W=${OCI_DIR:-/var/tmp/berth-oci}
rm -rf "$W"
trap 'rm -rf "$W"' EXIT
mkdir -p "$W"
chown "$user:" "$W"
# The archive must be readable by the user, as a file copied to a cluster would be.
su "$user" -s /bin/bash -c "test -r '$ARCHIVE'" || fail "$user cannot read $ARCHIVE"
as_user() { su "$user" -s /bin/bash -c "cd '$W' && export TMPDIR='$W' HOME='$W'; $*"; }

say "1. skopeo copy docker-archive -> oci, umoci unpack --rootless (as $user)"
as_user "nice -n 15 ionice -c3 skopeo copy --quiet 'docker-archive:$ARCHIVE' 'oci:$W/oci:berth'" ||
  fail "skopeo (containers/image) could not copy $ARCHIVE into an OCI layout"
as_user "nice -n 15 ionice -c3 umoci unpack --rootless --image '$W/oci:berth' '$W/bundle'" ||
  fail "umoci could not unpack the image (rootless)"
rm -rf "$W/oci"
fs=$W/bundle/rootfs
[[ -x $fs/opt/berth/bin/berth ]] || fail "no /opt/berth/bin/berth in umoci's root file system"
# The runtime spec's environment, one variable a line.
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["process"]["env"]))' \
  "$W/bundle/config.json" >"$W/env"
grep -q '^PATH=/opt/berth/bin:' "$W/env" || fail "config.json's PATH lacks /opt/berth/bin: $(cat "$W/env")"
say "config.json: $(paste -sd' ' "$W/env")"

say "2. berth in the root file system, in a user namespace (as $user)"
# in_userns CMD...: a command run as $user in a user and mount namespace, chrooted into
# $run_root (umoci's root file system, later the squashfs mounted), with the host's /proc, /sys, /dev and /tmp bound (Apptainer's binds).
in_userns() {
  local q
  q=$(printf '%q ' "$@")
  as_user "unshare --user --map-root-user --mount bash -c '
    r=\$0
    for d in proc sys dev tmp; do mount --rbind /\$d \"\$r/\$d\" || exit 125; done
    exec chroot \"\$r\" \"\$@\"' '$run_root' $q"
}
run_root=$fs
mapfile -t image_env <"$W/env"
v=$(in_userns /usr/bin/env -i "${image_env[@]}" berth --version) ||
  fail "berth --version failed in umoci's root file system"
echo "$v"
grep -q '^berth [0-9]' <<<"$v" || fail "berth --version printed no version"
# Runtimes that ignore the image's environment (apptainer --cleanenv, ssh-started ranks).
in_userns /usr/bin/env -i /bin/sh -c 'berth --version' | grep -q '^berth [0-9]' ||
  fail "berth is not on the default PATH in umoci's root file system"
text='Berth in an OCI bundle: naïve café'
got=$(printf '%s\n' "$text" | in_userns /usr/bin/env -i "${image_env[@]}" berth tokenize --model /opt/berth/models/default) ||
  fail "berth tokenize failed in umoci's root file system"
"${BERTH_PYTHON:-$ROOT/.venv/bin/python}" - "$fs/opt/berth/models/default/tokenizer.json" "$text" "$got" <<'PY' ||
import json, sys
from tokenizers import Tokenizer
t = Tokenizer.from_file(sys.argv[1])
t.no_padding()
t.no_truncation()
want = t.encode(sys.argv[2]).ids
assert json.loads(sys.argv[3]) == want, f"{sys.argv[3]} != tokenizers {want}"
print(f"tokenize in umoci's root file system: {len(want)} ids, as the tokenizers library")
PY
  fail "berth tokenize in umoci's root file system disagrees with the tokenizers library"

say "3. umoci's tree against the one tests/image/image_env.sh unpacks for the image tests"
# A private unpacking of its own, since the tests' runs may have written into theirs.
RootFS=$W/stand-in unpack_image
# Path, type, permission bits, size (files), link target. umoci's rootless mode cannot make
# device nodes (it leaves empty files; a rootless Apptainer cannot make them either), so /dev's
# entries are left out of both.
listing() {
  (cd "$1" && find . -path ./dev -prune -o ! -name '.berth-*' -printf '%p %y %m %s %l\n' |
    awk '$2 != "f" {$4 = "-"} {print}' | LC_ALL=C sort)
}
listing "$fs" >"$W/umoci.list"
listing "$W/stand-in" >"$W/stand-in.list"
if ! diff "$W/stand-in.list" "$W/umoci.list" >"$W/tree.diff"; then
  grep '^[<>]' "$W/tree.diff" | head -40 >&2
  fail "umoci's root file system and tests/image/image_env.sh's differ in $(grep -c '^[<>]' "$W/tree.diff") entries (< image_env.sh, > umoci)"
fi
say "same tree: $(wc -l <"$W/umoci.list") entries, $(du -sh "$fs" | cut -f1)"
rm -rf "$W/stand-in"

say "4. the root file system as a squashfs (Apptainer's SIF holds one; enroot's .sqsh is one)," \
  "mounted with squashfuse as an unprivileged Apptainer mounts it (as $user)"
as_user "nice -n 15 mksquashfs '$fs' '$W/berth.sqsh' -noappend -comp gzip -quiet -no-progress" ||
  fail "mksquashfs failed on umoci's root file system"
rm -rf "$W/bundle"
mkdir -p "$W/mnt"
chown "$user:" "$W/mnt"
as_user "squashfuse '$W/berth.sqsh' '$W/mnt'" || fail "squashfuse could not mount $W/berth.sqsh (is /dev/fuse there?)"
trap 'fusermount -u "$W/mnt" 2>/dev/null; rm -rf "$W"' EXIT
run_root=$W/mnt
v=$(in_userns /usr/bin/env -i /bin/sh -c 'berth --version') || fail "berth --version failed in the mounted squashfs"
grep -q '^berth [0-9]' <<<"$v" || fail "berth --version printed no version in the mounted squashfs"
say "squashfs $(du -h "$W/berth.sqsh" | cut -f1): $(head -1 <<<"$v")"
say "PASS"
