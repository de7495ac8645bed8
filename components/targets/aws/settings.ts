/** `workbench.aws`: the AWS target's own keys, read by its validate hook. */
import { availabilityZoneProblem, q } from "../../config/grammar";
import { checked, checkedOrUndefined, type Checked } from "../../config/checked";
import { ECR_PULL_CACHE_SECRET_ARN, ECR_PULL_CACHE_SECRET_INVALID, keysOf } from "../../config/keys";
import type { WorkbenchSpec } from "../../config/spec";
import type { TargetConfigInput, TargetConfigOutput } from "../../config/targetRules";
import { awsSizes } from "./sizes";
import type { EcrCredentialKey } from "./pullCachePlan";
import { PULL_CACHE_CLUSTER_REFUSAL, pullCacheCredentialsMap } from "../pullCache";

export interface AwsSettings {
  /** Existing subnet id; undefined uses the default VPC's subnet in `availabilityZone`. */
  subnetId: Checked<"name"> | undefined;
  /** e.g. "ap-northeast-2a"; undefined lets the region pick "<region>a". */
  availabilityZone: Checked<"name"> | undefined;
  /**
   * access: private only: the `ssm`, `ssmmessages` and `ec2messages` interface endpoints in the
   * subnet, so Session Manager works without a NAT. Default true with access: private.
   */
  vpcEndpoints: boolean;
  /** cluster only: the workers' private subnet (NAT for their bootstrap), in the head's VPC. */
  workerSubnetId: Checked<"name"> | undefined;
  /** pullCache only: the Secrets Manager secret ARNs ECR signs in to Docker Hub and ghcr.io with. */
  pullCacheCredentials: Partial<Record<EcrCredentialKey, Checked<"token">>>;
}

/** The AWS settings of a spec whose target is aws. */
export function awsSettings(spec: WorkbenchSpec): AwsSettings {
  return spec.settings as unknown as AwsSettings;
}

export function validateAws(input: TargetConfigInput): TargetConfigOutput {
  const problemsBefore = input.problemCount();
  const raw = input.raw.aws === undefined ? {} : (input.object("workbench.aws", input.raw.aws, keysOf("aws")) ?? {});
  const subnetId = raw.subnetId === undefined ? undefined : input.string("workbench.aws.subnetId", raw.subnetId);
  if (subnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) {
    input.fail("workbench.aws.subnetId", `${q(subnetId)} is not a subnet id; expected subnet-0123456789abcdef0`);
  }
  const availabilityZone = raw.availabilityZone === undefined ? undefined : input.string("workbench.aws.availabilityZone", raw.availabilityZone);
  const azProblem = availabilityZone !== undefined && input.region ? availabilityZoneProblem(availabilityZone, input.region) : undefined;
  if (azProblem) input.fail("workbench.aws.availabilityZone", azProblem);
  // The instance boots the Deep Learning Base AMI on a GPU size: there is no stock-Ubuntu install path here.
  if (input.raw.image === "stock" && awsSizes.sizes[input.size]?.gpu) {
    input.fail(
      "workbench.image",
      `stock is not available for AWS GPU sizes in this version: ${input.size} boots the Deep Learning Base AMI (gpu-ready); remove image`,
    );
  }
  // The core has read workbench.access already (an invalid value is its problem, not ours).
  const isPrivate = input.raw.access === "private";
  if (isPrivate && subnetId === undefined) {
    input.fail(
      "workbench.aws.subnetId",
      "required with access: private: a default VPC's subnet reaches the internet only through a public address; give a private subnet whose route table has a NAT gateway (the bootstrap pulls packages and images)",
    );
  }
  let vpcEndpoints = isPrivate;
  if (raw.vpcEndpoints !== undefined) {
    if (typeof raw.vpcEndpoints !== "boolean") input.fail("workbench.aws.vpcEndpoints", "expected true or false");
    else if (!isPrivate)
      input.fail("workbench.aws.vpcEndpoints", "only with access: private (a public instance reaches Systems Manager over the internet); remove it");
    else vpcEndpoints = raw.vpcEndpoints;
  }
  // The build instance of a baked image is reached like the workbench, through Session Manager; the
  // workbench's endpoints are created with its own instance, after the image, and a second set in
  // the same VPC is refused by AWS (one private DNS name per service and VPC).
  if (isPrivate && vpcEndpoints && input.raw.image === "baked") {
    input.fail(
      "workbench.image",
      "baked is not available with access: private and aws.vpcEndpoints in this version: the image's build instance reaches Session Manager before the workbench's endpoints exist, and a second set in the same VPC collides with them; set aws.vpcEndpoints: false (a subnet whose NAT reaches Systems Manager) or use image: gpu-ready",
    );
  }
  const workerSubnetId = raw.workerSubnetId === undefined ? undefined : input.string("workbench.aws.workerSubnetId", raw.workerSubnetId);
  if (workerSubnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(workerSubnetId)) {
    input.fail("workbench.aws.workerSubnetId", `${q(workerSubnetId)} is not a subnet id; expected subnet-0123456789abcdef0`);
  }
  const cluster = input.raw.cluster !== undefined;
  if (cluster && raw.workerSubnetId === undefined) {
    input.fail(
      "workbench.aws.workerSubnetId",
      "required with cluster: the workers have no public address, so they reach the internet (packages, images, Maven Central) only through a NAT; give a private subnet in the head's VPC whose route table has a NAT gateway",
    );
  }
  if (!cluster && raw.workerSubnetId !== undefined) input.fail("workbench.aws.workerSubnetId", "only with cluster; remove it");
  const pullCacheCredentials = readPullCacheCredentials(input, raw.pullCacheCredentials);
  if (input.raw.pullCache === true && cluster) {
    input.fail("workbench.pullCache", PULL_CACHE_CLUSTER_REFUSAL);
  }
  if (problemsBefore < input.problemCount()) return {};
  const settings: AwsSettings = {
    subnetId: checkedOrUndefined("name", subnetId),
    availabilityZone: checkedOrUndefined("name", availabilityZone),
    vpcEndpoints,
    workerSubnetId: checkedOrUndefined("name", workerSubnetId),
    pullCacheCredentials,
  };
  return { settings: { ...settings } };
}

/** `aws.pullCacheCredentials`: only with pullCache; each secret in the stack's region (ECR reads a secret of its own region only). */
function readPullCacheCredentials(input: TargetConfigInput, value: unknown): Partial<Record<EcrCredentialKey, Checked<"token">>> {
  const path = "workbench.aws.pullCacheCredentials";
  const o = pullCacheCredentialsMap(input, "aws", value);
  if (!o) return {};
  const out: Partial<Record<EcrCredentialKey, Checked<"token">>> = {};
  for (const key of ["dockerHub", "ghcr"] as const) {
    if (o[key] === undefined) continue;
    const arn = input.string(`${path}.${key}`, o[key]);
    if (arn === undefined) continue;
    if (!new RegExp(ECR_PULL_CACHE_SECRET_ARN).test(arn)) {
      input.fail(`${path}.${key}`, ECR_PULL_CACHE_SECRET_INVALID.replace("{value}", q(arn)));
      continue;
    }
    const region = arn.split(":")[3];
    if (input.region && region !== input.region) {
      input.fail(
        `${path}.${key}`,
        `the secret is in ${region}, the stack in ${input.region}; ECR's pull-through cache reads a secret of its own region only: copy the secret to ${input.region}`,
      );
      continue;
    }
    out[key] = checked("token", arn);
  }
  return out;
}
