#!/usr/bin/env bash
# Prepares what the e2e tests need (test/e2e, test/support/testhost.ts): the test host's Debian
# rootfs, built with debootstrap and cached in test/e2e/.cache/rootfs-<hash>, the hash covering
# this script (suite, package list, preparation steps). Idempotent and safe to run concurrently
# (flock). Installs nothing on the machine: .ci/run's apt list brings debootstrap, openssh-client,
# docker.io and busybox-static. Prints the rootfs path as its only stdout line.
#
# Env: GWB_E2E_CACHE (cache dir), GWB_DEBIAN_MIRROR (default: the Debian mirror apt uses here).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GWB_E2E_CACHE:-$repo/test/e2e/.cache}
suite=bookworm
# sshd, sudo and the account tools the bootstrap's users step runs; procps for pgrep/ps;
# s3fs (with its fuse): the storage step mounts a real S3 server; iptables: the metadata step's
# firewall rules; iproute2 (ss) and curl for the idle check.
packages=openssh-server,sudo,procps,s3fs,iptables,iproute2,curl
# The docker group's GID in the rootfs; test/support/testhost.ts (TESTHOST_DOCKER_GID) gives the
# test dockerd's socket this group.
docker_gid=990

if [ "$(id -u)" != 0 ]; then echo "e2e-setup: must run as root (debootstrap, chroot)" >&2; exit 1; fi
for c in debootstrap chroot flock sha256sum; do
  command -v "$c" >/dev/null || { echo "e2e-setup: $c not found: apt-get install debootstrap" >&2; exit 1; }
done

hash=$( { cat "${BASH_SOURCE[0]}"; uname -m; } | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$hash
mkdir -p "$cache"
[ -f "$cache/.gitignore" ] || printf '*\n' >"$cache/.gitignore"
exec 9>"$cache/.lock"
flock 9

if [ ! -x "$rootfs/usr/sbin/sshd" ]; then
  mirror=${GWB_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    # The first non-security Debian archive apt is configured with (one-line or deb822 format).
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | head -n1 | tr -d '[:space:]' || true)
    mirror=${mirror:-http://deb.debian.org/debian}
  fi
  tmp=$rootfs.tmp
  rm -rf "$tmp" "$cache"/rootfs-*  # drop stale roots of older package lists
  start=$(date +%s)
  echo "e2e-setup: debootstrap $suite ($packages) from $mirror into $rootfs" >&2
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    echo "e2e-setup: debootstrap failed (full log: $cache/debootstrap.log)" >&2
    exit 1
  fi
  # The test host gets its host key from the test (the workbench's pinned key), never these.
  rm -f "$tmp"/etc/ssh/ssh_host_*
  chroot "$tmp" groupadd --system --gid "$docker_gid" docker
  chroot "$tmp" apt-get clean
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin
  # Mount points the test host binds: the host's docker CLI and the test dockerd's socket dir.
  : >"$tmp/usr/bin/docker"
  chmod 0755 "$tmp/usr/bin/docker"
  mkdir -p "$tmp/run/sshd" "$tmp/run/gwb-docker"
  ln -s /run/gwb-docker/docker.sock "$tmp/run/docker.sock"
  mv "$tmp" "$rootfs"
  echo "e2e-setup: rootfs ready in $(( $(date +%s) - start )) s" >&2
fi
echo "$rootfs"
