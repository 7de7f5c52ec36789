#!/usr/bin/env bash
# Start a private single-node SLURM cluster with accounting on this host:
#   munged -> mariadbd -> slurmdbd -> slurmctld -> slurmd
# Everything (configs, keys, database, spool, logs, sockets, pid files) lives in one state
# directory ($RETROWALK_SLURM_DIR, default /tmp/retrowalk-slurm); nothing is written to /etc
# and the Debian system services (if any) are left alone. All daemons listen on 127.0.0.1 only,
# on non-default ports, and use their own munge socket.
#
# Usage:  bash ci/slurm/start_cluster.sh          (needs root; run ci/slurm/install.sh first)
#         source <(bash ci/slurm/start_cluster.sh --print-env)   # just print the env exports
#         bash ci/slurm/stop_cluster.sh           (stops exactly the daemons started here)
# After a successful start, "$RETROWALK_SLURM_DIR/env.sh" exports SLURM_CONF, and the cluster
# has: cluster "retrowalk", partition "debug" (default), account "retrowalk" with the current
# user as member (default account), node "$NODE" with the host's CPUs and memory.
set -euo pipefail

STATE="${RETROWALK_SLURM_DIR:-/tmp/retrowalk-slurm}"
CLUSTER="${RETROWALK_SLURM_CLUSTER:-retrowalk}"
ACCOUNT="${RETROWALK_SLURM_ACCOUNT:-retrowalk}"
PARTITION="${RETROWALK_SLURM_PARTITION:-debug}"
NODE="${RETROWALK_SLURM_NODE:-$(hostname -s)}"
CTLD_PORT="${RETROWALK_SLURMCTLD_PORT:-16817}"
SLURMD_PORT="${RETROWALK_SLURMD_PORT:-16818}"
DBD_PORT="${RETROWALK_SLURMDBD_PORT:-16819}"
DB_PORT="${RETROWALK_MARIADB_PORT:-13306}"
DB_USER=slurm
DB_PASS=retrowalk-ci
USER_NAME="$(id -un)"

if [ "${1:-}" = "--print-env" ]; then
  echo "export SLURM_CONF=$STATE/etc/slurm.conf"
  exit 0
fi

log() { echo "[start_cluster] $*" >&2; }
die() {
  log "ERROR: $*"
  for f in "$STATE"/log/*.log; do
    [ -f "$f" ] && { echo "---- tail $f" >&2; tail -n 30 "$f" >&2; }
  done
  exit 1
}

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2
  shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out after ${secs}s waiting for $what"
    sleep 0.5
  done
  log "$what: ok"
}

# pid_alive PIDFILE: the pid in PIDFILE runs and is the daemon the file is named after
# (guards against a stale pid file whose pid was reused by another program)
pid_alive() {
  local pid name
  [ -f "$1" ] || return 1
  pid="$(tr -dc '0-9' <"$1")"
  name="$(basename "$1" .pid)"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${name:0:15}" ]
}

# The one unavoidable write outside $STATE: inside a job, snakemake-executor-plugin-slurm-jobstep
# (0.6) strips every SLURM_* variable, SLURM_CONF included, before its nested `srun`, so that
# srun only finds the default /etc/slurm/slurm.conf. Point that at our config with a symlink if
# no real one exists; stop_cluster.sh removes the symlink only if it is still ours.
link_sys_conf() {
  local SYS_CONF=/etc/slurm/slurm.conf SLURM_CONF="$STATE/etc/slurm.conf"
  if [ -L "$SYS_CONF" ] && [ "$(readlink "$SYS_CONF")" = "$SLURM_CONF" ]; then
    : # already ours
  elif [ -e "$SYS_CONF" ] || [ -L "$SYS_CONF" ]; then
    log "WARNING: $SYS_CONF exists and is not ours: job steps (srun inside jobs) will use it"
  else
    mkdir -p /etc/slurm
    ln -s "$SLURM_CONF" "$SYS_CONF"
    echo "$SYS_CONF" >"$STATE/run/created-symlinks"
    log "linked $SYS_CONF -> $SLURM_CONF"
  fi
}

[ "$(id -u)" -eq 0 ] || die "must run as root (the daemons run as root in this test cluster)"
for b in munged munge mariadbd mariadb-install-db mariadb slurmdbd slurmctld slurmd sacctmgr sinfo sbatch sacct; do
  command -v "$b" >/dev/null || die "$b not found: run ci/slurm/install.sh"
done

if pid_alive "$STATE/run/slurmctld.pid" && pid_alive "$STATE/run/slurmd.pid"; then
  log "cluster already running in $STATE (stop it with ci/slurm/stop_cluster.sh)"
  link_sys_conf
  echo "export SLURM_CONF=$STATE/etc/slurm.conf"
  exit 0
fi

mkdir -p "$STATE"/{etc,run,log,munge,spool/ctld,spool/d,mysql-run}
chmod 755 "$STATE"
chmod 711 "$STATE/munge"

# ---- munge -------------------------------------------------------------------------------
MUNGE_SOCKET="$STATE/munge/munge.socket"
if [ ! -s "$STATE/munge/munge.key" ]; then
  mungekey --create --keyfile="$STATE/munge/munge.key" --force
  chmod 600 "$STATE/munge/munge.key"
fi
if ! pid_alive "$STATE/run/munged.pid"; then
  munged --force \
    --socket="$MUNGE_SOCKET" \
    --key-file="$STATE/munge/munge.key" \
    --pid-file="$STATE/run/munged.pid" \
    --log-file="$STATE/log/munged.log" \
    --seed-file="$STATE/munge/munged.seed" </dev/null >>"$STATE/log/munged.log" 2>&1 ||
    die "munged failed to start"
fi
munge_ok() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for 20 "munged" munge_ok

# ---- MariaDB (accounting storage for slurmdbd) --------------------------------------------
MYSQL_SOCKET="$STATE/mysql-run/mysqld.sock"
if [ ! -d "$STATE/mysql/mysql" ]; then
  mariadb-install-db --no-defaults --user=root --datadir="$STATE/mysql" \
    --auth-root-authentication-method=socket --skip-test-db \
    >"$STATE/log/mariadb-install.log" 2>&1 || die "mariadb-install-db failed"
fi
if ! pid_alive "$STATE/run/mariadbd.pid"; then
  # mariadbd does not daemonize: detach it (new session, no inherited stdio) and let it write
  # its own pid file.
  setsid mariadbd --no-defaults --user=root \
    --datadir="$STATE/mysql" \
    --socket="$MYSQL_SOCKET" \
    --pid-file="$STATE/run/mariadbd.pid" \
    --port="$DB_PORT" --bind-address=127.0.0.1 \
    --log-error="$STATE/log/mariadbd.log" \
    --innodb-buffer-pool-size=256M --innodb-log-file-size=64M \
    --innodb-lock-wait-timeout=900 \
    </dev/null >>"$STATE/log/mariadbd.log" 2>&1 &
fi
sql() { mariadb --no-defaults --socket="$MYSQL_SOCKET" -uroot -e "$1"; }
wait_for 60 "mariadbd" sql "SELECT 1"
wait_for 10 "mariadbd pid file" test -s "$STATE/run/mariadbd.pid"
sql "CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
     CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
     GRANT ALL ON slurm_acct_db.* TO '$DB_USER'@'127.0.0.1';
     GRANT ALL ON slurm_acct_db.* TO '$DB_USER'@'localhost';
     FLUSH PRIVILEGES;" || die "could not create the slurm database user"

# ---- SLURM configuration --------------------------------------------------------------------
CPUS="$(nproc)"
MEM_MB="$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)"
REAL_MEM=$((MEM_MB * 90 / 100)) # leave room for the OS and the daemons
SLURM_CONF="$STATE/etc/slurm.conf"
cat >"$SLURM_CONF" <<EOF
# Generated by ci/slurm/start_cluster.sh: single-node test cluster for retrowalk.
ClusterName=$CLUSTER
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups in a container: plain process tracking, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
# accounting through slurmdbd (the snakemake SLURM executor polls job states with sacct)
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
# the slurmdbd connection authenticates through this munge socket (not AuthInfo)
AccountingStoragePass=$MUNGE_SOCKET
AccountingStorageEnforce=associations
JobCompType=jobcomp/none
MailProg=/bin/true
# keep finished jobs visible to squeue/scontrol for a while as well
MinJobAge=300
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=10
Waittime=0
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=$REAL_MEM State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF

cat >"$STATE/etc/cgroup.conf" <<EOF
# Generated by ci/slurm/start_cluster.sh: cgroups are not used (proctrack/linuxproc).
CgroupPlugin=autodetect
EOF

cat >"$STATE/etc/slurmdbd.conf" <<EOF
# Generated by ci/slurm/start_cluster.sh
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=root
PidFile=$STATE/run/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
DebugLevel=info
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=$DB_USER
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
chmod 600 "$STATE/etc/slurmdbd.conf"
export SLURM_CONF
echo "export SLURM_CONF=$SLURM_CONF" >"$STATE/env.sh"

link_sys_conf

# ---- slurmdbd, then the accounting objects --------------------------------------------------
if ! pid_alive "$STATE/run/slurmdbd.pid"; then
  slurmdbd </dev/null >>"$STATE/log/slurmdbd.log" 2>&1 || die "slurmdbd failed to start"
fi
wait_for 60 "slurmdbd" sacctmgr -n list cluster
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
  sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster failed"
fi
if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
  sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" \
    description="retrowalk CI" organization=retrowalk >/dev/null || die "sacctmgr add account failed"
fi
if ! sacctmgr -n -P list user "$USER_NAME" format=user | grep -qx "$USER_NAME"; then
  sacctmgr -i add user "$USER_NAME" account="$ACCOUNT" defaultaccount="$ACCOUNT" \
    cluster="$CLUSTER" >/dev/null || die "sacctmgr add user failed"
elif ! sacctmgr -n -P list assoc user="$USER_NAME" account="$ACCOUNT" format=account | grep -qx "$ACCOUNT"; then
  sacctmgr -i add user "$USER_NAME" account="$ACCOUNT" cluster="$CLUSTER" >/dev/null ||
    die "sacctmgr add association failed"
  sacctmgr -i modify user "$USER_NAME" set defaultaccount="$ACCOUNT" >/dev/null || true
fi
log "accounting: cluster=$CLUSTER account=$ACCOUNT user=$USER_NAME"

# ---- slurmctld, slurmd ----------------------------------------------------------------------
if ! pid_alive "$STATE/run/slurmctld.pid"; then
  # -i: ignore state from a previous run with a different config
  slurmctld -i </dev/null >>"$STATE/log/slurmctld.out" 2>&1 || die "slurmctld failed to start"
fi
wait_for 60 "slurmctld" scontrol ping
if ! pid_alive "$STATE/run/slurmd.pid"; then
  slurmd -N "$NODE" </dev/null >>"$STATE/log/slurmd.out" 2>&1 || die "slurmd failed to start"
fi
node_ready() { sinfo -h -N -n "$NODE" -o '%T' | grep -Eq '^(idle|mixed|allocated)'; }
wait_for 60 "slurmd (node $NODE idle)" node_ready
for d in munged mariadbd slurmdbd slurmctld slurmd; do
  pid_alive "$STATE/run/$d.pid" || die "$d is not running (no live pid in $STATE/run/$d.pid)"
done
log "cluster up: SLURM_CONF=$SLURM_CONF"
echo "export SLURM_CONF=$SLURM_CONF"
