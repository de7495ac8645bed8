/**
 * The storage config contract: every bad input the issue lists gets its key path and fix, word for
 * word; a valid list is fully defaulted into plain StorageSpecs.
 */
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import { regionFor } from "../support/badConfigs";
import { badStorageConfigs } from "../support/badStorageConfigs";
import { rawConfig } from "../support/fixtures";

describe("bad storage configs", () => {
  test("each case is different", () => {
    expect(new Set(badStorageConfigs.map((c) => c.why)).size).toBe(badStorageConfigs.length);
  });

  test.each(badStorageConfigs.map((c) => [c.why, c] as const))("%s", (_why, c) => {
    let error: unknown;
    try {
      parseWorkbenchConfig(c.raw, { region: regionFor(c) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkbenchConfigError);
    expect((error as WorkbenchConfigError).problems).toEqual([c.message]);
  });
});

describe("a valid storage list", () => {
  test("azure: defaults filled, existing account keeps its group", () => {
    const spec = parseWorkbenchConfig(
      rawConfig({
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
            cacheGb: 8,
            mountPath: "/data/ref",
          },
        ],
      }),
      { region: "koreacentral" },
    );
    expect(spec.storage).toEqual([
      {
        name: "lake",
        kind: "adls2",
        create: true,
        account: "acmelake",
        container: "raw",
        resourceGroupName: undefined,
        bucket: undefined,
        region: undefined,
        endpoint: undefined,
        accessKeyId: undefined,
        secretAccessKey: undefined,
        readOnly: false,
        users: ["daniel", "minji"],
        cacheGb: 20,
        mountPath: "/mnt/lake",
      },
      {
        name: "ref",
        kind: "adls2",
        create: false,
        account: "acmeshared",
        container: "reference",
        resourceGroupName: "rg-data",
        bucket: undefined,
        region: undefined,
        endpoint: undefined,
        accessKeyId: undefined,
        secretAccessKey: undefined,
        readOnly: true,
        users: ["minji"],
        cacheGb: 8,
        mountPath: "/data/ref",
      },
    ]);
  });

  test("aws: a new bucket is in the stack's region, an existing one where it is", () => {
    const spec = parseWorkbenchConfig(
      rawConfig({
        target: "aws",
        size: "g5.xlarge",
        storage: [
          { name: "lake", kind: "s3", bucket: "acme-lake" },
          { name: "ref", kind: "s3", create: false, bucket: "acme-ref", region: "us-east-1", readOnly: true },
        ],
      }),
      { region: "ap-northeast-2" },
    );
    expect(spec.storage.map((s) => [s.name, s.create, s.bucket, s.region, s.readOnly, s.cacheGb, s.mountPath])).toEqual([
      ["lake", true, "acme-lake", "ap-northeast-2", false, undefined, "/mnt/lake"],
      ["ref", false, "acme-ref", "us-east-1", true, undefined, "/mnt/ref"],
    ]);
  });

  test("ssh: an S3-compatible endpoint with keys; plain http on loopback only; nothing is created", () => {
    const raw = rawConfig({
      target: "ssh",
      ssh: { host: "gpu1.example.com", hostPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI" },
      storage: [{ name: "lake", kind: "s3", bucket: "lake", endpoint: "http://127.0.0.1:4568", accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }],
    });
    delete raw.size;
    delete raw.allowedCidrs;
    const [s] = parseWorkbenchConfig(raw).storage;
    expect([s.create, s.endpoint, s.region, s.accessKeyId, s.secretAccessKey]).toEqual([false, "http://127.0.0.1:4568", "us-east-1", "S3RVER", "S3RVER"]);
  });

  test("no storage key: an empty list", () => {
    expect(parseWorkbenchConfig(rawConfig(), { region: "koreacentral" }).storage).toEqual([]);
  });
});
