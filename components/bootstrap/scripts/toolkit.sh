#!/bin/bash
# toolkit: the NVIDIA Container Toolkit from NVIDIA's repository, Docker's nvidia runtime, and the
# proof: nvidia-smi on the host and inside a GPU container.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
gw_begin toolkit

if [ "${GW_GPU_COUNT:-0}" = 0 ]; then
  log "no GPU: skipped"
  exit 0
fi
if ! have nvidia-ctk && [ "${GW_IMAGE:-stock}" != stock ]; then
  # A GPU-ready or baked image holds the toolkit: verify, never install over a wrong image.
  die "the NVIDIA Container Toolkit is not on this machine, but its ${GW_IMAGE} image should hold it: the VM booted another image than the workbench names"
fi
if ! have nvidia-ctk; then
  # shellcheck disable=SC2016 # $(ARCH) is apt's, not the shell's
  apt_repo nvidia-container-toolkit https://nvidia.github.io/libnvidia-container/gpgkey \
    'deb [signed-by={key}] https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /'
  apt_install nvidia-container-toolkit
fi
if ! grep -q '"nvidia"' /etc/docker/daemon.json 2>/dev/null; then
  nvidia-ctk runtime configure --runtime=docker
  if have_systemd; then systemctl restart docker; fi
fi
wait_docker

nvidia-smi -L >&2 || die "nvidia-smi fails on the host: $(nvidia-smi 2>&1 | head -n1)"
image=${GW_CUDA_IMAGE:-nvidia/cuda:12.2.2-base-ubuntu22.04}
out=$(docker run --rm --gpus all -e NVIDIA_DISABLE_REQUIRE=1 "$image" nvidia-smi -L 2>&1) ||
  die "a GPU container ($image) cannot use the GPU: $(printf '%s' "$out" | tail -n1)"
log "GPU container: $out"
