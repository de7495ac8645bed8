#!/bin/bash
# gpu-workbench idle check (idleStop), run as root every 2 min by gpu-workbench-idle.timer. What
# counts as busy and how it stops: docs/idle-stop-and-cost.md. Logs: journalctl -u gpu-workbench-idle.
set -uo pipefail
ARM_API=2024-11-01 # compute API version of the deallocate call
cfg=${GW_IDLE_ENV:-/etc/gpu-workbench/bootstrap.env}
if [ -r "$cfg" ]; then
  set -a
  # shellcheck source=/dev/null
  . "$cfg"
  set +a
fi
after=${GW_IDLE_AFTER:-3600} warn=${GW_IDLE_WARN:-300} gpu_below=${GW_IDLE_GPU_BELOW:-5} hook_timeout=${GW_IDLE_HOOK_TIMEOUT:-300}
state=${GW_IDLE_STATE:-/run/gpu-workbench/idle.state}

say() { printf '%s\n' "$*"; }
dur() { if [ "$1" -ge 60 ]; then echo "$(($1 / 60))m"; else echo "$1s"; fi; }
clock() { date -d "@$1" +%T; }
joined() {
  local x
  x=$(printf '%s; ' "$@")
  printf '%s' "${x%; }"
}

# Signals: busy+=(why), activity+=("<epoch> what"), quiet+=(a reading that is not busy).
busy=() activity=() quiet=()

probe_bootstrap() {
  local m
  m=$(cat "${GW_MARKER:-/var/lib/gpu-workbench/ready.json}" 2>/dev/null)
  [[ $m =~ \"status\":\"(running|rebooting)\",\"step\":\"([a-z-]+)\" ]] && busy+=("bootstrap: step ${BASH_REMATCH[2]} ${BASH_REMATCH[1]}")
}

# A login: its terminal's last input (atime) or output (mtime), except our own warning's output.
probe_logins() {
  local user line rest a m n=0
  while read -r user line rest; do
    [ -c "/dev/$line" ] || continue
    read -r a m < <(stat -c '%X %Y' "/dev/$line")
    [ "$m" -lt "$warned" ] || [ "$m" -gt $((warned + 60)) ] || m=0
    activity+=("$((a > m ? a : m)) login $user on $line")
    n=$((n + 1))
  done < <(who)
  [ "$n" -gt 0 ] || quiet+=("no login")
}

# A session without a terminal is "sshd: <user>@notty"; running a command, it has a child.
# A bare tunnel (ssh -N) has none: the app behind it decides.
probe_ssh_commands() {
  local found line
  found=$(ps -eo pid=,ppid=,args= | awk '{ p = $1; pp[p] = $2; $1 = $2 = ""; a[p] = substr($0, 3) }
    END { for (c in pp) if (a[pp[c]] ~ /^sshd(-session)?: [^ ]+@notty$/) { split(a[pp[c]], u, /[ @]/); print "ssh: " u[2] " runs " substr(a[c], 1, 60) } }' | sort)
  [ -n "$found" ] || { quiet+=("no SSH command"); return 0; }
  while IFS= read -r line; do busy+=("$line"); done <<<"$found"
}

# Open TCP connections to a port: RDP (xrdp), or an app without an activity API (through a tunnel).
probe_port() {
  local n
  n=$(ss -Htn state established "( sport = :$2 )" 2>/dev/null | grep -c .)
  if [ "$n" -gt 0 ]; then busy+=("$1: $n connection(s) on port $2"); else quiet+=("$1: no connection"); fi
}

# Jupyter's /api/kernels with the app's token, read from its container as root; the token goes
# to curl on stdin, never on a command line.
probe_jupyter() {
  local name=$1 port=$2 token body k n=0 running=0 latest=0 t
  token=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "wb-$name" 2>/dev/null | sed -n 's/^JUPYTER_TOKEN=//p')
  [ -n "$token" ] || { quiet+=("jupyter $name: not running"); return 0; }
  if ! body=$(printf 'Authorization: token %s\n' "$token" | curl -fsS -m 10 --noproxy '*' -H @- "http://127.0.0.1:$port/api/kernels" 2>&1); then
    quiet+=("jupyter $name: no answer (${body:0:100})")
    return 0
  fi
  while IFS= read -r k || [ -n "$k" ]; do
    [[ $k == *'"id"'* ]] || continue
    n=$((n + 1))
    [[ $k =~ \"execution_state\":\ *\"(busy|starting)\" ]] && running=$((running + 1))
    if [[ $k =~ \"last_activity\":\ *\"([^\"]+)\" ]] && t=$(date -d "${BASH_REMATCH[1]}" +%s) && [ "$t" -gt "$latest" ]; then latest=$t; fi
  done < <(tr -d '\n' <<<"$body" | sed 's/}[[:space:]]*,[[:space:]]*{/}\n{/g')
  if [ "$running" -gt 0 ]; then
    busy+=("jupyter $name: $running of $n kernel(s) busy")
  elif [ "$latest" -gt 0 ]; then
    activity+=("$latest jupyter $name: last kernel activity")
    quiet+=("jupyter $name: idle since $(clock "$latest")")
  else
    quiet+=("jupyter $name: no kernel busy")
  fi
}

probe_rstudio() {
  local out n
  out=$(docker top "wb-$1" -eo pid,comm 2>/dev/null) || { quiet+=("rstudio $1: not running"); return 0; }
  n=$(awk 'NR > 1 && $2 == "rsession"' <<<"$out" | grep -c .)
  if [ "$n" -gt 0 ]; then busy+=("rstudio $1: $n R session(s) open"); else quiet+=("rstudio $1: no R session"); fi
}

probe_apps() {
  local app name kind port
  for app in ${GW_IDLE_APPS:-}; do
    IFS=: read -r name kind port <<<"$app"
    case $kind in
      jupyter*| kaggle-*) probe_jupyter "$name" "$port" ;;
      rstudio*) probe_rstudio "$name" ;;
      *) probe_port "app $name" "$port" ;;
    esac
  done
}

# The highest utilisation of any GPU over a few samples (one sample can miss bursty work).
probe_gpu() {
  command -v nvidia-smi >/dev/null || return 0
  local i out u max=-1
  for ((i = 0; i < ${GW_IDLE_GPU_SAMPLES:-5}; i++)); do
    [ "$i" = 0 ] || sleep "${GW_IDLE_GPU_INTERVAL:-1}"
    out=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>&1) || { quiet+=("gpu: nvidia-smi failed (${out:0:100})"); return 0; }
    for u in ${out//[^0-9$'\n']/}; do [ "$u" -gt "$max" ] && max=$u; done
  done
  if [ "$max" -lt 0 ]; then quiet+=("gpu: no reading")
  elif [ "$max" -ge "$gpu_below" ]; then busy+=("gpu: $max% (busy at $gpu_below% or more)")
  else quiet+=("gpu: $max% (below $gpu_below%)"); fi
}

probe_docker() {
  local found line
  found=$(pgrep -af '^([^ ]*/)?(docker|docker-buildx|buildctl|podman)( [^ ]+)* (pull|build|buildx)( |$)' | cut -d' ' -f2- | cut -c1-60)
  if [ -n "$found" ]; then
    while IFS= read -r line; do busy+=("docker: $line"); done <<<"$found"
  elif systemctl is-active -q gpu-workbench-prepull.service 2>/dev/null; then
    busy+=("docker: pre-pull of the app images running")
  else
    quiet+=("no docker pull/build")
  fi
}

warn_sessions() {
  local msg
  msg="gpu-workbench: idle for $(dur "$1") (no GPU use, no busy kernel, no active session):
this machine stops in about $(dur "$warn") to save cost. Type or start work to keep it up."
  printf '%s\n' "$msg" | wall
  say "warned the logged-in terminals: the machine stops in about $(dur "$warn")"
}

# A failing or hung hook is logged; the machine stops anyway.
run_hook() {
  [ -n "${GW_IDLE_HOOK:-}" ] || return 0
  say "pre-stop hook: running (killed after $(dur "$hook_timeout")): $GW_IDLE_HOOK"
  timeout -k 10 "$hook_timeout" bash -c "$GW_IDLE_HOOK" 2>&1 | sed 's/^/pre-stop hook: /'
  local rc=${PIPESTATUS[0]}
  case $rc in
    0) say "pre-stop hook: done" ;;
    124 | 137) say "pre-stop hook: killed after $(dur "$hook_timeout"); stopping anyway" ;;
    *) say "pre-stop hook: failed (exit $rc); stopping anyway" ;;
  esac
}

# Azure bills an allocated VM even when shut down: the VM deallocates itself with its managed
# identity's token (a role allowing only that, on this VM). GW_IMDS_URL, GW_ARM_URL: for tests.
azure_deallocate() {
  local imds=${GW_IMDS_URL:-http://169.254.169.254} json token vm out code
  json=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F" 2>&1) ||
    { say "deallocate: no token from the metadata endpoint (${json:0:200})"; return 1; }
  # Never log the answer: it may hold a token.
  [[ $json =~ \"access_token\":\ *\"([^\"]+)\" ]] || { say "deallocate: the metadata endpoint's answer has no access_token"; return 1; }
  token=${BASH_REMATCH[1]}
  vm=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true "$imds/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text" 2>&1)
  [[ $vm =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+$ ]] || { say "deallocate: no VM resource id from the metadata endpoint (${vm:0:200})"; return 1; }
  out=$(mktemp)
  code=$(printf 'Authorization: Bearer %s\n' "$token" |
    curl -sS -m 60 -o "$out" -w '%{http_code}' -X POST -H @- -H 'Content-Length: 0' "${GW_ARM_URL:-https://management.azure.com}$vm/deallocate?api-version=$ARM_API" 2>&1)
  case $code in
    200 | 202) say "deallocate: requested for $vm (HTTP $code)" ;;
    *) say "deallocate: refused (HTTP ${code:0:100}): $(head -c 300 "$out" | tr '\n' ' ')" ;;
  esac
  rm -f "$out"
  [[ $code == 20[02] ]]
}

stop_machine() {
  case ${GW_TARGET:-} in
    azure) azure_deallocate ;;
    # instanceInitiatedShutdownBehavior is "stop": EC2 stops the instance, disks and address stay.
    aws)
      say "stopping: shutdown -h now (EC2 stops the instance; its volumes and address stay)"
      shutdown -h now "gpu-workbench: idle, stopping to save cost"
      ;;
    *)
      say "cannot stop target ${GW_TARGET:-?}"
      return 1
      ;;
  esac
}

main() {
  local now idle a t
  now=$(date +%s)
  mkdir -p "${state%/*}"
  exec 9>"$state.lock"
  flock -w 60 9 || { say "another idle check is running"; return 0; }
  # The state lives in /run: a boot starts a fresh idle clock.
  last_busy=$now last_what="the first check since boot" warned=0 stopped=0
  [ -r "$state" ] && while IFS='=' read -r a t; do
    case $a in
      last_busy | warned | stopped) [[ $t =~ ^[0-9]+$ ]] && printf -v "$a" %s "$t" ;;
      last_what) last_what=$t ;;
    esac
  done <"$state"
  if [ "$stopped" -gt 0 ]; then
    [ $((now - stopped)) -ge 900 ] || { say "stop requested at $(clock "$stopped"); waiting for the machine to go down"; return 0; }
    say "still up 15 min after the stop request: checking again"
    stopped=0
  fi

  probe_bootstrap
  probe_logins
  probe_ssh_commands
  probe_port rdp 3389
  probe_apps
  probe_gpu
  probe_docker
  [ "${#busy[@]}" = 0 ] || last_busy=$now last_what=${busy[0]}
  for a in ${activity[@]+"${activity[@]}"}; do
    t=${a%% *}
    [ "$t" -le "$last_busy" ] || last_busy=$t last_what=${a#* }
  done
  idle=$((now > last_busy ? now - last_busy : 0))
  local since
  since="idle for $(dur "$idle") of $(dur "$after") (last activity at $(clock "$last_busy"): $last_what)"

  if [ "${#busy[@]}" -gt 0 ]; then say "busy: $(joined "${busy[@]}"); the idle clock starts again"
  else say "not busy: $(joined ${quiet[@]+"${quiet[@]}"})"; fi
  if [ "$warned" -gt 0 ] && [ "$last_busy" -gt "$warned" ]; then
    say "activity after the warning ($last_what): the stop is called off"
    warned=0
  fi
  if [ "$idle" -lt $((after - warn)) ]; then
    [ "${#busy[@]}" -gt 0 ] || say "$since; the machine stops at about $(clock $((last_busy + after))) if nothing happens"
  elif [ "$warned" = 0 ]; then
    say "$since"
    warn_sessions "$idle"
    warned=$now
  elif [ "$idle" -lt "$after" ] || [ $((now - warned)) -lt "$warn" ]; then
    say "$since; warned at $(clock "$warned")"
  else
    say "$since: stopping"
    run_hook
    if stop_machine; then stopped=$now; else say "the stop failed; the next check tries again"; fi
  fi
  printf 'last_busy=%s\nlast_what=%s\nwarned=%s\nstopped=%s\n' "$last_busy" "$last_what" "$warned" "$stopped" >"$state.tmp"
  mv -f "$state.tmp" "$state"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
