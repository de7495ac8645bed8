#!/bin/bash
# ready: writes the ready marker with what was verified: driver, GPUs, Docker, toolkit, steps.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin ready

driver=none toolkit=none gpus=""
if [ "${GW_GPU_COUNT:-0}" != 0 ]; then
  driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n1)
  while read -r gpu; do
    if [ -n "$gpu" ]; then gpus="$gpus${gpus:+,}$(json_str "$gpu")"; fi
  done <<<"$(nvidia-smi --query-gpu=name --format=csv,noheader)"
  toolkit=$(nvidia-ctk --version | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -n1)
fi
docker=$(docker version --format '{{.Server.Version}}')
steps=""
for s in ${GW_STEPS:-}; do steps="$steps${steps:+,}$(json_str "$s")"; done
write_marker "{\"status\":\"ready\",\"driver\":$(json_str "$driver"),\"gpus\":[$gpus],\"docker\":$(json_str "$docker"),\"toolkit\":$(json_str "$toolkit"),\"steps\":[$steps],\"finishedAt\":$(json_str "$(date -u +%FT%TZ)")}"
log "ready: $(cat "$GW_MARKER")"
