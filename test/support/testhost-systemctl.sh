#!/bin/sh
# systemctl for the e2e test host, which has no systemd: reloading or restarting ssh sends
# SIGHUP to sshd (what Debian's ssh.service ExecReload does), so a bootstrap step's
# `systemctl try-reload-or-restart ssh.service` really re-reads sshd_config. The workbench's own
# units (gpu-workbench-*.service: the storage mounts, the metadata guard) are run from their unit
# files: ExecStartPre lines in order ("-" ignores a failure), then ExecStart (in the background
# unless Type=oneshot), ExecStopPost on stop. Restart= is not emulated: a test restarts a unit
# itself. Every call is logged to /var/log/gwb-systemctl.log for the tests to count.
echo "systemctl $*" >>/var/log/gwb-systemctl.log
verb=
unit=
for a in "$@"; do
  case $a in
    -*) ;;
    *) if [ -z "$verb" ]; then verb=$a; elif [ -z "$unit" ]; then unit=$a; fi ;;
  esac
done
now=0
case " $* " in *" --now "*) now=1 ;; esac
state=/run/gwb-units

lines() { sed -n "s/^$1=//p" "/etc/systemd/system/$unit"; }
run_lines() {
  lines "$1" | while IFS= read -r cmd; do
    case $cmd in
      -*) sh -c "${cmd#-}" >>"$state/$unit.log" 2>&1 || true ;;
      *) sh -c "$cmd" >>"$state/$unit.log" 2>&1 || exit 1 ;;
    esac
  done
}
unit_stop() {
  if [ -f "$state/$unit.pid" ]; then
    pid=$(cat "$state/$unit.pid")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/$unit.pid"
  fi
  rm -f "$state/$unit.active"
  run_lines ExecStopPost
}
unit_start() {
  mkdir -p "$state"
  [ -f "/etc/systemd/system/$unit" ] || { echo "systemctl (test host): no unit file for $unit" >&2; exit 5; }
  run_lines ExecStartPre || { echo "systemctl (test host): $unit: an ExecStartPre failed (see $state/$unit.log)" >&2; exit 1; }
  cmd=$(lines ExecStart)
  if grep -qx 'Type=oneshot' "/etc/systemd/system/$unit"; then
    sh -c "$cmd" >>"$state/$unit.log" 2>&1 || { echo "systemctl (test host): $unit failed (see $state/$unit.log)" >&2; exit 1; }
    touch "$state/$unit.active"
  else
    setsid sh -c "exec $cmd" >>"$state/$unit.log" 2>&1 </dev/null &
    echo $! >"$state/$unit.pid"
  fi
}

case $verb in daemon-reload) exit 0 ;; esac
case $unit in
  ssh | ssh.service | sshd | sshd.service)
    case $verb in
      reload | restart | try-reload-or-restart | reload-or-restart | try-restart) kill -HUP "$(cat /run/sshd.pid)" ;;
      is-active | is-enabled) exit 0 ;;
      *)
        echo "systemctl (test host): '$verb' is not supported" >&2
        exit 1
        ;;
    esac
    ;;
  gpu-workbench-*.service)
    mkdir -p "$state"
    case $verb in
      enable) touch "$state/$unit.enabled"; if [ "$now" = 1 ]; then unit_start; fi ;;
      disable) rm -f "$state/$unit.enabled"; if [ "$now" = 1 ]; then unit_stop; fi ;;
      is-enabled) [ -f "$state/$unit.enabled" ] ;;
      is-active) [ -f "$state/$unit.active" ] || { [ -f "$state/$unit.pid" ] && kill -0 "$(cat "$state/$unit.pid")" 2>/dev/null; } ;;
      start) unit_start ;;
      stop) unit_stop ;;
      restart) unit_stop; unit_start ;;
      *)
        echo "systemctl (test host): '$verb' is not supported" >&2
        exit 1
        ;;
    esac
    ;;
  *)
    echo "systemctl (test host): unit '$unit' is not managed here" >&2
    exit 5
    ;;
esac
