#!/bin/bash
# bake-clean: clears everything that belongs to one machine before its disk is captured as an
# image (a baked team image), and keeps what every machine of the team needs: the NVIDIA driver,
# Docker, the container toolkit, the pulled app images, the metadata guard and the sshd hardening.
# Run as root on a workbench whose bootstrap is ready, as the last thing before the power-off the
# capture needs (it neither powers off nor captures). Standalone: it sources nothing.
#
# Cleared: the SSH host keys (each machine gets its pinned one from its own user data), the
# machine-id (emptied, not deleted, so systemd makes a new one at the next boot), the accounts of
# the team, of cloud-init and of the cloud's agent (every uid in login.defs' UID_MIN..UID_MAX) with
# their homes, keys, sudoers drop-ins, crontabs and mail, every password hash left, what the
# bootstrap wrote for this machine (its config and secrets, storage credentials and units, the idle
# timer, the ready marker, its scripts, which the next machine's user data names), the data disk's
# mounts, cloud-init's instance state and the user data it kept (which holds the host's private
# key), the Azure agent's state (its copy of the custom data, certificates), the AWS Systems
# Manager agent's state (its per-instance folders, registration, logs), the app containers
# and registry credentials, shell histories, DHCP leases, the random seed, logs and temp files;
# then the free space is zeroed, so no deleted byte travels with the image.
#   GW_BAKE_KEEP_USERS   accounts in the UID range to keep (their passwords are locked all the same)
#   GW_BAKE_PULL_WAIT    seconds to wait for the background pre-pull to finish (default 1800)
#   GW_BAKE_ZERO_FREE    0: do not overwrite the root filesystem's free space with zeros (default 1)
#   GW_BAKE_SESSION_AGENT 1: the caller's session rides the AWS Systems Manager agent: do not stop it
set -euo pipefail

conf=/etc/gpu-workbench
marker=/var/lib/gpu-workbench/ready.json
mnt=/data
# A caller's session may be gone by the end (its account is removed): logging never fails the run.
log() { printf 'gpu-workbench[bake-clean]: %s\n' "$*" >&2 || true; }
die() {
  log "ERROR: $*"
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }
have_systemd() { [ -d /run/systemd/system ]; }

[ "$(id -u)" = 0 ] || die "run it as root"
if [ -f "$marker" ] && ! grep -q '"status":"ready"' "$marker"; then
  die "the bootstrap is not ready ($(head -c 200 "$marker")); bake a machine whose bootstrap finished"
fi

# What this machine's bootstrap was told (the images to keep, the mounts to take apart).
GW_IMAGES="" GW_STORAGE="" GW_DATA_MOUNT=""
if [ -r "$conf/bootstrap.env" ]; then
  # shellcheck source=/dev/null
  . "$conf/bootstrap.env"
fi
mnt=${GW_DATA_MOUNT:-$mnt}

# 1. The image keeps the app images: the pre-pull must be over and every image there.
if have_systemd && systemctl is-active -q gpu-workbench-prepull.service; then
  log "waiting for the pre-pull of the app images"
  deadline=$(($(date +%s) + ${GW_BAKE_PULL_WAIT:-1800}))
  while systemctl is-active -q gpu-workbench-prepull.service; do
    [ "$(date +%s)" -lt "$deadline" ] || die "the pre-pull still runs after ${GW_BAKE_PULL_WAIT:-1800} s (journalctl -u gpu-workbench-prepull)"
    sleep 5
  done
fi
for image in $GW_IMAGES; do
  docker image inspect "$image" >/dev/null 2>&1 || die "the app image $image is not pulled; an image without it would pull it at every boot"
done

# 2. Units written for this machine's config: the idle check, the storage mounts, the pre-pull.
if have_systemd; then
  for unit in gpu-workbench-idle.timer gpu-workbench-idle.service gpu-workbench-prepull.service /etc/systemd/system/gpu-workbench-storage-*.service; do
    [ -e "$unit" ] || [ "${unit#/}" = "$unit" ] || continue
    systemctl stop "${unit##*/}" >/dev/null 2>&1 || true
    systemctl disable "${unit##*/}" >/dev/null 2>&1 || true
  done
fi
rm -f /etc/systemd/system/gpu-workbench-idle.timer /etc/systemd/system/gpu-workbench-idle.service /etc/systemd/system/gpu-workbench-storage-*.service
while read -r _ _ _ _ _ _ _ config passwd _; do
  if [ -n "${config:-}" ] && [ "$config" != - ]; then rm -f "$config"; fi
  if [ -n "${passwd:-}" ] && [ "$passwd" != - ] && [ -f "$passwd" ]; then shred -u "$passwd"; fi
done <<<"$GW_STORAGE"
while IFS=: read -r group _; do groupdel "$group"; done < <(getent group | grep '^gw-mnt-' || true)

# 3. Containers carry their config (tokens, passwords) and state; their images stay.
if have docker && docker info >/dev/null 2>&1; then
  containers=$(docker ps -aq)
  # shellcheck disable=SC2086 # one word per container id
  if [ -n "$containers" ]; then docker rm -f $containers >/dev/null; fi
elif [ -n "$(ls -A /var/lib/docker/containers 2>/dev/null)" ]; then
  die "Docker does not answer and /var/lib/docker/containers is not empty: start Docker so its containers can be removed"
fi
rm -rf /root/.docker /etc/docker/key.json

# 4. The data disk stays with its machine: its mounts and fstab lines go (lazily: a caller's shell
# may sit in its home). Homes made after the bind exist only there; the rest are removed below.
for point in /home "$mnt"; do
  if mountpoint -q "$point"; then umount -l "$point"; fi
done
awk -v m="$mnt" '$2 != m && $1 != m "/home"' /etc/fstab >/etc/fstab.gw
chmod 0644 /etc/fstab.gw
mv -f /etc/fstab.gw /etc/fstab
if have_systemd; then systemctl daemon-reload; fi

# 5. Accounts: the team's, cloud-init's default user, the cloud agent's admin (all are made again
# by the next machine's provisioning), with their homes, keys, sudoers drop-ins, crontabs, mail.
uid_min=$(awk '$1 == "UID_MIN" {print $2}' /etc/login.defs)
uid_max=$(awk '$1 == "UID_MAX" {print $2}' /etc/login.defs)
keep=" ${GW_BAKE_KEEP_USERS:-} "
accounts=$(getent passwd)
while IFS=: read -r name _ uid _ _ home _; do
  if [ "$uid" -lt "${uid_min:-1000}" ] || [ "$uid" -gt "${uid_max:-60000}" ]; then continue; fi
  case $keep in *" $name "*) continue ;; esac
  # Forced: the caller's own session may belong to one of them (its processes end at the power-off).
  userdel -f -r "$name" >/dev/null 2>&1 || true
  if getent passwd "$name" >/dev/null; then die "could not remove the account $name (userdel -f -r $name)"; fi
  case $home in /home/?*) rm -rf "$home" ;; esac
  rm -f "/var/spool/cron/crontabs/$name" "/var/mail/$name"
  log "removed the account $name"
done <<<"$accounts"
if getent group gpu-workbench >/dev/null; then groupdel gpu-workbench; fi
rm -rf /etc/ssh/authorized_keys.d /root/.ssh/authorized_keys
rm -f /etc/sudoers.d/90-gpu-workbench /etc/sudoers.d/90-cloud-init-users /etc/sudoers.d/waagent
# No password hash leaves with the image, whatever account holds one (root's included).
while IFS=: read -r name hash _; do
  case $hash in *'$'*) usermod -p '*' "$name" && log "removed the password of $name" ;; esac
done </etc/shadow

# Files that hold a secret are overwritten before they go: a captured disk carries its freed
# blocks too (see also the fstrim at the end).
scrub() {
  local f
  for f in "$@"; do
    if [ -d "$f" ]; then
      find "$f" -type f -exec shred -u {} + 2>/dev/null || true
    elif [ -f "$f" ]; then
      shred -u "$f" || true
    fi
  done
}

# 6. What the bootstrap wrote for this machine. Its scripts go too: the next machine's user data
# names the scripts it runs (deliver.sh checks them), so a baked copy must not stand in for them.
scrub "$conf"
rm -rf "$conf" /var/lib/gpu-workbench /usr/local/lib/gpu-workbench /var/log/gpu-workbench*.log /var/lib/cloud/scripts/per-boot/gpu-workbench-resume

# 7. Identity: host keys (the next machine's user data pins its own), machine-id, random seed.
scrub /etc/ssh/ssh_host_*
rm -f /etc/ssh/ssh_host_*
truncate -s 0 /etc/machine-id
if [ -f /var/lib/dbus/machine-id ] && [ ! -L /var/lib/dbus/machine-id ]; then rm -f /var/lib/dbus/machine-id; fi
rm -f /var/lib/systemd/random-seed /var/lib/systemd/credential.secret

# 8. cloud-init's instance state, its logs and its copy of the user data; the Azure agent's state
# (ovf-env.xml and CustomData hold the custom data, *.prv the machine's certificates); the AWS
# Systems Manager agent's.
# The image boots on the cloud it was baked on: cloud-init is pinned to the datasource this machine
# booted with (named before its instance state goes), so no boot probes for others, and its three
# stages' module lists lose the modules that do nothing for a workbench (cloud_ci_drop below).
# The modules a baked workbench's boots can do without, each with the system-config keys that give it
# work: one listed in the image's lists is dropped unless the image's own cloud.cfg or cloud.cfg.d sets
# one of those keys (or one its module activates on). Each stage imports every module it lists,
# also those that then find no config (before cloud-init 24.3 each stage is a Python process of its
# own); under TCG that is seconds a boot. Our
# user data sets ssh_*, write_files and runcmd only (their modules stay: ssh, set_passwords,
# write_files, runcmd, scripts_user; test/unit/image.test.ts checks the renderer against this table).
# Kept too: what the clouds' datasources and a new machine need: seed_random, growpart, resizefs
# (the OS disk may be larger than the image's), disk_setup and mounts (Azure's resource disk),
# set_hostname, update_hostname, update_etc_hosts, users_groups (Azure's admin), apt_configure (the
# region's mirror, for the steps that install), the vendor and per-boot/instance/once scripts (our
# resume hook is per-boot), install_hotplug, final_message (it writes boot-finished), and any module
# this table does not name (a vendor's own).
#   migrator: moved cloud-init's own semaphore names from before 0.7 (gone from 24.1);
#   locale, grub_dpkg: per instance, and this machine's first boot did them: the image keeps the
#     locale and the boot disk's debconf entry (the next machine's disks are named the same);
#   keys_to_console, ssh_authkey_fingerprints: fingerprints to the console; the host key is pinned
#     from the user data, the users' keys are ours;
#   reset_rmc, refresh_rmc_and_interface: IBM PowerVM's RMC; rightscale_userdata: RightScale;
#   the others act only on their keys: none is in our user data or the clouds' metadata.
cloud_ci_drop='migrator
bootcmd bootcmd
ca_certs ca_certs ca-certs
rsyslog rsyslog
snap snap
ssh_import_id ssh_import_id
keyboard keyboard
locale locale locale_configfile
grub_dpkg grub_dpkg grub-dpkg
apt_pipelining apt_pipelining
ntp ntp
timezone timezone
disable_ec2_metadata disable_ec2_metadata
byobu byobu_by_default
wireguard wireguard
ubuntu_autoinstall autoinstall
ubuntu_pro ubuntu_pro ubuntu_advantage ubuntu-advantage
ubuntu_advantage ubuntu_pro ubuntu_advantage ubuntu-advantage
package_update_upgrade_install packages package_update package_upgrade apt_update apt_upgrade package_reboot_if_required apt_reboot_if_required
fan fan
landscape landscape
lxd lxd
ubuntu_drivers drivers
write_files_deferred write_files
puppet puppet
chef chef
ansible ansible
mcollective mcollective
salt_minion salt_minion
reset_rmc
refresh_rmc_and_interface
rightscale_userdata
ssh_authkey_fingerprints
keys_to_console
phone_home phone_home
power_state_change power_state'
# Prints the three lists as YAML (JSON flow lists), then "# dropped <name>" per dropped module.
# GW_CLOUD_CFG: the system config to read (a test's).
cloud_ci_trim='
import importlib, json, os
from cloudinit import util
cfg = util.read_conf_with_confd(os.environ.get("GW_CLOUD_CFG", "/etc/cloud/cloud.cfg"))
drop = {}
for line in os.environ["GW_CLOUD_CI_DROP"].split("\n"):
    words = line.split()
    if words:
        drop[words[0]] = set(words[1:])
dropped = []
for stage in ("cloud_init_modules", "cloud_config_modules", "cloud_final_modules"):
    kept = []
    for entry in cfg.get(stage) or []:
        name = entry if isinstance(entry, str) else entry.get("name") if isinstance(entry, dict) else entry[0]
        canon = str(name).replace("-", "_")
        if canon in drop:
            keys = set(drop[canon])
            try:
                keys |= set(importlib.import_module("cloudinit.config.cc_" + canon).meta.get("activate_by_schema_keys") or [])
            except Exception:
                pass
            if not keys & set(cfg):
                dropped.append(str(name))
                continue
        kept.append(entry)
    if not kept:
        raise SystemExit("the image lists no " + stage)
    print(stage + ": " + json.dumps(kept))
for name in dropped:
    print("# dropped " + name)
'
if have cloud-init; then
  ds=$(sed -n 's/^DataSource\([A-Za-z0-9]*\):.*/\1/p' /var/lib/cloud/instance/datasource 2>/dev/null | head -n1)
  # A class name (NoCloudNet, Ec2Local, OpenStackLocal) names its module without Net or Local.
  ds=${ds%Net}
  ds=${ds%Local}
  sources=$(python3 -c 'import os, cloudinit.sources as s; print(os.path.dirname(s.__file__))' 2>/dev/null) || sources=""
  if [ -z "$ds" ] || [ ! -f "$sources/DataSource$ds.py" ]; then
    die "cannot tell which cloud-init datasource this machine booted with (/var/lib/cloud/instance/datasource: $(head -c 200 /var/lib/cloud/instance/datasource 2>/dev/null || echo missing)); bake a machine that cloud-init provisioned"
  fi
  lists=$(GW_CLOUD_CI_DROP="$cloud_ci_drop" python3 -c "$cloud_ci_trim") || die "cannot read cloud-init's module lists (python3's error above)"
  mkdir -p /etc/cloud/cloud.cfg.d
  printf '%s\n' "# gpu-workbench bake-clean.sh: this image boots on the cloud it was baked on." \
    "datasource_list: [ $ds, None ]" "$(printf '%s\n' "$lists" | grep -v '^# dropped ')" >/etc/cloud/cloud.cfg.d/95-gpu-workbench-baked.cfg.tmp
  chmod 0644 /etc/cloud/cloud.cfg.d/95-gpu-workbench-baked.cfg.tmp
  mv -f /etc/cloud/cloud.cfg.d/95-gpu-workbench-baked.cfg.tmp /etc/cloud/cloud.cfg.d/95-gpu-workbench-baked.cfg
  log "cloud-init pinned to the datasource $ds"
  log "cloud-init's module lists without$(printf '%s\n' "$lists" | sed -n 's/^# dropped / /p' | tr -d '\n')"
fi
scrub /var/lib/cloud/instances /var/lib/waagent/ovf-env.xml /var/lib/waagent/CustomData /var/lib/waagent/*.prv
if have cloud-init; then cloud-init clean --logs --seed; fi
# The next machine is provisioned by cloud-init from its own user data, even where this one ran
# with cloud-init disabled after its bootstrap (or an image, e.g. ubuntu-hpc, disabled it).
rm -f /etc/cloud/cloud-init.disabled
rm -rf /var/lib/cloud/instances /var/lib/cloud/instance /var/lib/cloud/data /var/lib/cloud/sem
if [ -d /var/lib/waagent ]; then find /var/lib/waagent -mindepth 1 -delete; fi
# The AWS Systems Manager agent (the DLAMI runs it, as a snap on Ubuntu): its state names this
# instance (per-instance folders, credentials it keeps for the instance, a hybrid activation's
# registration in Vault, the session channels' files). Stopped first, so it writes nothing back;
# the next instance's agent registers anew. Not when this session rides it (access: private: ssh
# through Session Manager), which the stop would cut, and whose channels live in that state: then
# a transient unit (in /run: nothing of it is on the disk) ordered before the agent, so stopped
# after it at EC2's shutdown, clears the state once the agent is down.
# EC2 Instance Connect keeps no state on the machine (it asks the metadata endpoint at each login).
ssm_state="/var/lib/amazon/ssm /var/log/amazon/ssm"
ssm_agents="snap.amazon-ssm-agent.amazon-ssm-agent.service amazon-ssm-agent.service"
# shellcheck disable=SC2016 # expanded by the unit's own bash, from its argument
ssm_clear_on_stop='trap '"'"'for d in $0; do [ -d "$d" ] && find "$d" -type f -exec shred -u {} + ; rm -rf "$d"; done; kill "$!" 2>/dev/null; exit 0'"'"' TERM; while :; do sleep 3600 & wait $!; done'
if [ "${GW_BAKE_SESSION_AGENT:-0}" = 1 ]; then
  if have_systemd; then
    before=()
    for unit in $ssm_agents; do before+=(-p "Before=$unit"); done
    systemd-run --quiet --unit=gpu-workbench-bake-ssm-state "${before[@]}" /bin/bash -c "$ssm_clear_on_stop" "$ssm_state" ||
      die "could not schedule the removal of the Systems Manager agent's state at the shutdown (systemd-run)"
    log "the Systems Manager agent carries this session: its state goes when it has stopped"
  fi
else
  if have_systemd; then
    for unit in $ssm_agents; do systemctl stop "$unit" >/dev/null 2>&1 || true; done
  fi
  # shellcheck disable=SC2086 # one word per directory
  scrub $ssm_state
  # shellcheck disable=SC2086
  rm -rf $ssm_state
fi

# 9. Leases, histories, logs and temp files.
rm -f /var/lib/dhcp/*.leases /var/lib/dhclient/*.lease* /var/lib/NetworkManager/*.lease /var/lib/systemd/network/*.lease
find /root /home -maxdepth 2 \( -name .bash_history -o -name .python_history -o -name .lesshst -o -name .viminfo -o -name .wget-hsts \) -type f -delete 2>/dev/null || true
if have journalctl; then
  journalctl --rotate >/dev/null 2>&1 || true
  journalctl --vacuum-time=1s >/dev/null 2>&1 || true
fi
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' -o -name '*.journal~' \) -delete
# The journal's live files are journald's: rotated and vacuumed above, never truncated under it.
find /var/log -type f -not -path '/var/log/journal/*' -exec truncate -s 0 {} +
find /tmp /var/tmp -mindepth 1 -delete 2>/dev/null || true

# 10. Freed blocks: a capture copies them too, and they still hold what was deleted above (old
# versions of files cloud-init rewrote, the bootstrap's temp files, the homes). They are written
# with zeros (GW_BAKE_ZERO_FREE=0 skips it: minutes on a large disk), then handed back to the disk
# where it takes discards (fstrim), so the zeros cost the image nothing.
sync
if [ "${GW_BAKE_ZERO_FREE:-1}" = 1 ]; then
  # ext4 keeps a pool of free clusters no file may take (reserved_clusters): lent to the fill.
  resv=/sys/fs/ext4/$(basename "$(findmnt -no SOURCE /)")/reserved_clusters
  held=""
  if [ -w "$resv" ]; then
    held=$(cat "$resv")
    echo 0 >"$resv" || held=""
  fi
  dd if=/dev/zero of=/var/tmp/gw-bake-zero bs=1M status=none 2>/dev/null || true
  sync
  rm -f /var/tmp/gw-bake-zero
  sync
  if [ -n "$held" ]; then echo "$held" >"$resv"; fi
fi
if have fstrim; then fstrim -v / >&2 || log "fstrim: the root disk does not take discards"; fi
sync
log "done: power the machine off and capture its disk"
