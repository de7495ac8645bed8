#!/bin/bash
# bake-stop: the last act on a bake's build machine, after bake-clean.sh: flush the disk and stop
# the machine so its OS disk is captured at rest. On Azure the VM deallocates itself (a shutdown
# from inside leaves it allocated and billed) with its managed identity, whose only grant is that
# (AzureVmSelfDeallocate on the build VM). On AWS it leaves the stop to EC2: the deployer's
# InstanceState calls StopInstances (a clean shutdown) and waits for EC2's "stopped", so a power-off
# from inside would only race it. Elsewhere it powers off. Root; standalone.
#   GW_TARGET              azure | aws | ...
#   GW_IMDS_URL GW_ARM_URL for tests
set -euo pipefail
ARM_API=2024-11-01
say() { printf 'gpu-workbench[bake-stop]: %s\n' "$*" >&2 || true; }

[ "$(id -u)" = 0 ] || {
  say "run it as root"
  exit 1
}
sync
if [ "${GW_TARGET:-}" = aws ]; then
  say "synced; EC2 stops the instance (the deployer's StopInstances)"
  exit 0
fi
if [ "${GW_TARGET:-}" != azure ]; then
  say "powering off"
  systemd-run --quiet --on-active=3 systemctl poweroff
  exit 0
fi
imds=${GW_IMDS_URL:-http://169.254.169.254}
json=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F" 2>&1) || {
  say "no token from the metadata endpoint (${json:0:200})"
  exit 1
}
# Never log the answer: it holds a token.
[[ $json =~ \"access_token\":\ *\"([^\"]+)\" ]] || {
  say "the metadata endpoint's answer has no access_token"
  exit 1
}
token=${BASH_REMATCH[1]}
vm=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true "$imds/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text" 2>&1) || {
  say "no VM resource id from the metadata endpoint (${vm:0:200})"
  exit 1
}
[[ $vm =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/virtualMachines/[^/]+$ ]] || {
  say "not a VM resource id: ${vm:0:200}"
  exit 1
}
out=$(mktemp)
code=$(printf 'Authorization: Bearer %s\n' "$token" |
  curl -sS -m 60 -o "$out" -w '%{http_code}' -X POST -H @- -H 'Content-Length: 0' "${GW_ARM_URL:-https://management.azure.com}$vm/deallocate?api-version=$ARM_API" 2>&1) || true
case $code in
  200 | 202) say "deallocate requested for $vm (HTTP $code)" ;;
  *)
    say "deallocate refused (HTTP ${code:0:100}): $(head -c 300 "$out" | tr '\n' ' ')"
    exit 1
    ;;
esac
