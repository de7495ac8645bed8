#!/bin/bash
# docker: Docker Engine from Docker's apt repository (kept as is when the image has Docker),
# with log rotation and parallel layer downloads (Docker's default is 3; the app images have
# dozens of layers); images stay under /var/lib/docker on the OS disk, sized for them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin docker

# Merges our keys into daemon.json, keeping what others added (nvidia-ctk's runtime, an image's
# own settings); a higher max-concurrent-downloads already there stays.
merge_daemon_json() {
  mkdir -p /etc/docker
  python3 - <<'PY'
import json, os
path = os.environ.get("GW_DAEMON_JSON", "/etc/docker/daemon.json")
try:
    with open(path) as f:
        conf = json.load(f)
except FileNotFoundError:
    conf = {}
want = dict(conf)
want["log-driver"] = "json-file"
want["log-opts"] = {**conf.get("log-opts", {}), "max-size": "50m", "max-file": "5"}
want.setdefault("data-root", "/var/lib/docker")
downloads = conf.get("max-concurrent-downloads")
want["max-concurrent-downloads"] = downloads if isinstance(downloads, int) and downloads > 10 else 10
if want != conf:
    with open(path + ".tmp", "w") as f:
        json.dump(want, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print("changed")
PY
}

changed=$(merge_daemon_json)
if have dockerd; then
  # The version comes from the daemon itself below (dockerd --version would start the large binary once more).
  log "Docker is already installed"
  if [ "$changed" = changed ] && have_systemd && systemctl is-active -q docker; then systemctl restart docker; fi
elif [ "${GW_IMAGE:-stock}" != stock ]; then
  # A GPU-ready or baked image holds Docker: verify, never install over a wrong image.
  die "Docker is not on this machine, but its ${GW_IMAGE} image should hold it: the VM booted another image than the workbench names"
else
  apt_install ca-certificates curl
  # shellcheck source=/dev/null
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  apt_repo docker https://download.docker.com/linux/ubuntu/gpg \
    "deb [arch=$(dpkg --print-architecture) signed-by={key}] https://download.docker.com/linux/ubuntu $codename stable"
  apt_install docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
fi
if have_systemd; then
  # Docker starts at every boot (multi-user.target wants it), but the boot does not wait for the
  # daemon: cloud-init's final stage, which runs this bootstrap, comes after multi-user.target,
  # and a daemon holding many images takes seconds to start. What needs Docker waits for it (this
  # step, the apps' restart policy). The same dependencies as a service's defaults, but
  # multi-user.target's wait (the target orders itself after the units it wants unless they set
  # DefaultDependencies=no).
  mkdir -p /etc/systemd/system/docker.service.d
  put_file /etc/systemd/system/docker.service.d/gpu-workbench-boot.conf 0644 <<'UNIT'
# gpu-workbench: Docker starts at boot without holding up multi-user.target (written by the docker step).
[Unit]
DefaultDependencies=no
Requires=sysinit.target
After=sysinit.target basic.target
Conflicts=shutdown.target
Before=shutdown.target
UNIT
  if [ "$CHANGED" = 1 ]; then systemctl daemon-reload; fi
  systemctl is-enabled -q docker || systemctl enable docker
  systemctl is-active -q docker || systemctl start docker
fi
wait_docker
log "Docker $(docker version --format '{{.Server.Version}}')"
