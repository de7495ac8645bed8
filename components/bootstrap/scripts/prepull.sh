#!/bin/bash
# prepull: starts pulling the app images (GW_IMAGES) in the background as soon as Docker is up,
# so the largest downloads overlap the driver install; nothing waits for them but the apps. The
# images pull side by side, and a pull cut by a Docker restart (the toolkit step restarts it)
# starts again, keeping the layers it has. A pull that still fails only logs: the app deploy
# pulls again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin prepull

[ -n "${GW_IMAGES:-}" ] || exit 0
# shellcheck disable=SC2016 # expanded by the background shell
pull='for i in "$@"; do (n=1; until docker pull -q "$i"; do [ $n -ge 6 ] && { echo "gpu-workbench: pre-pull of $i failed; the app deploy pulls it again"; exit 0; }; sleep $((n * ${GW_PULL_PAUSE:-10})); n=$((n + 1)); done) & done; wait'
# shellcheck disable=SC2086 # GW_IMAGES is a space-separated list
if have_systemd; then
  if systemctl is-active -q gpu-workbench-prepull.service; then
    log "pre-pull already running"
  else
    systemd-run --unit gpu-workbench-prepull --collect --quiet /bin/sh -c "$pull" prepull $GW_IMAGES
    log "pre-pulling in the background: $GW_IMAGES"
  fi
else
  setsid nohup /bin/sh -c "$pull" prepull $GW_IMAGES </dev/null >>/var/log/gpu-workbench-prepull.log 2>&1 &
  log "pre-pulling in the background: $GW_IMAGES"
fi
