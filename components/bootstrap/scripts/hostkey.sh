#!/bin/bash
# hostkey: installs the pinned ED25519 host key (GW_HOST_KEY_PRIVATE, GW_HOST_KEY_PUBLIC) and
# removes the image's other host keys. Under cloud-init, its ssh_keys module does this instead.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin hostkey

if [ -z "${GW_HOST_KEY_PRIVATE:-}" ] || [ -z "${GW_HOST_KEY_PUBLIC:-}" ]; then
  die "GW_HOST_KEY_PRIVATE and GW_HOST_KEY_PUBLIC are not set"
fi
changed=0
put_file /etc/ssh/ssh_host_ed25519_key 0600 <<<"${GW_HOST_KEY_PRIVATE%$'\n'}"
[ "$CHANGED" = 1 ] && changed=1
put_file /etc/ssh/ssh_host_ed25519_key.pub 0644 <<<"${GW_HOST_KEY_PUBLIC%$'\n'}"
[ "$CHANGED" = 1 ] && changed=1
for f in /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub; do
  case $f in */ssh_host_ed25519_key*) continue ;; esac
  if [ -e "$f" ]; then rm -f "$f"; changed=1; fi
done
if [ "$changed" = 1 ] && have_systemd; then
  systemctl try-reload-or-restart ssh.service || systemctl try-reload-or-restart sshd.service || true
fi
log "host key: $(cut -d' ' -f1-2 /etc/ssh/ssh_host_ed25519_key.pub)"
