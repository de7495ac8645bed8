/**
 * The storage components and their wiring under Pulumi's mocks: the exact resources and inputs
 * (role definition id, scope, principal, public access off, shared keys off, TLS, encryption,
 * versioning, TLS-only policy, retain on delete), the grants before the ready check, the
 * containers' binds, the `storage` output, no credential in the plan, and nothing registered for a
 * bad storage config.
 */
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, Registration, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { redact } from "../../scripts/lib/render";
import { regionFor } from "../support/badConfigs";
import { badStorageConfigs } from "../support/badStorageConfigs";
import { deployableConfig } from "../support/fixtures";

let recorder: MockRecorder;
let wbModule: typeof import("../../components/workbench");
let AdlsGen2Storage: typeof import("../../components/storage/adls").AdlsGen2Storage;
let S3Storage: typeof import("../../components/storage/s3").S3Storage;
const retain = new Map<string, boolean>();
const dependencies = new Map<string, string[]>();
const SUB = "/subscriptions/00000000-0000-4000-8000-000000000000";
const CONTRIBUTOR = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`;
const READER = `${SUB}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1`;
const SECRET_KEY = "wJalrXUtnFEMI-K7MDENG-not-a-real-key";

interface Req {
  getName(): string;
  getRetainondelete(): boolean;
  getDependenciesList(): string[];
}

beforeAll(async () => {
  recorder = await installMocks({ stack: "storage-test", preview: false });
  // The mocks answer AWS calls in the region the provider is configured for, as AWS would.
  pulumi.runtime.setConfig("aws:region", "ap-northeast-2");
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource: (req: Req, cb: unknown) => void };
  const inner = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    retain.set(req.getName(), req.getRetainondelete());
    dependencies.set(
      req.getName(),
      req.getDependenciesList().map((urn) => urn.split("::").pop()!),
    );
    inner(req, cb);
  };
  wbModule = await import("../../components/workbench");
  ({ AdlsGen2Storage } = await import("../../components/storage/adls"));
  ({ S3Storage } = await import("../../components/storage/s3"));
});

async function settle(): Promise<void> {
  let n = -1;
  while (n !== recorder.registrations.length) {
    n = recorder.registrations.length;
    await new Promise((r) => setTimeout(r, 100));
  }
}
const childrenOf = (parent: string) =>
  recorder.registrations
    .filter((r) => r.parent === parent)
    .map((r) => `${r.type} ${r.name}`)
    .sort();
const reg = (name: string): Registration => {
  const found = recorder.registrations.filter((r) => r.name === name);
  expect(found).toHaveLength(1);
  return found[0];
};
const plain = (name: string) => unwrapSecrets(reg(name).inputs) as Record<string, unknown>;

test("bad storage configs register nothing", async () => {
  const before = recorder.registrations.length;
  for (const c of badStorageConfigs) {
    expect(() => wbModule.createWorkbench(`bad-${badStorageConfigs.indexOf(c)}`, { config: c.raw as never, region: regionFor(c) })).toThrow(c.message);
  }
  await settle();
  expect(recorder.registrations.length).toBe(before);
});

describe("azure: a new filesystem and an existing read-only one", () => {
  let wb: ReturnType<typeof wbModule.createWorkbench>;
  beforeAll(async () => {
    wb = wbModule.createWorkbench("az", {
      region: "koreacentral",
      config: deployableConfig({
        storage: [
          { name: "lake", kind: "adls2", account: "acmelake", container: "raw" },
          {
            name: "ref",
            kind: "adls2",
            create: false,
            account: "acmeshared",
            resourceGroupName: "rg-data",
            container: "reference",
            readOnly: true,
            users: ["minji"],
          },
        ],
      }) as never,
    });
    await valueOf(wb.appUrls);
    await settle();
  });

  test("exact children: the account, its filesystem and the grant; for the existing account only the grant", () => {
    expect(childrenOf("az").filter((c) => c.includes("storage"))).toEqual([
      "gpu-workbench:index:AdlsGen2Storage az-storage-lake",
      "gpu-workbench:index:AdlsGen2Storage az-storage-ref",
    ]);
    expect(childrenOf("az-storage-lake")).toEqual([
      "azure-native:authorization:RoleAssignment az-storage-lake-grant",
      "azure-native:storage:BlobContainer az-storage-lake-filesystem",
      "azure-native:storage:StorageAccount az-storage-lake-account",
    ]);
    expect(childrenOf("az-storage-ref")).toEqual(["azure-native:authorization:RoleAssignment az-storage-ref-grant"]);
    expect(recorder.invocations.filter((i) => i.token === "azure-native:storage:getStorageAccount").map((i) => i.inputs)).toEqual([
      { accountName: "acmeshared", resourceGroupName: "rg-data" },
    ]);
  });

  test("the account: StorageV2, hierarchical namespace, no public blobs, no shared keys, HTTPS and TLS 1.2, encrypted, kept", () => {
    expect(plain("az-storage-lake-account")).toEqual({
      accountName: "acmelake",
      // The VM's own (generated) resource group.
      resourceGroupName: expect.stringMatching(/^az-host-rg[0-9a-f]{8}$/),
      location: "koreacentral",
      kind: "StorageV2",
      sku: { name: "Standard_LRS" },
      isHnsEnabled: true,
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      encryption: { keySource: "Microsoft.Storage", services: { blob: { enabled: true, keyType: "Account" }, file: { enabled: true, keyType: "Account" } } },
      tags: { "gpu-workbench": "az" },
    });
    expect(plain("az-storage-lake-filesystem")).toEqual({
      accountName: "acmelake",
      resourceGroupName: plain("az-storage-lake-account").resourceGroupName,
      containerName: "raw",
      publicAccess: "None",
    });
    expect([retain.get("az-storage-lake-account"), retain.get("az-storage-lake-filesystem"), retain.get("az-storage-lake-grant")]).toEqual([true, true, false]);
  });

  test("the grants: Contributor or Reader, on the filesystem only, to the VM's identity", async () => {
    const principalId = await valueOf(wb.identity);
    expect(principalId).toMatch(/^[0-9a-f]{8}-1111-/);
    const rg = plain("az-storage-lake-account").resourceGroupName;
    expect(plain("az-storage-lake-grant")).toEqual({
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: CONTRIBUTOR,
      scope: `${SUB}/resourceGroups/${rg}/providers/Mock/StorageAccount/az-storage-lake-account/blobServices/default/containers/raw`,
      description: "gpu-workbench az-storage-lake: read and write raw from the VM's managed identity",
    });
    expect(plain("az-storage-ref-grant")).toEqual({
      principalId,
      principalType: "ServicePrincipal",
      roleDefinitionId: READER,
      scope: `${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/acmeshared/blobServices/default/containers/reference`,
      description: "gpu-workbench az-storage-ref: read reference from the VM's managed identity",
    });
  });

  test("the ready check waits for the grants; the containers bind the gates rslave and join the groups", () => {
    // The host's children (and the pinned key), and every storage child: the grants exist before the bootstrap is waited for.
    expect(dependencies.get("az-ready")!.sort()).toEqual(
      [...childrenOf("az-host"), ...childrenOf("az-storage-lake"), ...childrenOf("az-storage-ref")]
        .map((c) => c.split(" ")[1])
        .concat("az-host-key")
        .sort(),
    );
    const c = plain("az-apps-jupyter-pytorch");
    expect([c.mounts, c.groupAdds]).toEqual([
      [
        { type: "bind", source: "/mnt/lake", target: "/mnt/lake", readOnly: false, bindOptions: { propagation: "rslave" } },
        { type: "bind", source: "/mnt/ref", target: "/mnt/ref", readOnly: true, bindOptions: { propagation: "rslave" } },
      ],
      ["70000", "70001"],
    ]);
  });

  test("the storage output: where each mount is and who may use it", async () => {
    expect(await valueOf(wb.storage)).toEqual({
      lake: {
        kind: "adls2",
        path: "/mnt/lake/raw",
        source: "abfss://raw@acmelake.dfs.core.windows.net/",
        readOnly: false,
        users: ["daniel", "minji"],
        group: "gw-mnt-lake",
      },
      ref: {
        kind: "adls2",
        path: "/mnt/ref/reference",
        source: "abfss://reference@acmeshared.dfs.core.windows.net/",
        readOnly: true,
        users: ["minji"],
        group: "gw-mnt-ref",
      },
    });
  });
});

describe("aws: a new bucket and an existing read-only one", () => {
  beforeAll(async () => {
    const wb = wbModule.createWorkbench("aw", {
      region: "ap-northeast-2",
      config: deployableConfig({
        target: "aws",
        size: "g5.xlarge",
        storage: [
          { name: "lake", kind: "s3", bucket: "acme-lake" },
          { name: "ref", kind: "s3", create: false, bucket: "acme-ref", region: "us-east-1", readOnly: true },
        ],
      }) as never,
    });
    await valueOf(wb.appUrls);
    await settle();
  });

  test("exact children: the bucket and its four settings, and the grant; for the existing bucket only the grant", () => {
    expect(childrenOf("aw-storage-lake")).toEqual([
      "aws:iam/rolePolicy:RolePolicy aw-storage-lake-grant",
      "aws:s3/bucket:Bucket aw-storage-lake-bucket",
      "aws:s3/bucketPolicy:BucketPolicy aw-storage-lake-tls-only",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock aw-storage-lake-public-access-block",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration aw-storage-lake-encryption",
      "aws:s3/bucketVersioning:BucketVersioning aw-storage-lake-versioning",
    ]);
    expect(childrenOf("aw-storage-ref")).toEqual(["aws:iam/rolePolicy:RolePolicy aw-storage-ref-grant"]);
    expect(recorder.invocations.filter((i) => i.token === "aws:s3/getBucket:getBucket").map((i) => i.inputs)).toEqual([{ bucket: "acme-ref" }]);
  });

  test("the bucket: all four public-access blocks, SSE, versioning, TLS only; all of it kept on delete", () => {
    const id = "aw-storage-lake-bucket-id";
    expect(plain("aw-storage-lake-bucket")).toEqual({ bucket: "acme-lake", forceDestroy: false, tags: { "gpu-workbench": "aw" } });
    expect(plain("aw-storage-lake-public-access-block")).toEqual({
      bucket: id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(plain("aw-storage-lake-encryption")).toEqual({
      bucket: id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });
    expect(plain("aw-storage-lake-versioning")).toEqual({ bucket: id, versioningConfiguration: { status: "Enabled" } });
    expect(JSON.parse(plain("aw-storage-lake-tls-only").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: ["arn:aws:s3:::acme-lake", "arn:aws:s3:::acme-lake/*"],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    });
    expect(dependencies.get("aw-storage-lake-tls-only")).toContain("aw-storage-lake-public-access-block");
    for (const n of ["bucket", "public-access-block", "encryption", "versioning", "tls-only"])
      expect([n, retain.get(`aw-storage-lake-${n}`)]).toEqual([n, true]);
    expect(retain.get("aw-storage-lake-grant")).toBe(false);
  });

  test("the grants: on the instance role, List on the bucket, Get/Put/Delete on its objects; read-only: Get and List", () => {
    expect(plain("aw-storage-lake-grant").role).toBe("aw-host-role-id");
    expect(JSON.parse(plain("aw-storage-lake-grant").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListTheBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::acme-lake"] },
        {
          Sid: "ReadWriteObjects",
          Effect: "Allow",
          Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
          Resource: ["arn:aws:s3:::acme-lake/*"],
        },
      ],
    });
    expect(JSON.parse(plain("aw-storage-ref-grant").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "ListTheBucket", Effect: "Allow", Action: ["s3:ListBucket"], Resource: ["arn:aws:s3:::acme-ref"] },
        { Sid: "ReadObjects", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::acme-ref/*"] },
      ],
    });
    expect(recorder.registrations.filter((r) => /accessKey/i.test(r.type))).toEqual([]);
    expect(dependencies.get("aw-ready")!.sort()).toEqual(
      [...childrenOf("aw-host"), ...childrenOf("aw-storage-lake"), ...childrenOf("aw-storage-ref")]
        .map((c) => c.split(" ")[1])
        .concat("aw-host-key")
        .sort(),
    );
  });
});

describe("ssh: an S3-compatible store with keys", () => {
  beforeAll(async () => {
    const raw = deployableConfig({
      target: "ssh",
      ssh: { host: "gpu1.example.com", hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI" },
      storage: [
        { name: "lake", kind: "s3", bucket: "lake", endpoint: "https://s3.lab.example.com:9000", accessKeyId: "AKIDEXAMPLE", secretAccessKey: SECRET_KEY },
      ],
    });
    delete raw.size;
    delete raw.allowedCidrs;
    const wb = wbModule.createWorkbench("sh", { config: raw as never });
    await valueOf(wb.appUrls);
    await settle();
  });

  test("the secret key reaches the host only inside a secret; the plan shows no part of it", () => {
    const step = reg("sh-bootstrap-storage");
    expect(JSON.stringify(step.inputs.stdin)).toContain("4dabf18193072939515e22adb298388d");
    expect(unwrapSecrets(step.inputs.stdin) as string).toContain(`GW_STORAGE_PASSWD_0=AKIDEXAMPLE:${SECRET_KEY}`);
    const everything = JSON.stringify(recorder.registrations.filter((r) => r.name.startsWith("sh")).map((r) => redact(r.inputs)));
    expect(everything).not.toContain(SECRET_KEY);
    expect(everything).not.toContain(SECRET_KEY.slice(0, 12));
  });
});

describe("local: an S3-compatible store on this machine", () => {
  beforeAll(async () => {
    const raw = deployableConfig({
      target: "local",
      apps: [{ kind: "jupyter" }],
      storage: [
        {
          name: "lake",
          kind: "s3",
          bucket: "lake",
          endpoint: "http://127.0.0.1:9000",
          accessKeyId: "AKIDLOCAL",
          secretAccessKey: SECRET_KEY,
          users: ["daniel"],
        },
      ],
    });
    delete raw.size;
    delete raw.allowedCidrs;
    const wb = wbModule.createWorkbench("lo", { config: raw as never });
    await valueOf(wb.appUrls);
    await settle();
  });

  test("the storage step runs under sudo as a secret command before the apps, which bind the gate", () => {
    const step = reg("lo-storage");
    expect(step.type).toBe("command:local:Command");
    expect(step.inputs.create).toBe("sudo -n bash -s");
    expect(unwrapSecrets(step.inputs.stdin) as string).toContain(`GW_STORAGE_PASSWD_0=AKIDLOCAL:${SECRET_KEY}`);
    expect(JSON.stringify(redact(step.inputs))).not.toContain(SECRET_KEY);
    expect(dependencies.get("lo-apps")).toEqual(["lo-data-dirs", "lo-storage"]);
    expect([plain("lo-apps-jupyter").mounts, plain("lo-apps-jupyter").groupAdds]).toEqual([
      [{ type: "bind", source: "/mnt/lake", target: "/mnt/lake", readOnly: false, bindOptions: { propagation: "rslave" } }],
      ["70000"],
    ]);
  });
});

describe("the components on their own", () => {
  test("AdlsGen2Storage and S3Storage refuse bad names before registering anything", async () => {
    const before = recorder.registrations.length;
    expect(
      () => new AdlsGen2Storage("x", { accountName: "Bad_Name", filesystem: "raw", resourceGroupName: "rg", location: "koreacentral", principalId: "p" }),
    ).toThrow('AdlsGen2Storage x: "Bad_Name" is not a storage account name; use 3-24 lowercase letters and digits (Azure\'s rule; it must be globally unique)');
    expect(() => new AdlsGen2Storage("x", { accountName: "acme", filesystem: "raw", resourceGroupName: "rg", principalId: "p" })).toThrow(
      "AdlsGen2Storage x: location is required to create an account",
    );
    expect(() => new S3Storage("x", { bucketName: "acme.lake", roleName: "r" })).toThrow(
      'S3Storage x: "acme.lake" has dots, which break TLS for AWS\'s virtual-hosted requests; use "-" instead of "."',
    );
    await settle();
    expect(recorder.registrations.length).toBe(before);
  });
});
