#!/bin/bash
# metadata: the cloud's instance metadata endpoint (169.254.169.254) for root and the members of
# the gw-metadata group only. Whoever reaches it gets the machine's token (Azure) or its role's
# credentials (AWS), and with them every grant the machine holds (the storage accounts and buckets),
# whatever a mount's permissions say. Host processes meet an owner-match rule in OUTPUT; containers
# (routed, so owner-less) a rule in Docker's DOCKER-USER chain. A unit re-applies both at every
# boot before Docker starts, and a docker.service drop-in after every Docker start.
# GW_METADATA_ALLOW: accounts to add to gw-metadata (services that need the endpoint, e.g.
# ec2-instance-connect); absent accounts are skipped. A unit can also run with
# SupplementaryGroups=gw-metadata, or as root.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin metadata

guard=/usr/local/sbin/gpu-workbench-metadata-guard
unit=/etc/systemd/system/gpu-workbench-metadata.service
dropin=/etc/systemd/system/docker.service.d/gpu-workbench-metadata.conf

have iptables || apt_install iptables
getent group gw-metadata >/dev/null || groupadd --system gw-metadata
for u in ${GW_METADATA_ALLOW:-}; do
  if ! id "$u" >/dev/null 2>&1; then
    log "$u: no such account on this host; nothing to allow"
  elif ! id -nG "$u" | tr ' ' '\n' | grep -qx gw-metadata; then
    usermod -aG gw-metadata "$u"
    log "allowed $u"
  fi
done

mkdir -p /usr/local/sbin
put_file "$guard" 0755 <<'GUARD'
#!/bin/sh
# gpu-workbench: the instance metadata endpoint only for root and the gw-metadata group (written by
# the bootstrap's metadata step; run at boot and after every Docker start). Idempotent.
set -eu
ipt() { iptables -w 10 "$@"; }
deny="-j REJECT --reject-with icmp-port-unreachable"
ipt -N GW-METADATA 2>/dev/null || true
# shellcheck disable=SC2086
if ! { ipt -C GW-METADATA -m owner --uid-owner 0 -j RETURN &&
  ipt -C GW-METADATA -m owner --gid-owner gw-metadata --suppl-groups -j RETURN &&
  ipt -C GW-METADATA $deny; } 2>/dev/null; then
  ipt -F GW-METADATA
  ipt -A GW-METADATA -m owner --uid-owner 0 -j RETURN
  ipt -A GW-METADATA -m owner --gid-owner gw-metadata --suppl-groups -j RETURN
  ipt -A GW-METADATA $deny
fi
ipt -C OUTPUT -d 169.254.169.254/32 -j GW-METADATA 2>/dev/null || ipt -I OUTPUT 1 -d 169.254.169.254/32 -j GW-METADATA
# Containers: Docker jumps to DOCKER-USER first in FORWARD and leaves the chain's rules alone.
ipt -N DOCKER-USER 2>/dev/null || true
# shellcheck disable=SC2086
ipt -C DOCKER-USER -d 169.254.169.254/32 $deny 2>/dev/null || ipt -I DOCKER-USER 1 -d 169.254.169.254/32 $deny
GUARD

put_file "$unit" 0644 <<EOF
# gpu-workbench: the instance metadata endpoint for root and gw-metadata only (written by the metadata step).
[Unit]
Description=gpu-workbench: instance metadata endpoint for root and gw-metadata only
DefaultDependencies=no
After=local-fs.target
Before=network-pre.target docker.service shutdown.target
Wants=network-pre.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=$guard

[Install]
WantedBy=multi-user.target
EOF
reload=$CHANGED
mkdir -p "$(dirname "$dropin")"
put_file "$dropin" 0644 <<EOF
# gpu-workbench: Docker's start re-applies the metadata endpoint rules (written by the metadata step).
[Service]
ExecStartPost=$guard
EOF
reload=$((reload | CHANGED))

if have_systemd; then
  if [ "$reload" = 1 ]; then systemctl daemon-reload; fi
  systemctl is-enabled -q gpu-workbench-metadata.service || systemctl enable gpu-workbench-metadata.service
fi
"$guard"
log "instance metadata endpoint: root and gw-metadata ($(getent group gw-metadata | cut -d: -f4)) only"
