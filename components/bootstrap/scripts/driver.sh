#!/bin/bash
# driver: the NVIDIA driver chosen by GW_DRIVER_INSTALL (see DriverInstall in config/spec.ts).
# Skipped when nvidia-smi already works. Exits 100 when only a reboot can load the new module:
# run.sh then reboots and the run resumes (once; a second failure is an error). Fails at once on
# a machine with no NVIDIA device on its PCI bus: no driver would ever work there.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin driver

smi_ok() { have nvidia-smi && nvidia-smi -L >/dev/null 2>&1; }
smi_error() { if have nvidia-smi; then nvidia-smi 2>&1 | head -n1; else echo "nvidia-smi is not installed"; fi; }

# Ubuntu's server branches ship signed, precompiled modules: Secure Boot keeps working.
install_ubuntu_drivers() {
  local branch
  apt_update
  apt_install ubuntu-drivers-common
  ubuntu-drivers install --gpgpu "$@"
  branch=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' 'nvidia-headless-no-dkms-*' 2>/dev/null |
    awk '$1 == "ii" { sub(/^nvidia-headless-no-dkms-/, "", $2); sub(/-open$/, "", $2); print $2 }' | sort -V | tail -n1)
  [ -n "$branch" ] || die "ubuntu-drivers installed no NVIDIA server driver ($*)"
  apt_install "nvidia-utils-$branch"
}

# NVads A10 v5 are GPU partitions: only Microsoft's GRID build drives them (built with DKMS).
install_grid() {
  apt_install build-essential dkms "linux-headers-$(uname -r)"
  put_file /etc/modprobe.d/gpu-workbench-nouveau.conf 0644 <<'CONF'
blacklist nouveau
options nouveau modeset=0
CONF
  if [ "$CHANGED" = 1 ]; then update-initramfs -u; fi
  fetch "${GW_GRID_URL:-https://go.microsoft.com/fwlink/?linkid=874272}" /var/tmp/nvidia-grid.run "Microsoft's NVIDIA GRID driver"
  sh /var/tmp/nvidia-grid.run --silent --dkms || die "the GRID installer failed; see /var/log/nvidia-installer.log"
  rm -f /var/tmp/nvidia-grid.run
  if [ -f /etc/nvidia/gridd.conf.template ] && [ ! -f /etc/nvidia/gridd.conf ]; then
    grep -v '^FeatureType=0' /etc/nvidia/gridd.conf.template >/etc/nvidia/gridd.conf
    printf 'IgnoreSP=FALSE\nEnableUI=FALSE\n' >>/etc/nvidia/gridd.conf
  fi
}

# Whether an NVIDIA device (PCI vendor 0x10de) is on the machine's PCI bus.
nvidia_on_pci() {
  local v
  for v in "${GW_PCI_DEVICES:-/sys/bus/pci/devices}"/*/vendor; do
    [ "$(cat "$v" 2>/dev/null)" = 0x10de ] && return 0
  done
  return 1
}

if smi_ok; then
  log "the NVIDIA driver works: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n1)"
  exit 0
fi
if [ "${GW_DRIVER_INSTALL:-none}" = none ]; then
  log "no GPU: skipped"
  exit 0
fi
# No driver route can work without the device, and none should wait for one: a cloud VM has its
# PCI devices at boot (a GPU passed through by the hypervisor gets the first minute of uptime).
until nvidia_on_pci; do
  if [ "$(cut -d. -f1 /proc/uptime)" -ge "${GW_PCI_GRACE:-60}" ]; then
    die "no NVIDIA device on the PCI bus (no ${GW_PCI_DEVICES:-/sys/bus/pci/devices}/*/vendor is 0x10de): the $GW_DRIVER_INSTALL driver cannot work on a machine without the GPU its size promises"
  fi
  sleep 2
done
case $GW_DRIVER_INSTALL in
  preinstalled | azure-extension)
    # The image loads its driver during boot; Azure's extension installs it beside cloud-init.
    wait=120
    [ "$GW_DRIVER_INSTALL" = azure-extension ] && wait=${GW_DRIVER_WAIT:-1800}
    deadline=$(($(date +%s) + wait))
    until smi_ok; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        die "nvidia-smi fails after ${wait} s ($GW_DRIVER_INSTALL should bring the driver): $(smi_error)"
      fi
      sleep 10
    done
    exit 0
    ;;
  bootstrap-r580) install_ubuntu_drivers nvidia:580-server ;;
  bootstrap-ubuntu-drivers) install_ubuntu_drivers ;;
  azure-grid) install_grid ;;
  *) die "unknown driver install \"$GW_DRIVER_INSTALL\"" ;;
esac

modprobe nvidia >/dev/null 2>&1 || true
if smi_ok; then
  log "installed: $(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -n1)"
  exit 0
fi
if [ -e "$GW_STATE/driver-rebooted" ]; then
  die "nvidia-smi still fails after a reboot: $(smi_error)"
fi
touch "$GW_STATE/driver-rebooted"
log "the new driver needs a reboot"
exit 100
