#!/bin/bash
# users: the configured team accounts, their SSH keys and sudo, and sshd hardening.
# GW_USERS holds one "name admin(0|1) docker(0|1) public-key" line per user. Managed accounts are
# members of the gpu-workbench group: one that left the config loses its key, sudo and docker and
# is locked; accounts the image made (ubuntu, azureuser) are never touched.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin users

managed=gpu-workbench
keys_dir=/etc/ssh/authorized_keys.d
home_base=${GW_HOME_BASE:-/home}
sudoers=/etc/sudoers.d/90-gpu-workbench

getent group "$managed" >/dev/null || groupadd --system "$managed"
getent group docker >/dev/null || groupadd --system docker
mkdir -p "$keys_dir" "$home_base"
chmod 0755 "$keys_dir"

in_group() { id -nG "$1" | tr ' ' '\n' | grep -qxF "$2"; }

wanted=" "
admins=""
while read -r name admin docker key; do
  [ -n "$name" ] || continue
  wanted="$wanted$name "
  if ! id "$name" >/dev/null 2>&1; then
    home=$home_base/$name
    if [ -d "$home" ]; then
      # A replaced VM: keep the uid that owns the home on the data disk.
      uid=$(stat -c %u "$home")
      if getent passwd "$uid" >/dev/null; then
        useradd -M -d "$home" -s /bin/bash -G "$managed" "$name"
        chown -R "$name:" "$home"
      else
        useradd -M -u "$uid" -d "$home" -s /bin/bash -G "$managed" "$name"
      fi
    else
      useradd -m -d "$home" -s /bin/bash -G "$managed" "$name"
      chmod 0750 "$home"
    fi
    log "created $name"
  else
    in_group "$name" "$managed" || usermod -aG "$managed" "$name"
    # The account survived but its home did not (a power cut after useradd reached /etc/passwd
    # but before the home's directory entry reached the data disk): make it again, as useradd -m.
    home=$(getent passwd "$name" | cut -d: -f6)
    if [ -n "$home" ] && [ "$home" != / ] && [ ! -d "$home" ]; then
      install -d -m 0750 -o "$name" -g "$(id -g "$name")" "$home"
      if [ -d /etc/skel ]; then cp -rT /etc/skel "$home"; fi
      chown -R "$name:$(id -g "$name")" "$home"
      log "made the missing home $home of $name"
    fi
    # Back in the config after a removal: unlock.
    if [ "$(getent passwd "$name" | cut -d: -f7)" = /usr/sbin/nologin ]; then
      usermod -s /bin/bash -e "" "$name"
      log "re-enabled $name"
    fi
  fi
  put_file "$keys_dir/$name" 0644 <<<"$key"
  if [ "$docker" = 1 ]; then
    in_group "$name" docker || usermod -aG docker "$name"
  elif in_group "$name" docker; then
    gpasswd -d "$name" docker >/dev/null
  fi
  if [ "$admin" = 1 ]; then admins="$admins$name ALL=(ALL) NOPASSWD:ALL"$'\n'; fi
done <<<"${GW_USERS:-}"

# Managed accounts no longer in the config.
members=$(getent group "$managed" | cut -d: -f4 | tr ',' ' ')
for name in $members; do
  case $wanted in *" $name "*) continue ;; esac
  rm -f "$keys_dir/$name"
  if in_group "$name" docker; then gpasswd -d "$name" docker >/dev/null; fi
  if [ "$(getent passwd "$name" | cut -d: -f7)" != /usr/sbin/nologin ]; then
    # Expiry stops key logins through PAM too; the home and its data stay.
    usermod -L -e 1 -s /usr/sbin/nologin "$name"
    pkill -KILL -u "$name" || true
    log "locked $name (removed from the config)"
  fi
done

tmp=$(mktemp)
printf '# Managed by gpu-workbench: the configured admins.\n%s' "$admins" >"$tmp"
if have visudo && ! visudo -cqf "$tmp"; then
  rm -f "$tmp"
  die "the generated sudoers file does not pass visudo -c"
fi
put_file "$sudoers" 0440 <"$tmp"
rm -f "$tmp"

# First value wins in sshd_config: 10- comes before the image's and cloud-init's drop-ins.
conf=/etc/ssh/sshd_config.d/10-gpu-workbench.conf
mkdir -p /etc/ssh/sshd_config.d
had_conf=0
if [ -f "$conf" ]; then had_conf=1; cp -p "$conf" "$tmp"; fi
drop_in="# Managed by gpu-workbench.
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys $keys_dir/%u"
if [ "${GW_PIN_HOST_KEY:-0}" = 1 ]; then drop_in="$drop_in"$'\n'"HostKey /etc/ssh/ssh_host_ed25519_key"; fi
put_file "$conf" 0644 <<<"$drop_in"
if [ "$CHANGED" = 1 ]; then
  if have sshd; then
    mkdir -p /run/sshd
    if ! sshd -t; then
      if [ "$had_conf" = 1 ]; then mv -f "$tmp" "$conf"; else rm -f "$conf"; fi
      die "sshd -t rejects the gpu-workbench drop-in $conf; kept the previous one"
    fi
  fi
  if have_systemd; then systemctl try-reload-or-restart ssh.service || systemctl try-reload-or-restart sshd.service || true; fi
  log "sshd configured"
fi
rm -f "$tmp"
log "users: $wanted"
