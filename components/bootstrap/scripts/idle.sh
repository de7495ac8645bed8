#!/bin/bash
# idle: gpu-workbench-idle.timer runs idle-check.sh as root every 2 minutes from 5 minutes after
# boot (enabled: a machine started again checks again without a deploy).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin idle

units=${GW_SYSTEMD_DIR:-/etc/systemd/system}
check="$(cd "$(dirname "$0")" && pwd)/idle-check.sh"
[ -f "$check" ] || die "$check is missing: the idle check cannot be installed"
chmod 0755 "$check"
# The hook may take GW_IDLE_HOOK_TIMEOUT; the probes and the stop call a few minutes more.
put_file "$units/gpu-workbench-idle.service" 0644 <<EOF_UNIT
[Unit]
Description=gpu-workbench idle check (stops the machine after ${GW_IDLE_AFTER:-3600} s idle)
After=docker.service

[Service]
Type=oneshot
ExecStart=$check
TimeoutStartSec=$((${GW_IDLE_HOOK_TIMEOUT:-300} + 300))
EOF_UNIT
changed=$CHANGED
put_file "$units/gpu-workbench-idle.timer" 0644 <<'EOF_UNIT'
[Unit]
Description=gpu-workbench idle check, every 2 minutes

[Timer]
OnBootSec=5min
OnUnitActiveSec=2min
AccuracySec=15s

[Install]
WantedBy=timers.target
EOF_UNIT
if ! have_systemd; then
  log "no systemd: the idle check is installed but not scheduled"
  exit 0
fi
if [ "$changed$CHANGED" != 00 ]; then systemctl daemon-reload; fi
systemctl enable --now gpu-workbench-idle.timer
log "idle check scheduled: stop after ${GW_IDLE_AFTER:-3600} s idle (journalctl -u gpu-workbench-idle)"
