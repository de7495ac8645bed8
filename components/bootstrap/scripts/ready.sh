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

# With an ACR cache (GW_PULL_CACHE_WAIT=1) the deployment has no pull credential of its own: its
# Docker provider finds the cached images on the engine and pulls nothing. So ready waits for the
# cached images (GW_IMAGES' words in the cache registry) and no other, while the pre-pull runs.
wait_cached_images() {
  local image deadline=$(($(date +%s) + ${GW_PULL_CACHE_WAIT_SECONDS:-2400}))
  for image in ${GW_IMAGES:-}; do
    case $image in "$GW_PULL_CACHE_REGISTRY"/*) ;; *) continue ;; esac
    until docker image inspect "$image" >/dev/null 2>&1; do
      if have_systemd && ! systemctl is-active -q gpu-workbench-prepull.service && ! docker image inspect "$image" >/dev/null 2>&1; then
        die "the pre-pull gave up on the cached image $image (journalctl -u gpu-workbench-prepull); check that the VM's identity has AcrPull on $GW_PULL_CACHE_REGISTRY and its cache rule exists, then resume from the pre-pull (sudo $(cd "$(dirname "$0")" && pwd)/run.sh prepull) and run pulumi up again"
      fi
      [ "$(date +%s)" -lt "$deadline" ] || die "the cached image $image is not pulled after ${GW_PULL_CACHE_WAIT_SECONDS:-2400} s (journalctl -u gpu-workbench-prepull)"
      sleep "${GW_PULL_CACHE_POLL:-5}"
    done
    log "cached image on the engine: $image"
  done
}
if [ "${GW_PULL_CACHE_WAIT:-}" = 1 ]; then wait_cached_images; fi
steps=""
for s in ${GW_STEPS:-}; do steps="$steps${steps:+,}$(json_str "$s")"; done
write_marker "{\"status\":\"ready\",\"driver\":$(json_str "$driver"),\"gpus\":[$gpus],\"docker\":$(json_str "$docker"),\"toolkit\":$(json_str "$toolkit"),\"steps\":[$steps],\"finishedAt\":$(json_str "$(date -u +%FT%TZ)")}"
log "ready: $(cat "$GW_MARKER")"
