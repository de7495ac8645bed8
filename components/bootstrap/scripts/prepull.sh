#!/bin/bash
# prepull: starts pulling the app images (GW_IMAGES) in the background as soon as Docker is up,
# so the largest downloads overlap the driver install; nothing waits for them but the apps. The
# images pull side by side, and a pull cut by a Docker restart (the toolkit step restarts it)
# starts again, keeping the layers it has. A pull that still fails only logs: the app deploy
# pulls again.
# With a pull-through cache (workbench.pullCache) GW_IMAGES names the cached images, and each pull
# first signs Docker in to the cache with the machine's own identity (`prepull.sh registry-login`,
# run as root: only root and gw-metadata reach the metadata endpoint). Signing in again before
# every try also waits out a role policy that is still propagating.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Docker signs in to the cache registry: ECR with the instance role's token (the aws CLI of the
# Deep Learning AMI). The token lasts 12 hours; the deployment's own pulls bring their own.
registry_login() {
  case "${GW_PULL_CACHE_LOGIN:-}" in
    ecr)
      local password
      password=$(aws ecr get-login-password --region "$GW_PULL_CACHE_REGION") || {
        log "no ECR token for $GW_PULL_CACHE_REGISTRY (does the instance role have ecr:GetAuthorizationToken?)"
        return 1
      }
      printf '%s' "$password" | docker login --username AWS --password-stdin "$GW_PULL_CACHE_REGISTRY" >/dev/null
      ;;
    *)
      log "unknown pull cache login ${GW_PULL_CACHE_LOGIN:-(none)}"
      return 1
      ;;
  esac
}
if [ "${1:-}" = registry-login ]; then
  registry_login
  exit
fi

gw_begin prepull

[ -n "${GW_IMAGES:-}" ] || exit 0
# What each pull runs first: `true`, or this script signing in to the pull-through cache.
login=true
if [ -n "${GW_PULL_CACHE_LOGIN:-}" ]; then
  login=$(readlink -f "$0")
  [ -x "$login" ] || die "the pull cache's login runs $0 again, which is not an executable file here"
  have aws || [ "$GW_PULL_CACHE_LOGIN" != ecr ] || die "the pull cache (ECR) needs the aws CLI, which the Deep Learning AMI has; this image has none"
fi
# shellcheck disable=SC2016 # expanded by the background shell
pull='login=$1; shift; for i in "$@"; do (n=1; until "$login" registry-login && docker pull -q "$i"; do [ $n -ge 6 ] && { echo "gpu-workbench: pre-pull of $i failed; the app deploy pulls it again"; exit 0; }; sleep $((n * ${GW_PULL_PAUSE:-10})); n=$((n + 1)); done) & done; wait'
# shellcheck disable=SC2086 # GW_IMAGES is a space-separated list
if have_systemd; then
  if systemctl is-active -q gpu-workbench-prepull.service; then
    log "pre-pull already running"
  else
    systemd-run --unit gpu-workbench-prepull --collect --quiet /bin/sh -c "$pull" prepull "$login" $GW_IMAGES
    log "pre-pulling in the background: $GW_IMAGES"
  fi
else
  setsid nohup /bin/sh -c "$pull" prepull "$login" $GW_IMAGES </dev/null >>/var/log/gpu-workbench-prepull.log 2>&1 &
  log "pre-pulling in the background: $GW_IMAGES"
fi
