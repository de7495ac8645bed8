/**
 * S3Storage: an S3 bucket the instance mounts, and the one policy on the instance role that lets
 * it in. No access key is created: s3fs takes the role's short-lived credentials from IMDSv2.
 */
import * as pulumi from "@pulumi/pulumi";
import * as iam from "@pulumi/aws/iam";
import * as s3 from "@pulumi/aws/s3";
import { s3BucketNameProblem } from "../config/storageNames";
import { bucketAccessPolicy, tlsOnlyBucketPolicy } from "./grants";

export interface S3StorageArgs {
  /** The bucket's name (S3's naming rules, no dots: TLS with virtual-hosted requests), globally unique. */
  bucketName: string;
  /** true (default): create the bucket in the provider's region; false: it exists, only the grant is made. */
  create?: boolean | undefined;
  /** The instance role's name (its id) that gets the bucket policy. */
  roleName: pulumi.Input<string>;
  /** s3:GetObject and s3:ListBucket only. Default false (also s3:PutObject, s3:DeleteObject, s3:AbortMultipartUpload). */
  readOnly?: boolean | undefined;
  /** Tags on a new bucket. */
  tags?: Record<string, string> | undefined;
}

/**
 * An S3 bucket and an inline policy on the instance role scoped to it. A new bucket has all four
 * public-access blocks on, default encryption (SSE-S3), versioning (an overwritten or deleted file
 * can be restored) and a policy that denies any request not made over TLS. The bucket and its
 * settings are kept when the stack is destroyed (`retainOnDelete`): a destroy must neither delete
 * the data nor strip the bucket of its protections.
 */
export class S3Storage extends pulumi.ComponentResource {
  /** The bucket's name. */
  public readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN. */
  public readonly bucketArn: pulumi.Output<string>;
  /** The instance role policy's name. */
  public readonly grantName: pulumi.Output<string>;
  /** The instance role policy's document (JSON). */
  public readonly grantPolicy: pulumi.Output<string>;

  constructor(name: string, args: S3StorageArgs, opts?: pulumi.ComponentResourceOptions) {
    const problem = s3BucketNameProblem(args.bucketName, true);
    if (problem) throw new Error(`S3Storage ${name}: ${problem}`);
    super("gpu-workbench:index:S3Storage", name, {}, opts);
    const create = args.create ?? true;
    const readOnly = args.readOnly ?? false;
    const kept = { parent: this, retainOnDelete: true };

    let bucketArn: pulumi.Output<string>;
    if (create) {
      const bucket = new s3.Bucket(`${name}-bucket`, { bucket: args.bucketName, forceDestroy: false, tags: args.tags }, kept);
      const blocks = new s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        {
          bucket: bucket.id,
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
        kept,
      );
      new s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
          bucket: bucket.id,
          rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
        },
        kept,
      );
      new s3.BucketVersioning(
        `${name}-versioning`,
        {
          bucket: bucket.id,
          versioningConfiguration: { status: "Enabled" },
        },
        kept,
      );
      // After the blocks: S3 checks a new policy against them.
      new s3.BucketPolicy(
        `${name}-tls-only`,
        {
          bucket: bucket.id,
          policy: bucket.arn.apply(tlsOnlyBucketPolicy),
        },
        { ...kept, dependsOn: [blocks] },
      );
      bucketArn = bucket.arn;
    } else {
      // Looked up at preview: a wrong name fails before anything is created.
      bucketArn = s3.getBucketOutput({ bucket: args.bucketName }, { parent: this }).arn;
    }

    const policy = bucketArn.apply((arn) => bucketAccessPolicy(arn, readOnly));
    const grant = new iam.RolePolicy(`${name}-grant`, { role: args.roleName, policy }, { parent: this });

    this.bucketName = pulumi.output(args.bucketName);
    this.bucketArn = bucketArn;
    this.grantName = grant.name;
    this.grantPolicy = policy;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn, grantName: this.grantName, grantPolicy: this.grantPolicy });
  }
}
