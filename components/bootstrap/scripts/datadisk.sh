#!/bin/bash
# datadisk: finds the persistent data disk, creates a filesystem only when it has none, and
# mounts it at /data by UUID with nofail. A replaced VM re-attaches the old disk: its data stays.
#   datadisk.sh                 the step (GW_TARGET, GW_DATA_DISK_GB, optional GW_DATA_DEVICE)
#   datadisk.sh ensure-fs DEV   only the guard: prints the filesystem's UUID, formatting a blank DEV
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Never formats a device that has a filesystem, a partition table or any signature blkid knows.
ensure_fs() {
  local dev=$1 rc=0 out
  out=$(blkid -p -o export "$dev") || rc=$?
  if [ "$rc" -eq 2 ]; then
    log "$dev is blank: creating an ext4 filesystem"
    mkfs.ext4 -q -L gw-data -m 0 "$dev" >&2
    out=$(blkid -p -o export "$dev")
  elif [ "$rc" -ne 0 ]; then
    die "blkid -p $dev failed (exit $rc): refusing to touch a disk it cannot read"
  fi
  case $'\n'"$out" in
    *$'\nUUID='*) ;;
    *$'\nPTTYPE='*) die "$dev has a partition table but no filesystem on the whole disk: refusing to format it; mount it yourself" ;;
    *) die "$dev has a signature but no filesystem UUID: refusing to format it" ;;
  esac
  printf '%s\n' "$out" | sed -n 's/^UUID=//p'
}

if [ "${1:-}" = ensure-fs ]; then
  GW_STEP=datadisk
  set -euo pipefail
  ensure_fs "$2"
  exit 0
fi

gw_begin datadisk
mnt=${GW_DATA_MOUNT:-/data}
want=$(( ${GW_DATA_DISK_GB:-0} * 1024 * 1024 * 1024 ))
# SoftLayer: capacities are not documented as GiB (accept decimal GB), and the volume is attached
# only once the guest is provisioned, well after this first boot began.
if [ "${GW_TARGET:-}" = softlayer ]; then
  want=$(( ${GW_DATA_DISK_GB:-0} * 1000 * 1000 * 1000 ))
  GW_DISK_WAIT=${GW_DISK_WAIT:-3600}
fi

root_disk() {
  local src
  src=$(findmnt -no SOURCE / || true)
  lsblk -no PKNAME "$src" 2>/dev/null | head -n1
}

# Candidates by the cloud's stable names; the disk that holds / and disks in use are skipped, and
# the size must be at least the configured one (it only grows).
find_disk() {
  local c dev root
  root=$(root_disk)
  for c in "$@"; do
    [ -e "$c" ] || continue
    dev=$(readlink -f "$c")
    [ -b "$dev" ] || continue
    [ "$(lsblk -dno TYPE "$dev")" = disk ] || continue
    [ -n "$root" ] && [ "$(basename "$dev")" = "$root" ] && continue
    lsblk -no MOUNTPOINT "$dev" | grep -q . && [ "$(findmnt -no SOURCE "$mnt" || true)" != "$dev" ] && continue
    [ "$(blockdev --getsize64 "$dev")" -ge "$want" ] || continue
    echo "$dev"
    return 0
  done
  return 1
}

# The apps' directories, owned by the uid each app runs as (Docker would create them as root).
# GW_APP_DIRS holds "name:uid" words. Existing directories keep their owner and files.
app_dirs() {
  local d
  for d in ${GW_APP_DIRS:-}; do
    [ -d "$mnt/apps/${d%%:*}" ] || install -d -o "${d#*:}" -g "${d#*:}" -m 0775 "$mnt/apps/${d%%:*}"
  done
}

# Sets the fstab line for a mount point (one line per mount point); FSTAB_CHANGED=1 if it did.
FSTAB_CHANGED=0
fstab_entry() {
  local point=$1 line=$2
  grep -qxF "$line" /etc/fstab && return 0
  awk -v m="$point" '$2 != m' /etc/fstab >/etc/fstab.gw
  printf '%s\n' "$line" >>/etc/fstab.gw
  chmod 0644 /etc/fstab.gw
  mv -f /etc/fstab.gw /etc/fstab
  FSTAB_CHANGED=1
}

if [ "${GW_DATA_DISK_GB:-0}" = 0 ] && [ -z "${GW_DATA_DEVICE:-}" ]; then
  log "no managed data disk: using the host's own $mnt"
  mkdir -p "$mnt/home" "$mnt/apps"
  app_dirs
  exit 0
fi

dev=${GW_DATA_DEVICE:-}
deadline=$(( $(date +%s) + ${GW_DISK_WAIT:-900} ))
while [ -z "$dev" ]; do
  case $GW_TARGET in
    # Azure attaches the data disk at LUN 0 of the data controller.
    azure) dev=$(find_disk /dev/disk/azure/scsi1/lun0 /dev/disk/by-path/*-lun-0) || dev= ;;
    # The EBS attachment comes after boot: wait for the non-root EBS volume.
    aws) dev=$(find_disk /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_*) || dev= ;;
    # SoftLayer (Xen) adds the portable storage volume as the next xvd disk; the boot disk, the swap
    # disk (in use) and the small config drive fail find_disk's root, in-use and size checks.
    softlayer) dev=$(find_disk /dev/xvd[b-z] /dev/vd[b-z]) || dev= ;;
    *) die "no data disk lookup for target $GW_TARGET; set GW_DATA_DEVICE" ;;
  esac
  [ -n "$dev" ] && break
  [ "$(date +%s)" -ge "$deadline" ] && die "no data disk of at least ${GW_DATA_DISK_GB} GB appeared after ${GW_DISK_WAIT:-900} s"
  sleep 5
done
log "data disk: $dev"
uuid=$(ensure_fs "$dev")
fstype=$(blkid -p -s TYPE -o value "$dev")

# One fstab line for the mount point, by UUID: nofail keeps a VM bootable without its disk. Every
# home lives on the data disk: $mnt/home is bound onto /home. Both lines first, then one reload of
# systemd's view of fstab (a reload takes seconds on a slow machine).
fstab_entry "$mnt" "UUID=$uuid $mnt $fstype defaults,nofail,x-systemd.device-timeout=30s 0 2"
if [ "${GW_HOMES_ON_DATA:-1}" = 1 ]; then
  fstab_entry /home "$mnt/home /home none bind,nofail,x-systemd.requires-mounts-for=$mnt 0 0"
fi
if [ "$FSTAB_CHANGED" = 1 ] && have_systemd; then systemctl daemon-reload; fi
mkdir -p "$mnt"
mountpoint -q "$mnt" || mount "$mnt"
mountpoint -q "$mnt" || die "$dev did not mount at $mnt"
mkdir -p "$mnt/home" "$mnt/apps"
chmod 0755 "$mnt" "$mnt/home" "$mnt/apps"
log "mounted UUID=$uuid at $mnt"

# Accounts made before this step (the image's default user, Azure's first admin) are copied over
# once without overwriting what the disk already holds, so a replaced VM finds everyone's files
# where they were.
homes_bound() { [ "$(stat -c %d:%i /home)" = "$(stat -c %d:%i "$mnt/home")" ]; }
if [ "${GW_HOMES_ON_DATA:-1}" = 1 ]; then
  if ! homes_bound; then
    cp -an /home/. "$mnt/home/"
    mount --bind "$mnt/home" /home
  fi
  homes_bound || die "could not bind $mnt/home onto /home"
  log "homes are on the data disk ($mnt/home bound onto /home)"
fi
app_dirs
