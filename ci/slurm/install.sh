#!/usr/bin/env bash
# Install the Debian packages needed for the single-node SLURM test cluster
# (ci/slurm/start_cluster.sh). Idempotent; waits for the dpkg lock instead of fighting it.
set -euo pipefail
PKGS=(slurm-wlm slurmdbd slurm-client munge mariadb-server mariadb-client)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install.sh: all SLURM packages already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Debian's maintainer scripts must not start the daemons: start_cluster.sh starts its own copies.
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
