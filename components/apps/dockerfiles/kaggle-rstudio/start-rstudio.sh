#!/bin/bash
# The kaggle-rstudio container's process. It creates the team's accounts from GPU_WORKBENCH_USERS
# (space-separated "name:bcrypt-hash" entries: hashes only, never a password), hands the
# container's environment (CUDA, reticulate, the config's env) to R sessions, then runs RStudio
# Server in the foreground as the container's process.
set -euo pipefail
set -f # the entries are split on spaces and must never be globbed

users="${GPU_WORKBENCH_USERS:-}"
unset GPU_WORKBENCH_USERS
home_root="/home"
r_etc="${GPU_WORKBENCH_R_ETC:-$(R RHOME)/etc}"
rserver="${GPU_WORKBENCH_RSERVER:-/usr/lib/rstudio-server/bin/rserver}"

fail() {
  echo "gpu-workbench-rstudio: $*" >&2
  exit 1
}

[ -n "$users" ] || fail "GPU_WORKBENCH_USERS is empty: no one could sign in"

# One above every uid of the image's accounts and of the homes kept on the data disk, so that a
# new user never owns a former user's files.
next_uid() {
  local max=999 uid dir
  while IFS=: read -r _ _ uid _; do
    if ((uid >= 1000 && uid < 60000 && uid > max)); then max=$uid; fi
  done </etc/passwd
  set +f # the homes are found by globbing
  for dir in "$home_root"/*; do
    [ -d "$dir" ] || continue
    uid=$(stat -c %u "$dir")
    if ((uid >= 1000 && uid < 60000 && uid > max)); then max=$uid; fi
  done
  set -f
  echo $((max + 1))
}

names=()
declare -A hashes=()
for entry in $users; do
  name=${entry%%:*}
  hash=${entry#*:}
  [[ $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || fail "\"$name\" is not a user name"
  [[ $hash =~ ^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$ ]] || fail "the entry for $name is not a bcrypt hash"
  names+=("$name")
  hashes[$name]=$hash
done

# A home kept on the data disk decides its owner's uid: first the users who have one, then the rest.
for pass in kept new; do
  for name in "${names[@]}"; do
    home="$home_root/$name"
    if id -u "$name" >/dev/null 2>&1; then
      continue
    elif [ "$pass" = kept ] && [ -d "$home" ]; then
      uid=$(stat -c %u "$home")
      if owner=$(getent passwd "$uid"); then
        fail "$home belongs to uid $uid, which the image gives to ${owner%%:*}; move the directory away"
      fi
      useradd --uid "$uid" --no-create-home --home-dir "$home" --shell /bin/bash "$name"
    elif [ "$pass" = new ] && [ ! -d "$home" ]; then
      useradd --uid "$(next_uid)" --create-home --home-dir "$home" --shell /bin/bash "$name"
    fi
  done
done

for name in "${names[@]}"; do
  home=$(getent passwd "$name" | cut -d: -f6)
  if [ ! -d "$home" ]; then
    install -d -m 0750 -o "$name" -g "$(id -g "$name")" "$home"
  fi
  printf '%s:%s\n' "$name" "${hashes[$name]}" | chpasswd -e
done

# rserver starts R sessions with a clean environment: give them the container's, single-quoted,
# leaving out the per-process variables and any value a quoted Renviron line cannot carry.
{
  cat "$r_etc/Renviron.site.image" 2>/dev/null || true
  echo "# gpu-workbench: the container's environment, for R sessions"
  while IFS= read -r -d '' pair; do
    key=${pair%%=*}
    value=${pair#*=}
    case $key in HOME | USER | LOGNAME | SHELL | PWD | OLDPWD | SHLVL | HOSTNAME | TERM | _) continue ;; esac
    [[ $key =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [[ $value == *[$'\n'\'\\\$]* ]] && continue
    printf "%s='%s'\n" "$key" "$value"
  done < <(env -0)
} >"$r_etc/Renviron.site.new"
mv "$r_etc/Renviron.site.new" "$r_etc/Renviron.site"

args=(--server-daemonize=0)
if [ -n "${LD_LIBRARY_PATH:-}" ]; then args+=("--rsession-ld-library-path=$LD_LIBRARY_PATH"); fi
exec "$rserver" "${args[@]}"
