#!/bin/bash
# Shared helpers for the gpu-workbench bootstrap steps. Sourced by every step; inlined into the
# standalone scripts that bootstrapScripts() returns.

# A step run by hand on the VM reads the config cloud-init wrote; run.sh and the standalone
# scripts set GW_TARGET themselves.
if [ -z "${GW_TARGET:-}" ] && [ -r /etc/gpu-workbench/bootstrap.env ]; then
  set -a
  # shellcheck source=/dev/null
  . /etc/gpu-workbench/bootstrap.env
  # shellcheck source=/dev/null
  if [ -r /etc/gpu-workbench/secrets.env ]; then . /etc/gpu-workbench/secrets.env; fi
  set +a
fi
GW_STATE=${GW_STATE:-/var/lib/gpu-workbench}
GW_MARKER=${GW_MARKER:-$GW_STATE/ready.json}
export DEBIAN_FRONTEND=noninteractive

log() { printf '%s gpu-workbench[%s]: %s\n' "$(date -u +%FT%TZ)" "${GW_STEP:-}" "$*" >&2; }

# Fails the step with a message the ready marker and the deployer show as is.
die() {
  GW_FAIL_MSG="$*"
  log "ERROR: $*"
  exit 1
}

json_str() {
  printf '"%s"' "$(printf '%s' "$1" | tr '\n\r\t' '   ' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

write_marker() {
  # Readable by the deployer's non-root ready check whatever the umask.
  mkdir -p "$(dirname "$GW_MARKER")"
  chmod 0755 "$(dirname "$GW_MARKER")"
  printf '%s\n' "$1" >"$GW_MARKER.tmp"
  chmod 0644 "$GW_MARKER.tmp"
  mv -f "$GW_MARKER.tmp" "$GW_MARKER"
}

# Records the failing command for the marker. When it is a function that gave up (its last
# command a `return`), the call that failed is named instead, from the caller's source line.
gw_on_err() {
  local cmd=$2 text=
  case $cmd in
    return | "return "*)
      text=$(sed -n "${BASH_LINENO[0]}p" "${BASH_SOURCE[1]:-}" 2>/dev/null | sed 's/^[[:space:]]*//; s/[[:space:]]*$//') || text=
      cmd=${text:-a call in ${FUNCNAME[1]:-the step}}
      ;;
  esac
  GW_LAST_ERR="command failed (exit $1): $cmd"
}

gw_on_exit() {
  rc=$?
  if [ "$rc" -eq 100 ]; then
    # The boot id tells a ready check whether this reboot is still to come (same boot) or done.
    write_marker "{\"status\":\"rebooting\",\"step\":$(json_str "$GW_STEP"),\"bootId\":$(json_str "$(cat /proc/sys/kernel/random/boot_id)")}"
  elif [ "$rc" -ne 0 ]; then
    write_marker "{\"status\":\"failed\",\"step\":$(json_str "$GW_STEP"),\"message\":$(json_str "${GW_FAIL_MSG:-${GW_LAST_ERR:-exited with status $rc}}")}"
  fi
  exit "$rc"
}

# Every step starts here: the marker says which step runs, and a failure records why.
gw_begin() {
  GW_STEP=$1
  set -eEuo pipefail
  trap 'gw_on_err "$?" "$BASH_COMMAND"' ERR
  trap gw_on_exit EXIT
  write_marker "{\"status\":\"running\",\"step\":$(json_str "$GW_STEP")}"
  log "start"
}

have() { command -v "$1" >/dev/null 2>&1; }
have_systemd() { [ -d /run/systemd/system ]; }

# put_file DEST MODE < content: replaces DEST only when the content or mode differs; CHANGED=1 if it
# did. The draft lives in /tmp, so an unchanged file leaves even its directory untouched.
put_file() {
  local tmp
  CHANGED=0
  tmp=$(mktemp)
  cat >"$tmp"
  chmod "$2" "$tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1" && [ "$(stat -c %a "$1")" = "$(stat -c %a "$tmp")" ]; then
    rm -f "$tmp"
  else
    install -m "$2" "$tmp" "$1.gw-new"
    mv -f "$1.gw-new" "$1"
    rm -f "$tmp"
    CHANGED=1
  fi
}

# Runs a command up to 5 times, pausing 5, 10, 15, 20 s (GW_RETRY_PAUSE scales the pauses);
# returns 1 when the last attempt fails.
retry() {
  local n=1
  until "$@"; do
    if [ "$n" -ge 5 ]; then
      log "gave up after $n attempts: $*"
      return 1
    fi
    log "retry $n: $*"
    sleep $((n * ${GW_RETRY_PAUSE:-5}))
    n=$((n + 1))
  done
}

fetch_once() {
  local rc=0
  GW_FETCH_ERROR=$(curl -fsSL --connect-timeout 20 -o "$2" "$1" 2>&1 >/dev/null) || rc=$?
  if [ "$rc" -ne 0 ]; then log "$1: ${GW_FETCH_ERROR:-curl exited with status $rc}"; fi
  return "$rc"
}

# fetch URL FILE [WHAT]: downloads with retries; a failure fails the step naming what, the URL and
# curl's error (a vendor repository out of reach must say which).
fetch() {
  if ! retry fetch_once "$1" "$2"; then
    die "could not download ${3:+$3 from }$1 (5 attempts): ${GW_FETCH_ERROR:-curl failed}"
  fi
}

apt_get() {
  if ! retry apt-get -o DPkg::Lock::Timeout=900 -y -q "$@"; then
    die "apt-get $* failed (5 attempts); its output is in the log above"
  fi
}

# Installs the packages that are missing; runs apt-get update once per step or after a repo change.
apt_install() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  apt_update
  apt_get install --no-install-recommends "${missing[@]}"
}

apt_update() {
  if [ "${GW_APT_UPDATED:-0}" != 1 ]; then
    apt_get update
    GW_APT_UPDATED=1
  fi
}

# Waits for the Docker daemon (after an install or a restart).
wait_docker() {
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    [ "$i" = 1 ] && log "waiting for the Docker daemon"
    sleep 2
  done
  die "the Docker daemon did not answer within 120 s: $(docker info 2>&1 | tail -n1)"
}

# apt_repo NAME KEY_URL "deb line with {key}": a signed third-party repository, added once.
apt_repo() {
  local key=/etc/apt/keyrings/$1.asc
  mkdir -p /etc/apt/keyrings
  if [ ! -s "$key" ]; then
    fetch "$2" "$key.tmp" "the signing key of the $1 apt repository"
    mv -f "$key.tmp" "$key"
    chmod 0644 "$key"
  fi
  put_file "/etc/apt/sources.list.d/$1.list" 0644 <<<"${3//\{key\}/$key}"
  if [ "$CHANGED" = 1 ]; then GW_APT_UPDATED=0; fi
}
