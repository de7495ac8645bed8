#!/bin/bash
# prepull: starts pulling the app images (GW_IMAGES) in the background as soon as Docker is up,
# so the largest downloads overlap the driver install. A failed pull only logs: the app deploy
# pulls again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin prepull

[ -n "${GW_IMAGES:-}" ] || exit 0
# shellcheck disable=SC2016 # expanded by the background shell
pull='for i in "$@"; do docker pull -q "$i" || echo "gpu-workbench: pre-pull of $i failed; the app deploy pulls it again"; done'
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
