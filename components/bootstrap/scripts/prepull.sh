#!/bin/bash
# prepull: starts pulling the app images (GW_IMAGES) in the background as soon as Docker is up,
# so the largest downloads overlap the driver install; nothing waits for them but the apps (and,
# with an ACR cache, the ready step for the cached ones). The images pull side by side, and a pull
# cut by a Docker restart (the toolkit step restarts it) starts again, keeping the layers it has.
# A pull that still fails only logs: the app deploy pulls again (an ACR-cached one fails ready).
# With a pull-through cache (workbench.pullCache) GW_IMAGES names the cached images, and each pull
# first signs Docker in to the cache with the machine's own identity (`prepull.sh registry-login`,
# run as root: only root and gw-metadata reach the metadata endpoint). Signing in again before
# every try also waits out a role policy or assignment that is still propagating (10 tries, 10, 20,
# ... 90 s apart: 7.5 minutes).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Docker signs in to the cache registry: ECR with the instance role's token (the aws CLI of the
# Deep Learning AMI), lasting 12 hours; the deployment's own pulls bring their own. ACR with the
# VM identity's token from the metadata endpoint, exchanged at the registry for a refresh token
# (the identity has AcrPull on the registry); the deployment finds the cached images on the engine
# (the ready marker waits for them). Tokens go through pipes, never a command line or a log.
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
    acr)
      local imds=${GW_IMDS_URL:-http://169.254.169.254} json
      json=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true \
        "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F${GW_PULL_CACHE_CLIENT_ID:+&client_id=$GW_PULL_CACHE_CLIENT_ID}" 2>&1) || {
        log "no token from the metadata endpoint for $GW_PULL_CACHE_REGISTRY (${json:0:200})"
        return 1
      }
      [[ $json =~ \"access_token\":\ *\"([^\"]+)\" ]] || {
        log "the metadata endpoint's answer has no access_token"
        return 1
      }
      json=$(printf 'grant_type=access_token&service=%s&access_token=%s' "$GW_PULL_CACHE_REGISTRY" "${BASH_REMATCH[1]}" |
        curl -fsS -m 30 -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @- "https://$GW_PULL_CACHE_REGISTRY/oauth2/exchange" 2>&1) || {
        log "$GW_PULL_CACHE_REGISTRY refused the identity's token (${json:0:200}); does the VM's identity have AcrPull on the registry yet?"
        return 1
      }
      [[ $json =~ \"refresh_token\":\ *\"([^\"]+)\" ]] || {
        log "$GW_PULL_CACHE_REGISTRY's answer has no refresh_token"
        return 1
      }
      printf '%s' "${BASH_REMATCH[1]}" | docker login --username 00000000-0000-0000-0000-000000000000 --password-stdin "$GW_PULL_CACHE_REGISTRY" >/dev/null
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
  have curl || [ "$GW_PULL_CACHE_LOGIN" != acr ] || die "the pull cache (ACR) needs curl for the identity's token; this image has none"
fi
# shellcheck disable=SC2016 # expanded by the background shell
pull='login=$1; shift; for i in "$@"; do (n=1; until "$login" registry-login && docker pull -q "$i"; do [ $n -ge 10 ] && { echo "gpu-workbench: pre-pull of $i failed; the app deploy pulls it again"; exit 0; }; sleep $((n * ${GW_PULL_PAUSE:-10})); n=$((n + 1)); done) & done; wait'
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
