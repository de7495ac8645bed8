#!/bin/bash
# idle: installs the idle check (idleStop): gpu-workbench-idle.service runs idle-check.sh as root,
# and gpu-workbench-idle.timer starts it every 2 minutes from 5 minutes after boot. The timer is
# enabled, so a machine started again after an idle stop checks again without a new deploy.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin idle

units=${GW_SYSTEMD_DIR:-/etc/systemd/system}
check="$(cd "$(dirname "$0")" && pwd)/idle-check.sh"
[ -f "$check" ] || die "$check is missing: the idle check cannot be installed"
chmod 0755 "$check"
# Room for the hook (killed after its timeout) and the probes and the stop call around it.
start_timeout=$((${GW_IDLE_HOOK_TIMEOUT:-300} + 300))

put_file "$units/gpu-workbench-idle.service" 0644 <<EOF_SERVICE
[Unit]
Description=gpu-workbench idle check: stops the machine after ${GW_IDLE_AFTER:-3600} s with nothing busy on it
After=docker.service

[Service]
Type=oneshot
ExecStart=$check
TimeoutStartSec=$start_timeout
EOF_SERVICE
changed=$CHANGED
put_file "$units/gpu-workbench-idle.timer" 0644 <<'EOF_TIMER'
[Unit]
Description=gpu-workbench idle check, every 2 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=2min
AccuracySec=15s

[Install]
WantedBy=timers.target
EOF_TIMER
changed=$((changed + CHANGED))

if have_systemd; then
  if [ "$changed" -gt 0 ]; then systemctl daemon-reload; fi
  systemctl enable --now gpu-workbench-idle.timer
  log "idle check scheduled: stop after ${GW_IDLE_AFTER:-3600} s idle (journalctl -u gpu-workbench-idle)"
else
  log "no systemd: the idle check is installed but not scheduled"
fi
