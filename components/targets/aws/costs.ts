/** What an AWS workbench bills while stopped: gp3 volumes, the Elastic IP, and with pullCache the ECR cache's storage. */
import { FixedCost, publicIpCost } from "../../config/costs";
import type { WorkbenchSpec } from "../../config/spec";
import { HOURS_PER_MONTH } from "../../config/sizes";
import { SESSION_MANAGER_ENDPOINTS } from "./builders";
import { pullCacheMonth } from "./pullCachePlan";
import { awsSettings } from "./settings";

/** EBS gp3 (3000 IOPS and 125 MB/s included, which is what the workbench provisions), USD per GB-month. */
const AWS_GP3_PER_GB_MONTH = 0.08;

/** EBS snapshots, standard tier, USD per GB-month of the blocks the snapshot holds (an AMI's snapshot bills so). */
export const AWS_SNAPSHOT_PER_GB_MONTH = 0.05;

export const AWS_STOPPED_COST_SOURCE = {
  priceDate: "2026-11-25",
  source:
    "EBS gp3 USD 0.08/GB-month, EBS snapshots (standard) USD 0.05/GB-month and public IPv4 USD 0.005/h (AWS list prices, us-east-1; not read from AWS here)",
  region: "us-east-1",
};

function awsDisk(label: string, gb: number): FixedCost {
  return { label: `${label} ${gb} GB (gp3)`, monthly: Math.round(gb * AWS_GP3_PER_GB_MONTH * 100) / 100 };
}

/**
 * An interface VPC endpoint, USD per endpoint-hour in one availability zone (AWS PrivateLink
 * pricing, https://aws.amazon.com/privatelink/pricing/, us-east-1, read 2026-12-06; data
 * processed, USD 0.01/GB, is not modeled: a session's traffic is small).
 */
export const AWS_INTERFACE_ENDPOINT_PER_HOUR = 0.01;

/**
 * A baked image bills every month whether the workbench runs or not: the build instance stays,
 * stopped, with its OS volume (no address: it has no Elastic IP), and the AMI's snapshot. A
 * snapshot holds the blocks ever written; bake-clean.sh writes zeros over the free space, so unless
 * EBS drops them (only a cloud can tell) the whole OS disk is the figure: an upper bound.
 */
export function awsBakedImageCosts(osDiskGb: number): FixedCost[] {
  return [
    awsDisk("baked image: the stopped build instance's OS disk", osDiskGb),
    {
      label: `baked image: the AMI's snapshot, at most ${osDiskGb} GB (EBS snapshot USD ${AWS_SNAPSHOT_PER_GB_MONTH}/GB-month)`,
      monthly: Math.round(osDiskGb * AWS_SNAPSHOT_PER_GB_MONTH * 100) / 100,
    },
  ];
}

/**
 * The OS volume, the data volume and the Elastic IP of an AWS workbench, by the month. With
 * access: private there is no Elastic IP, and the three Session Manager endpoints (one zone each)
 * bill every hour instead (when the stack keeps aws.vpcEndpoints on, the default).
 */
export function awsStoppedCosts(osDiskGb: number, dataDiskGb: number, spec?: WorkbenchSpec): FixedCost[] {
  // With pullCache, ECR stores the cached images whether the machine runs or not.
  const cache = spec ? pullCacheMonth(spec, awsSettings(spec).pullCacheCredentials ?? {}) : undefined;
  const disks = [
    awsDisk("OS disk", osDiskGb),
    awsDisk("data disk", dataDiskGb),
    ...(spec?.image === "baked" ? awsBakedImageCosts(osDiskGb) : []),
    ...(cache ? [cache] : []),
  ];
  if (spec?.access !== "private") return [...disks, publicIpCost()];
  if (!awsSettings(spec).vpcEndpoints) return disks;
  const hourly = SESSION_MANAGER_ENDPOINTS.length * AWS_INTERFACE_ENDPOINT_PER_HOUR;
  return [
    ...disks,
    {
      label: `Session Manager interface endpoints (${SESSION_MANAGER_ENDPOINTS.join(", ")}): USD ${hourly.toFixed(2)}/h`,
      monthly: Math.round(hourly * HOURS_PER_MONTH * 100) / 100,
    },
  ];
}
