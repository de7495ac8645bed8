/**
 * Pure pieces of a Spark cluster on Azure (workers.ts builds the resources): the workers' subnet,
 * the NSG rules between head and workers, the self-deallocate a worker runs when its head is gone,
 * and the resume command. No resources here; tested without mocks.
 *
 * Azure's default NSG rules let the whole VNet in (AllowVnetInBound, priority 65000): the cluster's
 * rules therefore end with an explicit deny of the VNet, so head and workers reach each other on
 * exactly Spark's ports (and the workers' SSH from the head), nothing else.
 */
import { SPARK_PORT_LIST } from "../../cluster/spark";

/** The workers' subnet in the created VNet (10.42.0.0/16 by default, beside 10.42.1.0/24 and the Bastion's 10.42.2.0/26). */
export const DEFAULT_AZURE_WORKER_SUBNET_CIDR = "10.42.3.0/24";

/** One inline NSG rule between cluster members, shaped as azure-native's `securityRules` entry. */
export interface ClusterNsgRule {
  name: string;
  priority: number;
  direction: "Inbound";
  access: "Allow" | "Deny";
  protocol: "Tcp" | "*";
  sourcePortRange: "*";
  sourceAddressPrefix?: string;
  sourceApplicationSecurityGroups?: { id: string }[];
  destinationAddressPrefix?: string;
  destinationApplicationSecurityGroups?: { id: string }[];
  destinationPortRange?: string;
  destinationPortRanges?: string[];
  description: string;
}

/** The application security groups: every member's NIC joins `cluster`; the head's also joins `head`. */
export interface ClusterAsgs {
  cluster: string;
  head: string;
}

/** Spark's fixed ports, from a cluster member to a cluster member. */
function sparkRule(asgs: ClusterAsgs): ClusterNsgRule {
  return {
    name: "allow-spark-within-cluster",
    priority: 300,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourcePortRange: "*",
    sourceApplicationSecurityGroups: [{ id: asgs.cluster }],
    destinationApplicationSecurityGroups: [{ id: asgs.cluster }],
    destinationPortRanges: SPARK_PORT_LIST.map(String),
    description: "Spark's fixed ports between the cluster's head and workers",
  };
}

/** Overrides Azure's default AllowVnetInBound: nothing else from inside the VNet. */
const DENY_VNET: ClusterNsgRule = {
  name: "deny-vnet-inbound",
  priority: 4000,
  direction: "Inbound",
  access: "Deny",
  protocol: "*",
  sourcePortRange: "*",
  sourceAddressPrefix: "VirtualNetwork",
  destinationAddressPrefix: "*",
  destinationPortRange: "*",
  description: "nothing else from the VNet (Azure's default rule would let all of it in)",
};

/** The rules the head's NSG adds with a cluster (after its own: SSH and apps from allowedCidrs). */
export function headClusterRules(asgs: ClusterAsgs): ClusterNsgRule[] {
  return [sparkRule(asgs), DENY_VNET];
}

/** The workers' NSG: SSH from the head only, Spark's ports within the cluster, nothing else (and nothing from the internet: Azure's default denies it). */
export function workerNsgRules(asgs: ClusterAsgs): ClusterNsgRule[] {
  return [
    {
      name: "allow-ssh-from-head",
      priority: 100,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourcePortRange: "*",
      sourceApplicationSecurityGroups: [{ id: asgs.head }],
      destinationAddressPrefix: "*",
      destinationPortRange: "22",
      description: "SSH from the head only (the deployer's jump)",
    },
    sparkRule(asgs),
    DENY_VNET,
  ];
}

/** The compute API version of the deallocate call (the idle check's). */
const ARM_API = "2024-11-01";

/**
 * What a worker runs when its head has gone silent (components/cluster/spark.ts followHeadScript):
 * it deallocates itself through its own identity, whose only compute grant is that on this VM (a
 * powered-off Azure VM stays allocated and billed). A failure is logged and tried again at the
 * next check. GW_IMDS_URL, GW_ARM_URL: for tests. The token is never logged.
 */
export function azureFollowHeadStop(): string[] {
  return [
    "imds=${GW_IMDS_URL:-http://169.254.169.254}",
    "json=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true \"$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F\" 2>/dev/null) || { logger -t gw-follow-head 'deallocate: no token from the metadata endpoint'; exit 1; }",
    '[[ $json =~ \\"access_token\\":\\ *\\"([^\\"]+)\\" ]] || { logger -t gw-follow-head "deallocate: the metadata endpoint\'s answer has no access_token"; exit 1; }',
    "token=${BASH_REMATCH[1]}",
    "vm=$(curl -fsS -m 20 --noproxy '*' -H Metadata:true \"$imds/metadata/instance/compute/resourceId?api-version=2021-02-01&format=text\" 2>/dev/null)",
    "[[ $vm =~ ^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Compute/virtualMachines/[^/]+$ ]] || { logger -t gw-follow-head 'deallocate: no VM resource id from the metadata endpoint'; exit 1; }",
    `code=$(printf 'Authorization: Bearer %s\\n' "$token" | curl -sS -m 60 -o /dev/null -w '%{http_code}' -X POST -H @- -H 'Content-Length: 0' "\${GW_ARM_URL:-https://management.azure.com}$vm/deallocate?api-version=${ARM_API}" 2>/dev/null)`,
    'case $code in 200 | 202) logger -t gw-follow-head "deallocate: requested for $vm (HTTP $code)" ;; *) logger -t gw-follow-head "deallocate: refused (HTTP ${code:0:100}); trying again at the next check"; exit 1 ;; esac',
  ];
}
