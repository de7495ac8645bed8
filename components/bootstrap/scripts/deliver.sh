#!/bin/sh
# deliver: run as root (sudo -n) by the deployer's ready command before it waits. Installs the
# bootstrap's static scripts that the user data leaves out (stdin: the bundle, a base64 tar.gz;
# $1: its SHA-256), only when the machine's user data names that very bundle (GW_BUNDLE_SHA256 in
# bootstrap.env), then starts the run again where it waits for them (marker "waiting").
set -eu
want=$1
dir=${GW_SCRIPT_DIR:-/usr/local/lib/gpu-workbench}
env=${GW_CONFIG:-/etc/gpu-workbench/bootstrap.env}
marker=${GW_MARKER:-/var/lib/gpu-workbench/ready.json}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

base64 -d >"$tmp/bundle.tgz"
got=$(sha256sum "$tmp/bundle.tgz" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "gpu-workbench: the bootstrap scripts arrived damaged (SHA-256 $got, expected $want)" >&2
  exit 1
fi
# cloud-init writes it before it makes the accounts and serves the pinned host key; wait a little anyway.
waited=0
while [ ! -r "$env" ] && [ "$waited" -lt "${GW_CONFIG_WAIT:-120}" ]; do
  sleep 1
  waited=$((waited + 1))
done
if [ ! -r "$env" ]; then
  echo "gpu-workbench: $env is missing: the machine's user data has not run (see /var/log/cloud-init-output.log)" >&2
  exit 1
fi
expected=$(sed -n 's/^GW_BUNDLE_SHA256=//p' "$env")
# A machine whose user data carries every script (an earlier gpu-workbench) needs nothing.
[ -n "$expected" ] || exit 0

status_of() { sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' "$marker" 2>/dev/null | head -n1; }
if [ "$expected" != "$want" ]; then
  if [ "$(status_of)" = waiting ]; then
    echo "gpu-workbench: this machine's user data expects the bootstrap scripts $expected, this deployment carries $want (another gpu-workbench version); replace the machine" >&2
    exit 1
  fi
  echo "gpu-workbench: this machine was bootstrapped with the scripts $expected, not this deployment's $want; nothing delivered" >&2
  exit 0
fi

# Each script replaced in one rename, so a run going on reads either the old file or the new one.
mkdir -p "$tmp/x" "$dir"
tar -xzf "$tmp/bundle.tgz" -C "$tmp/x" --no-same-owner
for f in "$tmp"/x/*.sh; do
  n=$(basename "$f")
  if ! cmp -s "$f" "$dir/$n"; then
    install -m 0755 "$f" "$dir/.$n.new"
    mv -f "$dir/.$n.new" "$dir/$n"
  fi
done

# A run that missed a script ends at once with the marker "waiting", so the lock comes within
# seconds; a run still holding it after 10 s has every script (it may be in a driver install, or
# in the grace before a reboot, which this session must not outlast).
exec 9>"${GW_LOCK:-/run/gpu-workbench.lock}"
flock -w "${GW_LOCK_WAIT:-10}" 9 || exit 0
[ "$(status_of)" = waiting ] || exit 0
step=$(sed -n 's/.*"step":"\([a-z-]*\)".*/\1/p' "$marker" | head -n1)
# The run starts apart from this SSH session (a driver install reboots the machine) and without
# this lock, which it takes itself once this script ends.
if [ -d /run/systemd/system ]; then
  systemd-run --unit gpu-workbench-bootstrap --collect --quiet /bin/bash "$dir/run.sh" "$step" 9>&-
else
  setsid nohup bash "$dir/run.sh" "$step" </dev/null >/dev/null 2>&1 9>&- &
fi
echo "gpu-workbench: delivered the bootstrap scripts; the run continues at step $step" >&2
