/**
 * The groups a workbench host already has, so a user name that equals one is refused up front:
 * `useradd` (with USERGROUPS_ENAB, Ubuntu's default) makes a group of the user's name and stops
 * with "group <name> exists" after the VM is already running.
 *
 * Where the list comes from:
 * - base-passwd's static group.master, which Debian and Ubuntu share (read from base-passwd 3.6.1
 *   on Debian 12; Ubuntu 22.04's base-passwd 3.5.52 still has `gnats`, added here);
 * - the system groups the packages of Ubuntu's 22.04 and 24.04 server cloud images create
 *   (systemd, udev, cron, dbus, rsyslog, openssh, tpm-udev, uuid-runtime, tcpdump, landscape-common,
 *   fwupd, polkitd, dhcpcd-base, chrony, lxd's installer) and the groups cloud-init gives the
 *   image's default user (adm, cdrom, dip, lxd, netdev, plugdev, sudo, ...);
 * - the image's default users' own groups (ubuntu; azureuser on Azure's images);
 * - the groups this project manages: gpu-workbench (the users step's marker group), docker, and
 *   with RDP xrdp and ssl-cert.
 * No Ubuntu image is reachable where this is developed, so the package-created part was not read
 * from a booted cloud image: the groups of packages Debian 12 ships alike were read from their
 * sysusers.d files here (systemd, dbus, polkitd, openssh's _ssh); the Ubuntu-only ones (landscape,
 * fwupd-refresh, lxd, sgx, ...) come from published /etc/group listings of Ubuntu 22.04 and 24.04
 * servers. A unit test checks the list holds this machine's group.master and sysusers.d groups.
 */

/** base-passwd's group.master. */
export const BASE_PASSWD_GROUPS = [
  "root",
  "daemon",
  "bin",
  "sys",
  "adm",
  "tty",
  "disk",
  "lp",
  "mail",
  "news",
  "uucp",
  "man",
  "proxy",
  "kmem",
  "dialout",
  "fax",
  "voice",
  "cdrom",
  "floppy",
  "tape",
  "sudo",
  "audio",
  "dip",
  "www-data",
  "backup",
  "operator",
  "list",
  "irc",
  "src",
  "gnats",
  "shadow",
  "utmp",
  "video",
  "sasl",
  "plugdev",
  "staff",
  "games",
  "users",
  "nogroup",
] as const;

/** Groups the Ubuntu 22.04/24.04 server cloud images' packages and cloud-init create. */
export const UBUNTU_IMAGE_GROUPS = [
  "systemd-journal",
  "systemd-network",
  "systemd-resolve",
  "systemd-timesync",
  "systemd-coredump",
  "systemd-oom",
  "input",
  "sgx",
  "kvm",
  "render",
  "clock",
  "crontab",
  "messagebus",
  "syslog",
  "ssh",
  "_ssh",
  "tss",
  "uuidd",
  "tcpdump",
  "landscape",
  "fwupd-refresh",
  "polkitd",
  "dhcpcd",
  "_chrony",
  "lxd",
  "netdev",
  "admin",
  "rdma",
  "ubuntu",
  "azureuser",
] as const;

/** Groups the workbench's own bootstrap creates or uses. */
export const WORKBENCH_GROUPS = ["gpu-workbench", "docker", "xrdp", "ssl-cert"] as const;

/** Every group a user name must not equal. */
export const HOST_GROUPS: readonly string[] = [...BASE_PASSWD_GROUPS, ...UBUNTU_IMAGE_GROUPS, ...WORKBENCH_GROUPS];
