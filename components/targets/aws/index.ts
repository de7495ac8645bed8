/**
 * `target: aws`: an EC2 GPU instance from the Deep Learning AMI. Its rules for the config core
 * (region, sizes and prices, EC2's 16 KB user data, the `aws` block), and its host (host.ts).
 */
import { awsRegionProblem, tagProblems } from "../../config/grammar";
import { gzipUserData } from "../../bootstrap/cloudinit";
import { registerTarget, TargetDefinition } from "../registry";
import { AWS_USER_DATA_LIMIT_BYTES } from "./builders";
import { awsStoppedCosts, AWS_STOPPED_COST_SOURCE } from "./costs";
import { deployAws } from "./host";
import { validateAws } from "./settings";
import { awsSizes } from "./sizes";

export const awsTarget: TargetDefinition = {
  legacyType: "gpu-workbench:index:AwsWorkbench",
  rules: {
    name: "aws",
    kind: "cloud",
    locationKey: "aws:region",
    locationHint: "region, e.g. ap-northeast-2",
    locationProblem: awsRegionProblem,
    sizes: awsSizes,
    defaultSize: "g4dn.xlarge",
    // The Deep Learning Base OSS NVIDIA Driver AMI ships the driver (R580 for V100), Docker and the toolkit.
    driverInstall: () => "preinstalled",
    defaultImage: (_size, gpu) => (gpu ? "gpu-ready" : "stock"),
    gpuReadyImage: () => ({}),
    // The team's image: an AMI made from a cleaned, stopped build instance (bake.ts).
    bakes: true,
    // EC2: 16 KB, counted before base64; always sent gzipped.
    userDataLimit: { maxBytes: AWS_USER_DATA_LIMIT_BYTES, encoding: "gzip", name: "EC2's user-data limit", sentBytes: (text) => gzipUserData(text).length },
    ownKeys: ["aws"],
    storage: { s3: "identity" },
    tagProblems: (key, value) => tagProblems("aws", key, value),
    validate: validateAws,
    // AWS images run EC2 Instance Connect's key lookup as this account; it reads the metadata endpoint.
    metadataAllow: ["ec2-instance-connect"],
    // The EBS data volume attaches after the instance runs: the step waits for it.
    // A volume from an AMI's snapshot loads each block from S3 on its first read (EBS initialization):
    // the apps' first start on a baked AMI reads their image files so. A planning figure.
    readyFigures: { provisionMinutes: 2, datadiskMinutes: 1, bakedFirstReadMinutes: 1 },
    stoppedCosts: awsStoppedCosts,
    stoppedCostRegion: AWS_STOPPED_COST_SOURCE.region,
  },
  deploy: deployAws,
};

registerTarget(awsTarget);

export { AwsGpuInstance } from "./instance";
export type { AwsGpuInstanceArgs } from "./instance";
export { awsSettings } from "./settings";
export type { AwsSettings } from "./settings";
