#!/bin/sh
# ready-check: run by the deployer over SSH. Waits for cloud-init (when it runs on this host),
# then for the bootstrap's ready marker. Exit 0 and the marker's JSON when ready; exit 1 with the
# failed step and its message, or with "not ready after N s", on stderr.
# With GW_READY_ON_REBOOT=exit, a reboot the bootstrap is about to make (marker "rebooting" from
# this boot) also ends the check with exit 0 and the marker, so the SSH session is closed before
# the reboot cuts it; the deployer then checks again after the reboot.
set -u
timeout=${GW_READY_TIMEOUT:-2400}
marker=${GW_MARKER:-/var/lib/gpu-workbench/ready.json}
deadline=$(($(date +%s) + timeout))

field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "$marker" 2>/dev/null | head -n1; }
message() { sed -n 's/.*"message":"\(.*\)"}.*/\1/p' "$marker" | sed 's/\\"/"/g; s/\\\\/\\/g'; }

ci=0
ci_run=${GW_CLOUD_INIT_RUN_DIR:-/run/cloud-init}
# cloud-init writes status.json when its first stage starts and result.json when its last ends.
ci_running() { [ -e "$ci_run/status.json" ] && [ ! -e "$ci_run/result.json" ]; }
if command -v cloud-init >/dev/null 2>&1 && [ -d "$ci_run" ]; then
  left=$((deadline - $(date +%s)))
  [ "$left" -gt 0 ] || left=1
  # Exit 2 (cloud-init >= 23.4) means done with recoverable errors; exit 1 means an error in any
  # module, and before 23.4 --wait returns it as soon as one module failed, while later stages
  # (and the bootstrap, started by runcmd) still run. The marker decides, not cloud-init.
  timeout "$left" cloud-init status --wait >/dev/null 2>&1
  ci=$?
  if [ "$ci" -eq 124 ]; then
    echo "gpu-workbench: not ready after $timeout s: cloud-init is still running (see /var/log/cloud-init-output.log)" >&2
    exit 1
  fi
fi

while :; do
  status=$(field status)
  case $status in
    ready)
      cat "$marker"
      exit 0
      ;;
    failed)
      echo "gpu-workbench: bootstrap failed at step $(field step): $(message)" >&2
      exit 1
      ;;
    rebooting)
      if [ "${GW_READY_ON_REBOOT:-wait}" = exit ] && [ "$(field bootId)" = "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" ]; then
        cat "$marker"
        exit 0
      fi
      ;;
  esac
  # Only a cloud-init that has finished without starting the bootstrap is a failed one.
  if [ "$ci" -eq 1 ] && [ -z "$status" ] && ! ci_running; then
    echo "gpu-workbench: cloud-init failed before the bootstrap started: $(cloud-init status --long 2>&1 | tr '\n' ' ')" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    step=$(field step)
    echo "gpu-workbench: not ready after $timeout s (last status: ${status:-no marker}${step:+, step $step}); see /var/log/gpu-workbench.log on the host" >&2
    exit 1
  fi
  sleep "${GW_READY_POLL:-5}"
done
