#!/bin/bash
# storage: the storage mounts. Per mount: a group holding exactly the users allowed in (with its
# planned GID: the app containers join it by number), the FUSE client (blobfuse2 and fuse3 from
# Microsoft's repository for adls2, s3fs for s3), its config, and a systemd unit that keeps it
# mounted; then it waits until every mount is up.
# GW_STORAGE holds one "index name kind group gid unit dataPath configPath passwdPath users..." line
# per mount ("-" for no file); GW_STORAGE_UNIT_<index>, GW_STORAGE_CONFIG_<index> (blobfuse2's
# config.yaml) and GW_STORAGE_PASSWD_<index> (s3fs's credentials; secret) hold the files.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin storage

units=/etc/systemd/system
if [ -z "${GW_STORAGE:-}" ]; then
  log "no storage mounts"
else
  kinds=$(awk '{print $3}' <<<"$GW_STORAGE" | sort -u)
  if grep -qx adls2 <<<"$kinds" && ! have blobfuse2; then
    apt_install ca-certificates curl
    # shellcheck source=/dev/null
    version=$(. /etc/os-release && echo "$VERSION_ID") codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
    apt_repo microsoft-prod https://packages.microsoft.com/keys/microsoft.asc \
      "deb [arch=$(dpkg --print-architecture) signed-by={key}] https://packages.microsoft.com/ubuntu/$version/prod $codename main"
    apt_install blobfuse2 fuse3
  fi
  if grep -qx s3 <<<"$kinds"; then apt_install s3fs; fi
fi

wanted=" "
groups=" "
restart=""
reload=0
while read -r i name kind group gid unit data config passwd users; do
  [ -n "$i" ] || continue
  wanted="$wanted$unit "
  groups="$groups$group "
  # The group, with its planned GID; the only files it owns are the gates, re-made by the unit.
  owner=$(getent group "$gid" | cut -d: -f1 || true)
  if [ -n "$owner" ] && [ "$owner" != "$group" ]; then
    die "GID $gid, planned for the group $group of mount $name, belongs to the group $owner on this host; free it (groupmod -g) and run the bootstrap again"
  fi
  if ! getent group "$group" >/dev/null; then
    groupadd --gid "$gid" "$group"
  elif [ "$(getent group "$group" | cut -d: -f3)" != "$gid" ]; then
    groupmod --gid "$gid" "$group"
  fi
  for u in $users; do id "$u" >/dev/null 2>&1 || die "mount $name: user $u does not exist on this host"; done
  # Exactly the listed users; someone dropped from the list loses access at their next login.
  gpasswd -M "$(tr ' ' ',' <<<"$users")" "$group" >/dev/null

  var=GW_STORAGE_UNIT_$i
  put_file "$units/$unit" 0644 <<<"${!var}"
  changed=$CHANGED
  if [ "$config" != - ]; then
    var=GW_STORAGE_CONFIG_$i
    mkdir -p "$(dirname "$config")"
    put_file "$config" 0600 <<<"${!var}"
    changed=$((changed | CHANGED))
  fi
  if [ "$passwd" != - ]; then
    var=GW_STORAGE_PASSWD_$i
    [ -n "${!var:-}" ] || die "mount $name: no credentials for the S3 endpoint (GW_STORAGE_PASSWD_$i)"
    install -d -m 0700 "$(dirname "$passwd")"
    put_file "$passwd" 0600 <<<"${!var}"
    changed=$((changed | CHANGED))
  fi
  reload=$((reload | changed))
  if [ "$changed" = 1 ]; then restart="$restart $unit"; fi
  log "mount $name ($kind) at $data for:$users"
done <<<"${GW_STORAGE:-}"

# Mounts no longer in the config: unit stopped and removed, group gone. Their data stays in the cloud.
for f in "$units"/gpu-workbench-storage-*.service; do
  [ -e "$f" ] || continue
  unit=$(basename "$f")
  case $wanted in *" $unit "*) continue ;; esac
  if have_systemd; then systemctl disable --now "$unit" || true; fi
  rm -f "$f"
  reload=1
  log "removed $unit (no longer in the config)"
done
while IFS=: read -r group _; do
  case $groups in *" $group "*) ;; *) groupdel "$group" && log "removed group $group" ;; esac
done < <(getent group | grep '^gw-mnt-' || true)

if ! have_systemd; then
  [ -z "${GW_STORAGE:-}" ] || die "the storage mounts need systemd to keep them mounted; this host has none"
  exit 0
fi
if [ "$reload" = 1 ]; then systemctl daemon-reload; fi
while read -r i name kind group gid unit rest; do
  [ -n "$i" ] || continue
  systemctl is-enabled -q "$unit" || systemctl enable "$unit"
  case " $restart " in
    *" $unit "*) systemctl restart "$unit" ;;
    *) systemctl is-active -q "$unit" || systemctl start "$unit" ;;
  esac
done <<<"${GW_STORAGE:-}"

# The grant may still be on its way (Azure's role assignments take a few minutes to apply): the
# unit retries every 10 s; wait for each mount here so a mount that never comes fails the bootstrap.
deadline=$(($(date +%s) + ${GW_STORAGE_WAIT:-900}))
while read -r i name kind group gid unit data rest; do
  [ -n "$i" ] || continue
  until mountpoint -q "$data"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      die "mount $name is not up at $data after ${GW_STORAGE_WAIT:-900} s; see journalctl -u $unit"
    fi
    sleep 3
  done
  log "mounted $name at $data"
done <<<"${GW_STORAGE:-}"
