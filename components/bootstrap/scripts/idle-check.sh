#!/bin/bash
# gpu-workbench idle check (idleStop), run as root every 2 minutes by gpu-workbench-idle.timer.
#
# Busy (the idle clock starts again): the bootstrap still running; a login whose terminal saw
# input or output within GW_IDLE_AFTER; an SSH session running a command (a bare tunnel does not
# count: the app behind it decides); an RDP connection; a Jupyter kernel that is busy or was active
# within GW_IDLE_AFTER (each app's /api/kernels, with the token read from its container as root);
# an RStudio session (an rsession process); an open connection to another app's port; a GPU at
# GW_IDLE_GPU_BELOW % or more; a docker pull or build.
#
# After GW_IDLE_AFTER seconds with none of these it warns the logged-in terminals (wall), waits
# GW_IDLE_WARN seconds, runs the pre-stop hook (GW_IDLE_HOOK, killed after GW_IDLE_HOOK_TIMEOUT; a
# failure is logged and the machine stops anyway) and stops the machine so that billing stops:
# Azure deallocates itself through its managed identity, AWS shuts down (the instance stops).
# Every run logs its decision and its reasons: journalctl -u gpu-workbench-idle.
#
#   idle-check.sh          check, and act
#   idle-check.sh status   print what the check sees, change nothing
set -uo pipefail

# The compute API version of the deallocate call (the one the workbench's VM resource uses).
ARM_COMPUTE_API=2024-11-01

GW_IDLE_ENV=${GW_IDLE_ENV:-/etc/gpu-workbench/bootstrap.env}
if [ -r "$GW_IDLE_ENV" ]; then
  set -a
  # shellcheck source=/dev/null
  . "$GW_IDLE_ENV"
  set +a
fi
GW_IDLE_AFTER=${GW_IDLE_AFTER:-3600}
GW_IDLE_WARN=${GW_IDLE_WARN:-300}
GW_IDLE_GPU_BELOW=${GW_IDLE_GPU_BELOW:-5}
GW_IDLE_HOOK_TIMEOUT=${GW_IDLE_HOOK_TIMEOUT:-300}
state_file=${GW_IDLE_STATE:-/run/gpu-workbench/idle.state}
marker=${GW_MARKER:-/var/lib/gpu-workbench/ready.json}

say() { printf '%s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
# 3725 -> "1h02m", 600 -> "10m", 42 -> "42s"
dur() {
  local s=$1
  if [ "$s" -ge 3600 ]; then printf '%dh%02dm' $((s / 3600)) $((s % 3600 / 60))
  elif [ "$s" -ge 60 ]; then printf '%dm' $((s / 60))
  else printf '%ds' "$s"; fi
}
clock() { date -d "@$1" +%H:%M:%S; }
joined() {
  local out='' x
  for x in "$@"; do out+="${out:+; }$x"; done
  printf '%s' "$out"
}

# --- state (in /run: a boot starts with a fresh idle clock) ---------------------------------------
load_state() {
  last_busy='' last_what='' warned=0 stopped=0
  [ -r "$state_file" ] || return 0
  local k v
  while IFS='=' read -r k v; do
    case $k in
      last_busy) [[ $v =~ ^[0-9]+$ ]] && last_busy=$v ;;
      warned) [[ $v =~ ^[0-9]+$ ]] && warned=$v ;;
      stopped) [[ $v =~ ^[0-9]+$ ]] && stopped=$v ;;
      last_what) last_what=$v ;;
    esac
  done <"$state_file"
}
save_state() {
  mkdir -p "$(dirname "$state_file")"
  printf 'last_busy=%s\nlast_what=%s\nwarned=%s\nstopped=%s\n' "$last_busy" "${last_what//$'\n'/ }" "$warned" "$stopped" >"$state_file.tmp"
  mv -f "$state_file.tmp" "$state_file"
}

# --- signals: busy+=("why"), activity+=("<epoch><TAB>what"), quiet+=("reading that is not busy") --
busy=() activity=() quiet=()

probe_bootstrap() {
  [ -r "$marker" ] || return 0
  local status step
  status=$(sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' "$marker")
  step=$(sed -n 's/.*"step":"\([a-z-]*\)".*/\1/p' "$marker")
  case $status in
    running | rebooting) busy+=("bootstrap: step ${step:-?} $status") ;;
    failed) quiet+=("bootstrap failed at step ${step:-?} (not counted)") ;;
  esac
}

# A login's terminal: its last input (atime) or output (mtime). Our own warning writes to it, so
# output within a minute after the warning is not counted.
probe_logins() {
  local user line rest times atime mtime n=0
  while read -r user line rest; do
    if [ -z "$line" ] || [ ! -c "/dev/$line" ]; then continue; fi
    times=$(stat -c '%X %Y' "/dev/$line") || continue
    atime=${times% *} mtime=${times#* }
    if [ "$warned" -gt 0 ] && [ "$mtime" -ge "$warned" ] && [ "$mtime" -le $((warned + 60)) ]; then mtime=0; fi
    activity+=("$((atime > mtime ? atime : mtime))	login $user on $line")
    n=$((n + 1))
  done < <(who)
  [ "$n" -gt 0 ] || quiet+=("no login")
}

# sshd's process for a session without a terminal is "sshd: <user>@notty"; one that runs a
# command (a script, scp, an editor's remote server) has it as its parent. `ssh -N` has none.
probe_ssh_commands() {
  local found
  found=$(ps -eo pid=,ppid=,args= | awk '
    { pid = $1; ppid = $2; $1 = ""; $2 = ""; sub(/^ +/, ""); args[pid] = $0; parent[pid] = ppid }
    END {
      for (p in args) if (args[p] ~ /^sshd(-session)?: [^ ]+@notty$/) session[p] = 1
      for (c in parent) if (parent[c] in session) {
        u = args[parent[c]]; sub(/^sshd(-session)?: /, "", u); sub(/@notty$/, "", u)
        print "ssh: " u " runs " substr(args[c], 1, 60)
      }
    }' | sort)
  if [ -n "$found" ]; then
    while IFS= read -r line; do busy+=("$line"); done <<<"$found"
  else
    quiet+=("no SSH command")
  fi
}

# Established TCP connections to a local port.
connections() { ss -Htn state established "( sport = :$1 )" 2>/dev/null | grep -c .; }

probe_rdp() {
  local n
  n=$(connections 3389)
  if [ "$n" -gt 0 ]; then busy+=("rdp: $n connection(s) on port 3389"); else quiet+=("no RDP connection"); fi
}

probe_jupyter() {
  local name=$1 port=$2 token body kernels=0 running=0 latest=0 k state last t
  token=$(docker inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "wb-$name" 2>/dev/null | sed -n 's/^JUPYTER_TOKEN=//p' | head -n1)
  if [ -z "$token" ]; then
    quiet+=("jupyter $name: no running container with a token (not counted)")
    return 0
  fi
  # The token goes to curl on stdin, never on a command line other users can read.
  if ! body=$(printf 'Authorization: token %s\n' "$token" | curl -fsS -m 10 --noproxy '*' -H @- "http://127.0.0.1:$port/api/kernels" 2>&1); then
    quiet+=("jupyter $name: its API did not answer (${body:0:120})")
    return 0
  fi
  while IFS= read -r k || [ -n "$k" ]; do
    [[ $k == *'"id"'* ]] || continue
    kernels=$((kernels + 1))
    state=$(sed -n 's/.*"execution_state": *"\([a-z]*\)".*/\1/p' <<<"$k")
    last=$(sed -n 's/.*"last_activity": *"\([^"]*\)".*/\1/p' <<<"$k")
    case $state in busy | starting) running=$((running + 1)) ;; esac
    if [ -n "$last" ] && t=$(date -d "$last" +%s 2>/dev/null) && [ "$t" -gt "$latest" ]; then latest=$t; fi
  done < <(tr -d '\n' <<<"$body" | sed 's/}[[:space:]]*,[[:space:]]*{/}\n{/g')
  if [ "$running" -gt 0 ]; then
    busy+=("jupyter $name: $running of $kernels kernel(s) busy")
  elif [ "$latest" -gt 0 ]; then
    activity+=("$latest	jupyter $name: last kernel activity")
    quiet+=("jupyter $name: $kernels kernel(s) idle since $(clock "$latest")")
  else
    quiet+=("jupyter $name: $kernels kernel(s), none busy")
  fi
}

probe_rstudio() {
  local name=$1 out n
  if ! out=$(docker top "wb-$name" -eo pid,comm 2>/dev/null); then
    quiet+=("rstudio $name: container not running")
    return 0
  fi
  n=$(awk 'NR > 1 && $2 == "rsession"' <<<"$out" | grep -c .)
  if [ "$n" -gt 0 ]; then busy+=("rstudio $name: $n R session(s) open"); else quiet+=("rstudio $name: no R session"); fi
}

# Apps without an activity API of their own: someone has them open through a tunnel.
probe_app_connections() {
  local name=$1 port=$2 n
  n=$(connections "$port")
  if [ "$n" -gt 0 ]; then busy+=("app $name: $n open connection(s) on port $port"); else quiet+=("app $name: no open connection"); fi
}

probe_apps() {
  local app name kind port
  for app in ${GW_IDLE_APPS:-}; do
    IFS=: read -r name kind port <<<"$app"
    case $kind in
      jupyter | jupyter-pytorch | jupyter-pyspark | kaggle-python | kaggle-r) probe_jupyter "$name" "$port" ;;
      rstudio | rstudio-verse) probe_rstudio "$name" ;;
      *) probe_app_connections "$name" "$port" ;;
    esac
  done
}

# The highest utilisation of any GPU over a few samples a second apart (one sample can miss
# bursty work such as a data loader feeding the GPU).
probe_gpu() {
  have nvidia-smi || return 0
  local samples=${GW_IDLE_GPU_SAMPLES:-5} max=-1 i out u
  for ((i = 1; i <= samples; i++)); do
    if ! out=$(nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits 2>&1); then
      quiet+=("gpu: nvidia-smi failed (${out:0:120}; not counted)")
      return 0
    fi
    while read -r u; do
      u=${u//[^0-9]/}
      if [ -n "$u" ] && [ "$u" -gt "$max" ]; then max=$u; fi
    done <<<"$out"
    if [ "$i" -lt "$samples" ]; then sleep "${GW_IDLE_GPU_INTERVAL:-1}"; fi
  done
  if [ "$max" -lt 0 ]; then
    quiet+=("gpu: no reading")
  elif [ "$max" -ge "$GW_IDLE_GPU_BELOW" ]; then
    busy+=("gpu: ${max}% (busy at ${GW_IDLE_GPU_BELOW}% or more)")
  else
    quiet+=("gpu: ${max}% (below ${GW_IDLE_GPU_BELOW}%)")
  fi
}

probe_docker() {
  local found
  found=$(pgrep -af '^([^ ]*/)?(docker|docker-buildx|buildctl|podman)( [^ ]+)* (pull|build|buildx)( |$)' | cut -d' ' -f2- | cut -c1-60)
  if [ -n "$found" ]; then
    while IFS= read -r line; do busy+=("docker: $line"); done <<<"$found"
  elif systemctl is-active -q gpu-workbench-prepull.service 2>/dev/null; then
    busy+=("docker: pre-pull of the app images running")
  else
    quiet+=("no docker pull or build")
  fi
}

collect() {
  probe_bootstrap
  probe_logins
  probe_ssh_commands
  probe_rdp
  probe_apps
  probe_gpu
  probe_docker
}

# --- acting ---------------------------------------------------------------------------------------
warn_sessions() {
  local msg
  msg="gpu-workbench: nothing has been busy on this machine for $(dur "$1")
(no GPU use, no running kernel, no active session). It stops in about $(dur "$GW_IDLE_WARN")
to save cost. Type in your terminal or start some work to keep it up."
  if printf '%s\n' "$msg" | wall 2>/dev/null; then
    say "warned the logged-in terminals: the machine stops in about $(dur "$GW_IDLE_WARN")"
  else
    say "could not warn the logged-in terminals (wall failed); stopping in about $(dur "$GW_IDLE_WARN") all the same"
  fi
}

run_hook() {
  [ -n "${GW_IDLE_HOOK:-}" ] || return 0
  say "pre-stop hook: running (killed after $(dur "$GW_IDLE_HOOK_TIMEOUT")): $GW_IDLE_HOOK"
  local rc
  timeout -k 10 "$GW_IDLE_HOOK_TIMEOUT" bash -c "$GW_IDLE_HOOK" 2>&1 | sed 's/^/pre-stop hook: /'
  rc=${PIPESTATUS[0]}
  case $rc in
    0) say "pre-stop hook: done" ;;
    124 | 137) say "pre-stop hook: killed after $(dur "$GW_IDLE_HOOK_TIMEOUT"); stopping anyway" ;;
    *) say "pre-stop hook: failed (exit $rc); stopping anyway" ;;
  esac
}

# Azure: a shutdown from inside leaves the VM allocated and billed; only a deallocate stops
# billing. The VM's system-assigned identity may deallocate this VM and nothing else (a custom
# role assigned at the VM's scope). GW_IMDS_URL and GW_ARM_URL exist for the tests' fakes only.
azure_deallocate() {
  local imds=${GW_IMDS_URL:-http://169.254.169.254} arm=${GW_ARM_URL:-https://management.azure.com}
  local json token vm out code
  if ! json=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true \
    "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F" 2>&1); then
    say "deallocate: no token from the metadata endpoint (${json:0:200})"
    return 1
  fi
  token=$(sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p' <<<"$json")
  if [ -z "$token" ]; then
    say "deallocate: the metadata endpoint's answer has no access_token"
    return 1
  fi
  if ! vm=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true \
    "$imds/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text" 2>&1); then
    say "deallocate: no resource id from the metadata endpoint (${vm:0:200})"
    return 1
  fi
  if ! [[ $vm =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+$ ]]; then
    say "deallocate: the metadata endpoint gave no VM resource id (got '${vm:0:200}')"
    return 1
  fi
  out=$(mktemp)
  # The token goes to curl on stdin, never on a command line.
  code=$(printf 'Authorization: Bearer %s\n' "$token" |
    curl -sS -m 60 -o "$out" -w '%{http_code}' -X POST -H @- -H 'Content-Length: 0' "$arm$vm/deallocate?api-version=$ARM_COMPUTE_API" 2>&1)
  case $code in
    200 | 202)
      say "deallocate: requested for $vm (HTTP $code); Azure stops the VM, and its compute billing, within minutes"
      rm -f "$out"
      return 0
      ;;
    *)
      say "deallocate: refused (HTTP ${code:0:100}): $(head -c 300 "$out" | tr '\n' ' ')"
      rm -f "$out"
      return 1
      ;;
  esac
}

stop_machine() {
  case ${GW_TARGET:-} in
    azure) azure_deallocate ;;
    aws)
      # instanceInitiatedShutdownBehavior is "stop": EC2 stops the instance (disks stay).
      say "stopping: shutdown -h now (EC2 stops the instance; its volumes and address stay)"
      shutdown -h now "gpu-workbench: idle, stopping to save cost"
      ;;
    *)
      say "cannot stop target ${GW_TARGET:-unknown}: only azure and aws are stopped by the idle check"
      return 1
      ;;
  esac
}

main() {
  local mode=${1:-check} now idle after=$GW_IDLE_AFTER warn=$GW_IDLE_WARN a t
  now=$(date +%s)
  mkdir -p "$(dirname "$state_file")"
  exec 9>"$state_file.lock"
  flock -w 60 9 || { say "another idle check is running"; return 0; }
  load_state
  if [ -z "$last_busy" ]; then last_busy=$now last_what="the first check since boot"; fi
  if [ "$mode" = check ] && [ "$stopped" -gt 0 ]; then
    if [ $((now - stopped)) -lt 900 ]; then
      say "stop requested at $(clock "$stopped"); waiting for the machine to go down"
      return 0
    fi
    say "still running 15 min after the stop request at $(clock "$stopped"): checking again"
    stopped=0
  fi

  collect
  if [ "${#busy[@]}" -gt 0 ]; then
    last_busy=$now last_what=${busy[0]}
  fi
  for a in ${activity[@]+"${activity[@]}"}; do
    t=${a%%$'\t'*}
    if [ "$t" -gt "$last_busy" ]; then last_busy=$t last_what=${a#*$'\t'}; fi
  done
  idle=$((now - last_busy))
  [ "$idle" -ge 0 ] || idle=0

  if [ "$mode" = status ]; then
    say "busy: $([ "${#busy[@]}" -gt 0 ] && joined "${busy[@]}" || echo none)"
    say "not busy: $(joined ${quiet[@]+"${quiet[@]}"})"
    say "idle for $(dur "$idle") of $(dur "$after") (last activity at $(clock "$last_busy"): $last_what)"
    return 0
  fi

  if [ "${#busy[@]}" -gt 0 ]; then
    say "busy: $(joined "${busy[@]}"); the idle clock starts again"
  else
    say "not busy: $(joined ${quiet[@]+"${quiet[@]}"})"
  fi
  if [ "$warned" -gt 0 ] && [ "$last_busy" -gt "$warned" ]; then
    say "activity after the warning ($last_what): the stop is called off"
    warned=0
  fi
  if [ "$idle" -lt $((after - warn)) ]; then
    [ "${#busy[@]}" -gt 0 ] || say "idle for $(dur "$idle") of $(dur "$after") (last activity at $(clock "$last_busy"): $last_what); the machine stops at about $(clock $((last_busy + after))) if nothing happens"
  elif [ "$warned" -eq 0 ]; then
    say "idle for $(dur "$idle") of $(dur "$after") (last activity at $(clock "$last_busy"): $last_what)"
    warn_sessions "$idle"
    warned=$now
  elif [ "$idle" -lt "$after" ] || [ $((now - warned)) -lt "$warn" ]; then
    t=$((warned + warn > last_busy + after ? warned + warn : last_busy + after))
    say "idle for $(dur "$idle") of $(dur "$after"); warned at $(clock "$warned"), stopping at about $(clock "$t")"
  else
    say "idle for $(dur "$idle") of $(dur "$after") (last activity at $(clock "$last_busy"): $last_what): stopping"
    run_hook
    if stop_machine; then stopped=$now; else say "the stop failed; the next check tries again"; fi
  fi
  save_state
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
