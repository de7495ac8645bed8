#!/bin/bash
# Runs the bootstrap steps in order; cloud-init's runcmd starts it once. While it runs, a
# cloud-init per-boot hook points back at it, so a reboot (a driver install that needs one, or
# Azure's driver extension) resumes the run; every step is idempotent, so it starts over.
# The user data carries only the steps that must run before the deployer can log in (data disk,
# metadata guard, users); the deployment's SSH session delivers the others (deliver.sh). A step
# whose script is not there yet ends the run with the marker "waiting"; deliver.sh then starts
# `run.sh <that step>`. One run at a time: the lock is shared with deliver.sh.
set -uo pipefail
GW_DIR=$(cd "$(dirname "$0")" && pwd)
conf=${GW_CONFIG_DIR:-/etc/gpu-workbench}
set -a
# shellcheck source=/dev/null
. "$conf/bootstrap.env"
# shellcheck source=/dev/null
if [ -r "$conf/secrets.env" ]; then . "$conf/secrets.env"; fi
set +a
hook=${GW_RESUME_HOOK:-/var/lib/cloud/scripts/per-boot/gpu-workbench-resume}
logfile=${GW_LOG:-/var/log/gpu-workbench.log}
marker=${GW_MARKER:-/var/lib/gpu-workbench/ready.json}

exec 9>"${GW_LOCK:-/run/gpu-workbench.lock}"
flock 9
from=${1:-}
case " $GW_STEPS " in *" $from "*) ;; *) from="" ;; esac
# One whole run a boot: on a baked image a unit starts it once cloud-init's config stage is done
# (bake-clean.sh); cloud-init's runcmd and the per-boot hook then wait for it here and end. A run
# from a step (deliver.sh) goes on.
started=${GW_STARTED:-/run/gpu-workbench.started}
if [ -z "${1:-}" ]; then
  if [ -e "$started" ]; then
    echo "gpu-workbench: the bootstrap already ran in this boot" | tee -a "$logfile"
    exit 0
  fi
  : >"$started"
fi
mkdir -p "$(dirname "$hook")"
# On disk before the first step: ext4 gives a new file its blocks only at writeback (up to 30 s
# later), so a power loss early in the run left an empty hook ("Exec format error": no resume) and
# could leave the user data's files empty. The run starts before any pull, so a sync is cheap here;
# the hook comes by rename of a synced file, then the rename itself is synced.
printf '#!/bin/sh\nexec %s/run.sh\n' "$GW_DIR" >"$hook.tmp"
chmod 0755 "$hook.tmp"
sync
mv -f "$hook.tmp" "$hook"
sync
for step in $GW_STEPS; do
  if [ -n "$from" ]; then
    [ "$step" = "$from" ] || continue
    from=""
  fi
  if [ ! -f "$GW_DIR/$step.sh" ]; then
    mkdir -p "$(dirname "$marker")"
    chmod 0755 "$(dirname "$marker")"
    printf '{"status":"waiting","step":"%s"}\n' "$step" >"$marker.tmp"
    chmod 0644 "$marker.tmp"
    mv -f "$marker.tmp" "$marker"
    echo "gpu-workbench: step $step waits for its script, which the deployment's SSH session delivers" | tee -a "$logfile"
    exit 0
  fi
  # The lock stays with this run, not with what a step leaves running in the background.
  bash "$GW_DIR/$step.sh" 9>&- 2>&1 | tee -a "$logfile"
  rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 100 ]; then
    echo "gpu-workbench: step $step needs a reboot; rebooting, the run resumes after it" | tee -a "$logfile"
    sync
    # A connected ready check polls every few seconds: give it time to see the marker and hang up,
    # so the deployer's SSH session is not cut by the reboot.
    sleep "${GW_REBOOT_GRACE:-30}"
    systemctl reboot || reboot
    exit 0
  elif [ "$rc" -ne 0 ]; then
    rm -f "$hook"
    echo "gpu-workbench: step $step failed; see $logfile and $marker" | tee -a "$logfile"
    exit 1
  fi
done
rm -f "$hook"
