#!/bin/bash
# rdp: xrdp with an Xfce desktop; each RDP user's password from GW_RDP_PASSWORDS ("user:hash"
# lines, SHA-512 crypt: only hashes reach the VM). SSH keeps refusing passwords.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin rdp

apt_install xrdp xorgxrdp xfce4 xfce4-terminal dbus-x11
# xrdp reads its TLS key through the ssl-cert group.
if getent group ssl-cert >/dev/null && ! id -nG xrdp | tr ' ' '\n' | grep -qx ssl-cert; then usermod -aG ssl-cert xrdp; fi

while IFS=: read -r name hash; do
  [ -n "$name" ] || continue
  id "$name" >/dev/null 2>&1 || die "RDP user $name does not exist (the users step creates it)"
  if [ "$(getent shadow "$name" | cut -d: -f2)" != "$hash" ]; then
    chpasswd -e <<<"$name:$hash"
    log "password set for $name"
  fi
  home=$(getent passwd "$name" | cut -d: -f6)
  put_file "$home/.xsession" 0644 <<<"xfce4-session"
  if [ "$CHANGED" = 1 ]; then chown "$name:" "$home/.xsession"; fi
done <<<"${GW_RDP_PASSWORDS:-}"

if have_systemd; then
  systemctl is-enabled -q xrdp || systemctl enable xrdp
  systemctl is-active -q xrdp || systemctl start xrdp
fi
log "xrdp listens on 3389"
