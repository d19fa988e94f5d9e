#!/bin/bash
# A throw-away Slurm cluster on this machine, for testing slurm/*.sbatch (needs root): one node on
# loopback (the default), or BERTH_SLURM_NODES=2|3 nodes, each in its own namespaces (below).
#
#   tests/slurm/slurm_cluster.sh start       install slurm-wlm + munge if missing, start munged,
#                                            slurmctld and slurmd, wait until the node is idle
#   tests/slurm/slurm_cluster.sh stop        cancel every job, stop the daemons this script
#                                            started, kill leftover job processes, remove the netns
#   tests/slurm/slurm_cluster.sh run CMD...  run CMD against the cluster (SLURM_CONF set, inside
#                                            the cluster's network namespace when there is one)
#   tests/slurm/slurm_cluster.sh status
#   tests/slurm/slurm_cluster.sh node NODE CMD...   (several nodes) run CMD on NODE: inside its
#                                            network, UTS and mount namespaces
#   tests/slurm/slurm_cluster.sh link NODE up|down  (several nodes) plug NODE into / cut it off
#                                            the fabric (its veth on the bridge goes up / down)
#
# Everything lives under $BERTH_SLURM_DIR (default /tmp/berth-slurm): slurm.conf, state, spool,
# daemon logs, a private munged (its own socket; the key is /etc/munge/munge.key, created by the
# munge package). The daemons run in a private network namespace "berth-slurm" whose only
# interface is lo when `ip netns` works here (BERTH_SLURM_NETNS=0 turns that off: they then
# talk over 127.0.0.1 but Slurm listens on all addresses). No systemd is used.
#
# Several nodes (BERTH_SLURM_NODES=2 or 3): node-a, node-b (, node-c). Each node's slurmd runs in
# its own network namespace berth-<node> (eth0 = 192.0.2.11, .12, .13/24) and its own UTS
# namespace (hostname = node name) and mount namespace, where /tmp is the node's own directory
# $S/nodes/<node>/tmp, ~/.cache/berth/{corpora,verified} are the node's own, and /etc/hosts lists
# the cluster's names only. Every eth0 is one end of a veth pair whose other end (vb-<node>) is
# on bridge br0 in one more namespace, berth-fabric, where slurmctld runs (host name head,
# 192.0.2.1). So the nodes reach each other and the controller over TCP, and nothing else: no
# namespace has a route out. $S itself (slurm.conf, munge socket, logs) and $S/shared (the
# cluster file system: put run_dir, cache_dir, data there) appear at the same paths on every node
# and on the host. The client commands (`run`) execute in the fabric namespace. Jobs and their
# processes inherit their node's namespaces from slurmd. BERTH_SLURM_NODE_TIMEOUT (default 10):
# SlurmdTimeout, after which the controller declares an unreachable node DOWN.
# Where namespaces, veth or bridges are refused, `start` exits 77 (a test's "skipped").
#
# BERTH_SLURM_CRED_EXPIRE (default 30): AuthInfo cred_expire, which is also how long a requeued
# job waits before it may start again (Slurm's default is 120 s; 30 keeps the test short).
set -euo pipefail

S=${BERTH_SLURM_DIR:-/tmp/berth-slurm}
NETNS=berth-slurm
CONF=$S/slurm.conf
NODE=$(hostname -s)

log() { echo "slurm_cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

# The command prefix that puts a process into the cluster's network (empty without a netns).
ns_prefix() {
  # nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroups slurmd needs.
  if [[ -f $S/fabric ]]; then
    echo "nsenter --net=/run/netns/berth-fabric"
  elif [[ -f $S/netns ]]; then
    echo "nsenter --net=/run/netns/$NETNS"
  fi
}

in_cluster() {
  # shellcheck disable=SC2046
  SLURM_CONF=$CONF $(ns_prefix) "$@"
}

install_if_missing() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null \
     && command -v sbatch >/dev/null; then
    return
  fi
  [[ $(id -u) == 0 ]] || die "slurm-wlm and munge are not installed and this is not root"
  log "installing slurm-wlm and munge (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends slurm-wlm munge libpmix2 iproute2 >&2
}

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  for ((i = 0; i < limit * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  die "timed out after ${limit}s waiting for $what (logs in $S)"
}

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# ---- several nodes ---------------------------------------------------------------------------

NODES=${BERTH_SLURM_NODES:-1}
FABRIC=berth-fabric
NODE_NAMES=(node-a node-b node-c)
node_list() { echo "${NODE_NAMES[@]:0:$NODES}"; }
node_ip() {  # node_ip NODE
  local i
  for i in "${!NODE_NAMES[@]}"; do [[ ${NODE_NAMES[$i]} == "$1" ]] && echo "192.0.2.$((11 + i))"; done
}
node_pid() { cat "$S/slurmd-$1.pid" 2>/dev/null; }

skip() {
  log "skipped: $*"
  exit 77
}

multi_start() {
  [[ $NODES == 2 || $NODES == 3 ]] || die "BERTH_SLURM_NODES must be 1, 2 or 3, not '$NODES'"
  [[ $(id -u) == 0 ]] || skip "needs root (network, UTS and mount namespaces, daemons as root)"
  if pid_alive "$S/slurmctld.pid" || [[ -f $S/netns ]] || ip netns list | grep -qw "$FABRIC"; then
    log "a cluster from $S is still up: stopping it first"
    stop
  fi
  install_if_missing
  rm -rf "$S"
  mkdir -p "$S"/{state,spool,munge,shared}
  chmod 755 "$S" "$S/shared"

  # The fabric: a bridge in its own namespace; a failure here means namespaces are refused.
  ip netns add "$FABRIC" 2>/dev/null || skip "ip netns add refused (no CAP_SYS_ADMIN here?)"
  touch "$S/fabric"
  ip -n "$FABRIC" link set lo up
  ip -n "$FABRIC" link add br0 type bridge 2>/dev/null || { stop; skip "no bridge devices here"; }
  ip -n "$FABRIC" addr add 192.0.2.1/24 dev br0
  ip -n "$FABRIC" link set br0 up
  {
    echo "127.0.0.1 localhost"
    echo "192.0.2.1 head"
    for n in $(node_list); do echo "$(node_ip "$n") $n"; done
  } >"$S/hosts"
  for n in $(node_list); do
    ip netns add "berth-$n"
    ip -n "berth-$n" link set lo up
    ip -n "$FABRIC" link add "vb-$n" type veth peer name eth0 netns "berth-$n" 2>/dev/null ||
      { stop; skip "no veth devices here"; }
    ip -n "$FABRIC" link set "vb-$n" master br0 up
    ip -n "berth-$n" addr add "$(node_ip "$n")/24" dev eth0
    ip -n "berth-$n" link set eth0 up
    mkdir -p "$S/nodes/$n/tmp" "$S/nodes/$n/cache/corpora" "$S/nodes/$n/cache/verified"
    chmod 1777 "$S/nodes/$n/tmp"
  done
  log "fabric $FABRIC (bridge br0, 192.0.2.1) and nodes: $(node_list)"

  [[ -f /etc/munge/munge.key ]] || { mungekey --create >&2 && chown munge: /etc/munge/munge.key; }
  chown munge: "$S/munge"
  chmod 711 "$S/munge"
  runuser -u munge -- munged --socket="$S/munge/munge.socket" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" \
    --key-file=/etc/munge/munge.key
  wait_for 20 munged test -S "$S/munge/munge.socket"

  local mem port=${BERTH_SLURM_PORT:-6817}
  mem=$(awk -v n="$NODES" '/MemTotal/ {print int($2 / 1024 / 2 / n)}' /proc/meminfo)
  {
    cat <<EOF
# Written by tests/slurm/slurm_cluster.sh: a $NODES-node test cluster in network namespaces.
ClusterName=berthtest
SlurmctldHost=head(192.0.2.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket,cred_expire=${BERTH_SLURM_CRED_EXPIRE:-30}
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool/%n
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd-%n.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
KillWait=10
SlurmdTimeout=${BERTH_SLURM_NODE_TIMEOUT:-10}
# Schedule every 2 s rather than every 60: a requeued job starts soon after it is eligible.
SchedulerParameters=sched_interval=2,bf_interval=2
EOF
    for n in $(node_list); do
      echo "NodeName=$n NodeAddr=$(node_ip "$n") CPUs=$(nproc) RealMemory=$mem State=UNKNOWN"
    done
    echo "PartitionName=debug Nodes=$(node_list | tr ' ' ,) Default=YES MaxTime=INFINITE State=UP"
  } >"$CONF"

  # slurmctld on the fabric, as host "head".
  nsenter --net=/run/netns/$FABRIC unshare --uts -- bash -c "hostname head && SLURM_CONF=$CONF exec slurmctld -i -f $CONF"
  wait_for 30 slurmctld in_cluster scontrol ping
  # One slurmd per node, in the node's own network, UTS and mount namespaces. /tmp becomes the
  # node's directory; $S (under the host's /tmp) is bound back at its own path through a
  # staging mount point, so slurm.conf, the munge socket and $S/shared stay where they were.
  local stage=/run/berth-slurm-stage
  mkdir -p "$stage"
  # A checkout under /tmp (CI clones there) would vanish behind the node's own /tmp: bind it
  # back the same way, as a cluster's software directory is visible on every node.
  local repo repo_stage=/run/berth-slurm-repo-stage
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  mkdir -p "$repo_stage"
  for n in $(node_list); do
    nsenter --net=/run/netns/berth-$n unshare --uts --mount --propagation private -- bash -ec "
      hostname $n
      mount --bind '$S' '$stage'
      case '$repo' in /tmp/*) mount --bind '$repo' '$repo_stage' ;; esac
      mount --bind '$S/nodes/$n/tmp' /tmp
      mkdir -p '$S' && mount --bind '$stage' '$S' && umount '$stage'
      case '$repo' in /tmp/*) mkdir -p '$repo' && mount --bind '$repo_stage' '$repo' && umount '$repo_stage' ;; esac
      mount --bind '$S/hosts' /etc/hosts
      mkdir -p \"\$HOME/.cache/berth/corpora\" \"\$HOME/.cache/berth/verified\"
      mount --bind '$S/nodes/$n/cache/corpora' \"\$HOME/.cache/berth/corpora\"
      mount --bind '$S/nodes/$n/cache/verified' \"\$HOME/.cache/berth/verified\"
      SLURM_CONF='$CONF' exec slurmd -f '$CONF' -N $n" ||
      { stop; skip "unshare --uts --mount or a bind mount refused for $n"; }
  done
  local want
  want=$(for n in $(node_list); do echo "$n idle"; done)
  wait_for 60 "nodes $(node_list) to be idle" bash -c \
    "[[ \$(SLURM_CONF=$CONF nsenter --net=/run/netns/$FABRIC sinfo -h -N -o '%N %t' | sort) == '$want' ]]"
  log "up: $(node_list) idle; shared directory $S/shared; use '$0 run CMD'"
}

# nodes: the node's network namespace, hostname and mounts, taken from its slurmd.
on_node() {  # on_node NODE CMD...
  local n=$1 pid
  shift
  pid=$(node_pid "$n")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || die "no slurmd running for node '$n'"
  SLURM_CONF=$CONF nsenter -t "$pid" --net --uts --mount "$@"
}

set_link() {  # set_link NODE up|down
  [[ $2 == up || $2 == down ]] || die "link $1: say up or down, not '$2'"
  ip -n "$FABRIC" link set "vb-$1" "$2"
  log "node $1: link $2"
}

start() {
  [[ $(id -u) == 0 ]] || die "needs root (the daemons run as root, munged as the munge user)"
  if pid_alive "$S/slurmctld.pid" || pid_alive "$S/slurmd.pid" || pid_alive "$S/munge/munged.pid" \
     || [[ -f $S/netns ]]; then
    # Left by a run that was killed before its trap could stop it (e.g. a CTest timeout).
    log "a cluster from $S is still up: stopping it first"
    stop
  fi
  install_if_missing
  rm -rf "$S"
  mkdir -p "$S"/{state,spool,munge}
  chmod 755 "$S"

  if [[ ${BERTH_SLURM_NETNS:-1} == 1 ]] && ip netns add "$NETNS" 2>/dev/null; then
    ip netns exec "$NETNS" ip link set lo up
    # Slurm resolves its listening address with AI_ADDRCONFIG, which ignores 127.0.0.1: give lo
    # a second address (TEST-NET-1, routed nowhere; the namespace has no other interface).
    ip netns exec "$NETNS" ip addr add 192.0.2.1/32 dev lo
    touch "$S/netns"
    log "network namespace $NETNS (lo only)"
  else
    log "no private network namespace: the daemons use 127.0.0.1"
  fi

  # munged as the munge user with its own socket, so a system munged (if any) is left alone.
  [[ -f /etc/munge/munge.key ]] || { mungekey --create >&2 && chown munge: /etc/munge/munge.key; }
  chown munge: "$S/munge"
  chmod 711 "$S/munge"  # clients reach the socket; nobody lists the directory
  runuser -u munge -- munged --socket="$S/munge/munge.socket" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" \
    --key-file=/etc/munge/munge.key
  wait_for 20 munged test -S "$S/munge/munge.socket"

  local mem
  mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
  cat >"$CONF" <<EOF
# Written by tests/slurm/slurm_cluster.sh: a one-node test cluster on loopback.
ClusterName=berthtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=${BERTH_SLURM_PORT:-6817}
SlurmdPort=$(( ${BERTH_SLURM_PORT:-6817} + 1 ))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket,cred_expire=${BERTH_SLURM_CRED_EXPIRE:-30}
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
KillWait=10
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
  # shellcheck disable=SC2046
  SLURM_CONF=$CONF $(ns_prefix) slurmctld -i -f "$CONF"
  wait_for 30 slurmctld in_cluster scontrol ping
  # shellcheck disable=SC2046
  SLURM_CONF=$CONF $(ns_prefix) slurmd -f "$CONF"
  wait_for 60 "node $NODE to be idle" bash -c "[[ \$(SLURM_CONF=$CONF $(ns_prefix) sinfo -h -n $NODE -o %t) == idle ]]"
  log "up: node $NODE idle; use '$0 run CMD' or SLURM_CONF=$CONF $(ns_prefix) CMD"
}

# Processes started through this cluster (job shells, launchers, ranks, slurmstepd) carry our
# SLURM_CONF in their environment: that is how they are found without matching names.
cluster_pids() {
  local p
  for p in /proc/[0-9]*; do
    [[ ${p#/proc/} == "$$" ]] && continue
    if tr '\0' '\n' 2>/dev/null <"$p/environ" | grep -xF "SLURM_CONF=$CONF" >/dev/null; then
      echo "${p#/proc/}"
    fi
  done
}

stop_pidfile() {  # stop_pidfile FILE NAME
  local f=$1 name=$2 pid
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for ((i = 0; i < 60 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && { log "$name ($pid) still up: SIGKILL"; kill -9 "$pid"; }
  fi
  rm -f "$f"
}

stop() {
  [[ -d $S ]] || { log "nothing to stop ($S does not exist)"; return 0; }
  if pid_alive "$S/slurmctld.pid"; then
    local jobs
    jobs=$(in_cluster squeue -h -o %A 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      log "cancelling jobs: $(echo $jobs)"
      # shellcheck disable=SC2086
      in_cluster scancel $jobs 2>/dev/null || true
      for ((i = 0; i < 80; i++)); do
        [[ -z $(in_cluster squeue -h -o %A 2>/dev/null) ]] && break
        sleep 0.25
      done
    fi
  fi
  stop_pidfile "$S/slurmd.pid" slurmd
  local f
  for f in "$S"/slurmd-*.pid; do [[ -f $f ]] && stop_pidfile "$f" "slurmd (${f#$S/})"; done
  stop_pidfile "$S/slurmctld.pid" slurmctld
  # Whatever a job left behind (slurmstepd, a launcher, ranks): TERM, then KILL.
  local left
  left=$(cluster_pids)
  if [[ -n $left ]]; then
    log "terminating leftover job processes: $(echo $left)"
    # shellcheck disable=SC2086
    kill $left 2>/dev/null || true
    sleep 2
    left=$(cluster_pids)
    # shellcheck disable=SC2086
    [[ -n $left ]] && kill -9 $left 2>/dev/null || true
  fi
  stop_pidfile "$S/munge/munged.pid" munged
  if [[ -f $S/netns ]]; then
    ip netns del "$NETNS" 2>/dev/null || true
    rm -f "$S/netns"
  fi
  if [[ -f $S/fabric ]]; then
    local n
    for n in "${NODE_NAMES[@]}"; do ip netns del "berth-$n" 2>/dev/null || true; done
    ip netns del "$FABRIC" 2>/dev/null || true
    rm -f "$S/fabric"
  fi
  log "stopped (logs kept in $S)"
}

case ${1:-} in
  start) if [[ $NODES == 1 ]]; then start; else multi_start; fi ;;
  stop) stop ;;
  run)
    shift
    in_cluster "$@"
    ;;
  node)
    shift
    on_node "$@"
    ;;
  link)
    shift
    set_link "$@"
    ;;
  status)
    in_cluster sinfo
    in_cluster squeue
    ;;
  *)
    sed -n '2,18p' "$0" >&2
    exit 2
    ;;
esac
