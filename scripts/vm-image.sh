#!/usr/bin/env bash
# Builds the QEMU test VM's image for `npm run test:vm` (test/vm/): a Debian bookworm root
# filesystem that stands in for the clouds' Ubuntu image, cached in test/vm/.cache/image-<hash>
# (root.img, vmlinuz, initrd.img), the hash covering this script (suite, packages, every
# preparation step). Idempotent and safe to run concurrently (flock). Installs nothing on the
# machine: .ci/run's apt list brings debootstrap and e2fsprogs. Prints the image directory as its
# only stdout line; how long the build took goes to stderr and to build-seconds in that directory.
#
# What the image has, and why:
# - what a cloud image boots with: systemd, udev, cloud-init (NoCloud datasource, the seed is a
#   cidata disk), OpenSSH, sudo, the cloud kernel, DHCP on eth0 (net.ifnames=0), locales (so
#   cloud-init's locale module succeeds, as on Ubuntu), curl, python3 and AppArmor (on every
#   Ubuntu image; the cloud kernel enables AppArmor, and Docker needs its parser to run containers),
#   and Ubuntu's HOME_MODE 0750 for accounts the image or the platform creates;
# - what the bootstrap would otherwise fetch from vendor repositories unreachable here: Docker
#   (Debian's docker.io), so the docker step takes its "already installed" path. Installing Docker
#   from Docker's repository is proved only on a real cloud;
# - test-only: a udev rule giving the data disk the cloud's stable name (Azure's
#   /dev/disk/azure/scsi1/lun0 for LUN 0 of the virtio-scsi controller at PCI slot 9; AWS's
#   /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_<serial> for every QEMU NVMe disk, as every
#   EBS volume is named on Nitro), and Docker told that the test registry the guest reaches at
#   10.0.2.100:5000 (a QEMU guestfwd to the host's loopback) speaks plain HTTP.
#
# Env: GWB_VM_CACHE (cache dir), GWB_DEBIAN_MIRROR (default: the Debian mirror apt uses here).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${GWB_VM_CACHE:-$repo/test/vm/.cache}
suite=bookworm
packages=systemd-sysv,udev,dbus,kmod,cloud-init,openssh-server,linux-image-cloud-amd64,sudo,e2fsprogs,mount
packages=$packages,ifupdown,isc-dhcp-client,iproute2,netbase,procps,util-linux,ca-certificates,python3-cffi-backend
packages=$packages,locales,curl,python3,apparmor,docker.io
root_size=4G

if [ "$(id -u)" != 0 ]; then echo "vm-image: must run as root (debootstrap, chroot)" >&2; exit 1; fi
for c in debootstrap chroot flock sha256sum mkfs.ext4; do
  command -v "$c" >/dev/null || { echo "vm-image: $c not found: apt-get install debootstrap e2fsprogs" >&2; exit 1; }
done

hash=$( { cat "${BASH_SOURCE[0]}"; uname -m; } | sha256sum | cut -c1-16)
image=$cache/image-$hash
mkdir -p "$cache"
[ -f "$cache/.gitignore" ] || printf '*\n' >"$cache/.gitignore"
exec 9>"$cache/.lock"
flock 9

if [ ! -f "$image/root.img" ] || [ ! -f "$image/vmlinuz" ] || [ ! -f "$image/initrd.img" ]; then
  mirror=${GWB_DEBIAN_MIRROR:-}
  if [ -z "$mirror" ]; then
    # The first non-security Debian archive apt is configured with (one-line or deb822 format).
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | head -n1 | tr -d '[:space:]' || true)
    mirror=${mirror:-http://deb.debian.org/debian}
  fi
  rm -rf "$cache"/image-* "$cache"/build.tmp  # drop images of older recipes
  # The root filesystem is built outside the repository (tools that walk it must not meet a
  # chroot's /proc) and removed whatever happens; only the three files move to the cache.
  tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/gwb-vm-image.XXXXXX")
  cleanup() {
    findmnt -rno TARGET | { grep -F "$tmp/" || true; } | sort -r | xargs -r umount -l
    rm -rf "$tmp"
  }
  trap cleanup EXIT
  rootfs=$tmp/rootfs
  start=$(date +%s)
  echo "vm-image: debootstrap $suite ($packages) from $mirror" >&2
  if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1; then
    tail -n 30 "$cache/debootstrap.log" >&2
    echo "vm-image: debootstrap failed (full log: $cache/debootstrap.log)" >&2
    exit 1
  fi
  booted=$(date +%s)

  printf 'LABEL=gwb-root / ext4 defaults,errors=remount-ro 0 1\n' >"$rootfs/etc/fstab"
  printf 'datasource_list: [ NoCloud, None ]\n' >"$rootfs/etc/cloud/cloud.cfg.d/90-ds.cfg"
  # DHCP on eth0 before cloud-init renders its own (identical) fallback config.
  printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n\nsource /etc/network/interfaces.d/*\n' \
    >"$rootfs/etc/network/interfaces"
  # The guest's network is restricted to the test's forwards: no name server, so every lookup
  # fails at once (a vendor repository is out of reach in a second, not after resolver timeouts),
  # and the instance's own name resolves from /etc/hosts (sudo looks it up).
  printf 'nameserver 127.0.0.1\n' >"$rootfs/etc/resolv.conf"
  printf 'supersede domain-name-servers 127.0.0.1;\n' >>"$rootfs/etc/dhcp/dhclient.conf"
  printf 'manage_etc_hosts: localhost\n' >"$rootfs/etc/cloud/cloud.cfg.d/91-hosts.cfg"
  # Ubuntu's login.defs (Debian leaves HOME_MODE unset: homes would be 0755, world-readable).
  sed -i 's/^#\?HOME_MODE.*/HOME_MODE\t0750/' "$rootfs/etc/login.defs"
  grep -q '^HOME_MODE' "$rootfs/etc/login.defs"
  sed -i 's/^# *en_US.UTF-8 UTF-8/en_US.UTF-8 UTF-8/' "$rootfs/etc/locale.gen"
  chroot "$rootfs" locale-gen >/dev/null
  # cloud-init's default locale, already set: its locale module has nothing to regenerate.
  printf 'LANG=en_US.UTF-8\n' >"$rootfs/etc/default/locale"
  # Every instance makes its own machine id and host keys (cloud-init's ssh module writes the pinned one).
  : >"$rootfs/etc/machine-id"
  rm -f "$rootfs"/var/lib/dbus/machine-id "$rootfs"/etc/ssh/ssh_host_*
  # No login without a key: root stays locked (passwd -l is the debootstrap default for minbase).
  chroot "$rootfs" passwd -l root >/dev/null

  cat >"$rootfs/etc/udev/rules.d/61-gwb-test-cloud-disks.rules" <<'RULES'
# Test image only: the cloud's stable names for the QEMU data disk (see scripts/vm-image.sh).
# Azure: LUN 0 of the data-disk controller ("scsi1") is /dev/disk/azure/scsi1/lun0.
SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", KERNEL=="sd*", ENV{ID_PATH}=="pci-0000:00:09.0-scsi-0:0:0:0", SYMLINK+="disk/azure/scsi1/lun0"
# AWS Nitro: every EBS volume is an NVMe disk named after its volume id.
SUBSYSTEM=="block", ENV{DEVTYPE}=="disk", KERNEL=="nvme*n*", ENV{ID_MODEL}=="QEMU NVMe Ctrl", ENV{ID_SERIAL_SHORT}=="?*", SYMLINK+="disk/by-id/nvme-Amazon_Elastic_Block_Store_$env{ID_SERIAL_SHORT}"
RULES
  mkdir -p "$rootfs/etc/docker"
  printf '{\n  "insecure-registries": ["10.0.2.100:5000"]\n}\n' >"$rootfs/etc/docker/daemon.json"

  chroot "$rootfs" apt-get clean
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*.log
  kernels=("$rootfs"/boot/vmlinuz-*)
  if [ "${#kernels[@]}" != 1 ] || [ ! -f "${kernels[0]}" ]; then
    echo "vm-image: expected one kernel in /boot, got ${kernels[*]}" >&2
    exit 1
  fi
  mkdir -p "$cache/build.tmp"
  cp "${kernels[0]}" "$cache/build.tmp/vmlinuz"
  cp "$rootfs/boot/initrd.img-${kernels[0]#*/boot/vmlinuz-}" "$cache/build.tmp/initrd.img"
  mkfs.ext4 -q -L gwb-root -d "$rootfs" "$cache/build.tmp/root.img" "$root_size"
  end=$(date +%s)
  printf '%s\n' "$((end - start))" >"$cache/build.tmp/build-seconds"
  mv "$cache/build.tmp" "$image"
  echo "vm-image: image ready in $((end - start)) s (debootstrap $((booted - start)) s)" >&2
fi
echo "$image"
