#!/usr/bin/env bash
# Stop the daemons started by ci/slurm/start_cluster.sh, by the process ids in their pid files
# ($RETROWALK_SLURM_DIR/run/*.pid), in reverse start order. Never kills by name. A pid is only
# signalled if the process still runs the expected program (guards against recycled pids).
# Usage: bash ci/slurm/stop_cluster.sh [--purge]   (--purge also deletes the state directory)
set -uo pipefail
STATE="${RETROWALK_SLURM_DIR:-/tmp/retrowalk-slurm}"
log() { echo "[stop_cluster] $*" >&2; }

stop_one() { # stop_one NAME
  local name=$1 pidfile="$STATE/run/$1.pid" pid comm
  [ -f "$pidfile" ] || { log "$name: no pid file"; return 0; }
  pid="$(tr -dc '0-9' <"$pidfile")"
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    log "$name: not running"
    rm -f "$pidfile"
    return 0
  fi
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  case "$comm" in
    "$name" | "${name:0:15}") ;;
    *)
      log "$name: pid $pid runs '$comm', not $name: left alone"
      rm -f "$pidfile"
      return 0
      ;;
  esac
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name: pid $pid did not exit after SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
  fi
  rm -f "$pidfile"
  log "$name: stopped (pid $pid)"
}

# slurmd first (ends its job steps), then the controller, accounting, database, munge.
for d in slurmd slurmctld slurmdbd mariadbd munged; do
  stop_one "$d"
done

# remove the /etc/slurm/slurm.conf symlink made by start_cluster.sh, if it still points at us
if [ -f "$STATE/run/created-symlinks" ]; then
  while read -r link; do
    if [ -L "$link" ] && [ "$(readlink "$link")" = "$STATE/etc/slurm.conf" ]; then
      rm -f "$link" && log "removed symlink $link"
    fi
  done <"$STATE/run/created-symlinks"
  rm -f "$STATE/run/created-symlinks"
fi

if [ "${1:-}" = "--purge" ]; then
  rm -rf "$STATE"
  log "removed $STATE"
fi
exit 0
