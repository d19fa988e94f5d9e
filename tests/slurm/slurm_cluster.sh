#!/bin/bash
# A throw-away one-node Slurm cluster on loopback, for testing slurm/*.sbatch (needs root).
#
#   tests/slurm/slurm_cluster.sh start       install slurm-wlm + munge if missing, start munged,
#                                            slurmctld and slurmd, wait until the node is idle
#   tests/slurm/slurm_cluster.sh stop        cancel every job, stop the daemons this script
#                                            started, kill leftover job processes, remove the netns
#   tests/slurm/slurm_cluster.sh run CMD...  run CMD against the cluster (SLURM_CONF set, inside
#                                            the cluster's network namespace when there is one)
#   tests/slurm/slurm_cluster.sh status
#
# Everything lives under $BERTH_SLURM_DIR (default /tmp/berth-slurm): slurm.conf, state, spool,
# daemon logs, a private munged (its own socket; the key is /etc/munge/munge.key, created by the
# munge package). The daemons run in a private network namespace "berth-slurm" whose only
# interface is lo when `ip netns` works here (BERTH_SLURM_NETNS=0 turns that off: they then
# talk over 127.0.0.1 but Slurm listens on all addresses). No systemd is used.
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
  if [[ -f $S/netns ]]; then echo "nsenter --net=/run/netns/$NETNS"; fi
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
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2
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
  log "stopped (logs kept in $S)"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  run)
    shift
    in_cluster "$@"
    ;;
  status)
    in_cluster sinfo
    in_cluster squeue
    ;;
  *)
    sed -n '2,12p' "$0" >&2
    exit 2
    ;;
esac
