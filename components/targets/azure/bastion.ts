/**
 * Pure pieces of `access: private` on Azure: the Bastion's names and the ProxyCommand that carries
 * SSH through it. No resources here; tested without mocks.
 *
 * Azure Bastion's native-client path (Standard SKU or higher, `enableTunneling`) offers two
 * commands: `az network bastion ssh`, which runs its own ssh (so it cannot be a ProxyCommand), and
 * `az network bastion tunnel`, which listens on a local TCP port rather than on stdio. The
 * ProxyCommand is therefore a small POSIX sh wrapper: it starts the tunnel on a free loopback port,
 * waits for az's "Tunnel is ready" line, and joins ssh's stdin/stdout to that port with `nc`; when
 * ssh ends the session (it sends the ProxyCommand SIGHUP) the wrapper stops the tunnel. ssh still
 * checks the pinned host key of whatever answers, so a wrong tunnel or port fails closed.
 */
import { AZURE_GUID, q } from "../../config/grammar";

/** The subnet name Azure Bastion requires in the VNet (the platform keys off it). */
export const AZURE_BASTION_SUBNET_NAME = "AzureBastionSubnet";

/** The smallest AzureBastionSubnet Azure accepts (Standard SKU, from 2021-11-01 on): a /26. */
export const AZURE_BASTION_SUBNET_MAX_PREFIX = 26;

/** The created AzureBastionSubnet's default range (inside the default vnetCidr 10.42.0.0/16, beside 10.42.1.0/24). */
export const DEFAULT_AZURE_BASTION_SUBNET_CIDR = "10.42.2.0/26";

/**
 * Azure Bastion Standard, USD per hour (the host and its 2 included instances; outbound data is
 * billed apart and not modeled: an SSH session is small). Microsoft's list price for US regions,
 * read 2026-12-06 from a third-party copy of the Azure Bastion pricing page; the figure per region
 * could not be read from this project's machines, so the plan prices every region at it and says so.
 */
export const AZURE_BASTION_STANDARD_PRICE = {
  perHour: 0.29,
  region: "eastus",
  priceDate: "2026-12-06",
  source: "Azure Bastion pricing, Standard SKU USD 0.29/h (2 instances included; outbound data not modeled); US list price, not read per region here",
  verified: false,
} as const;

/**
 * NAT gateway, USD per hour (data processed, USD 0.045/GB, is not modeled): the private VM's way
 * out for packages and images. Azure list price, eastus, read 2026-12-06; not verified per region.
 */
export const AZURE_NAT_GATEWAY_PER_HOUR = 0.045;

/** The Bastion host's name: the VM's name (Azure's Linux VM grammar) and "-bastion" (at most 72 characters, within Azure's 80). */
export function bastionHostName(vmName: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(vmName))
    throw new Error(`Azure Bastion: VM name ${q(vmName)} is not an Azure VM name; refusing to derive a Bastion name`);
  return `${vmName}-bastion`;
}

/** What the ProxyCommand needs to reach the VM through the Bastion. */
export interface BastionTunnel {
  /** The Bastion host's name. */
  bastionName: string;
  /** The resource group that holds the Bastion. */
  resourceGroup: string;
  /** The VM's ARM resource id (`--target-resource-id`); its subscription is the Bastion's. */
  targetResourceId: string;
}

const RESOURCE_GROUP = /^[-\w.()]{1,90}$/;
const BASTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,78}[A-Za-z0-9_]$/;
const RESOURCE_ID = new RegExp(`^/subscriptions/(${AZURE_GUID})/resourceGroups/[-\\w.()]{1,90}/providers/[A-Za-z0-9._/-]+$`);

/**
 * The wrapper, as one sh -c script; its arguments: $1 subscription, $2 resource group, $3 Bastion
 * name, $4 VM resource id, $5 port. No `%` (ssh expands % tokens), `#` or `'` inside. The tunnel's
 * local port is 49152 + (the wrapper's pid & 8191); a port another process holds makes az exit, and
 * the wrapper fails (exit 255, ssh's own code for "could not connect", which the ready check retries).
 */
export const BASTION_TUNNEL_SCRIPT = [
  "exec 3<&0",
  "p=$((49152+($$&8191)))",
  "l=$(mktemp) || exit 255",
  'az network bastion tunnel --subscription "$1" --resource-group "$2" --name "$3" --target-resource-id "$4" --resource-port "$5" --port "$p" >"$l" 2>&1 &',
  "t=$!",
  'trap "kill $t 2>/dev/null; rm -f $l" EXIT',
  'trap "exit 255" HUP INT TERM',
  "i=0",
  'until grep -q "Tunnel is ready" "$l"; do if ! kill -0 $t 2>/dev/null || [ $i -ge 300 ]; then cat "$l" >&2; exit 255; fi; i=$((i+1)); sleep 0.2; done',
  'nc 127.0.0.1 "$p" <&3 &',
  "n=$!",
  'trap "kill $t $n 2>/dev/null; rm -f $l" EXIT',
  "wait $n",
]
  // A command sent to the background ends with "&", which must not be followed by ";".
  .map((c) => (c.endsWith("&") ? `${c} ` : `${c}; `))
  .join("")
  .trimEnd()
  .replace(/;$/, "");

/**
 * The ProxyCommand through Azure Bastion's native-client tunnel, every value checked against
 * Azure's grammar (they sit in double quotes: no `"`, `$`, backquote, backslash or `%` can pass).
 */
export function bastionProxyCommand(t: BastionTunnel): string {
  const id = RESOURCE_ID.exec(t.targetResourceId);
  if (!id) throw new Error(`Azure Bastion ProxyCommand: target resource id ${q(t.targetResourceId)} is not an ARM resource id; refusing to render it`);
  if (!RESOURCE_GROUP.test(t.resourceGroup))
    throw new Error(`Azure Bastion ProxyCommand: resource group ${q(t.resourceGroup)} is not an Azure resource group name; refusing to render it`);
  if (!BASTION_NAME.test(t.bastionName)) throw new Error(`Azure Bastion ProxyCommand: ${q(t.bastionName)} is not an Azure Bastion name; refusing to render it`);
  return `sh -c '${BASTION_TUNNEL_SCRIPT}' gw-bastion "${id[1]}" "${t.resourceGroup}" "${t.bastionName}" "${t.targetResourceId}" %p`;
}
