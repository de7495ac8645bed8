/**
 * The storage and metadata bootstrap steps as rendered: the step order, the per-mount files
 * (systemd unit, blobfuse2's config.yaml, s3fs's options), blobfuse2's config checked against the
 * keys its project documents, the cloud-init schema, shellcheck, systemd-analyze, snapshots, and
 * the AWS user-data limit with three mounts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { bootstrapScripts, gzipUserData, redactUserData, renderCloudInit, stepsFor } from "../../components/bootstrap";
import { storageScript } from "../../components/bootstrap/scripts";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { blobfuse2Config, containerStorageMounts, mountLayouts, mountUnit, s3fsOptions, storageMountInfo } from "../../components/storage/mounts";
import { BLOBFUSE2_DOCUMENTED, blobfuse2ConfigProblems } from "../support/blobfuse2Keys";
import { fakeSecrets, SIX_APPS, toolAvailable, USER_KEYS, USER_NAMES } from "../support/bootstrap-fixtures";

const SCRIPTS_DIR = path.join(__dirname, "../../components/bootstrap/scripts");
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM2Xe7akWuUKbDefId+7J/KVvXm35t1buxhlGirgBNuI";

function team(n: number) {
  return USER_NAMES.slice(0, n).map((name, i) => ({ name, sshPublicKey: USER_KEYS[name], ...(i === 0 ? { admin: true } : {}) }));
}
function spec(target: "azure" | "aws" | "ssh", storage: unknown[], o: { users?: number; apps?: unknown[]; rdp?: boolean } = {}): WorkbenchSpec {
  const raw: Record<string, unknown> = { target, users: team(o.users ?? 2), apps: o.apps ?? [{ kind: "jupyter" }], storage };
  if (target === "ssh") raw.ssh = { host: "gpu.example.test", hostPublicKey: HOST_KEY };
  else raw.allowedCidrs = ["203.0.113.7/32"];
  if (o.rdp) raw.rdp = true;
  return parseWorkbenchConfig(raw, { region: target === "aws" ? "ap-northeast-2" : target === "azure" ? "koreacentral" : undefined });
}
const AZURE = () =>
  spec("azure", [
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
    },
  ]);
const AWS = () =>
  spec("aws", [
    { name: "lake", kind: "s3", bucket: "acme-lake" },
    { name: "ref", kind: "s3", create: false, bucket: "acme-ref", region: "us-east-1", readOnly: true, users: ["daniel"], mountPath: "/data/ref" },
  ]);
const SSH = () =>
  spec("ssh", [
    {
      name: "lake",
      kind: "s3",
      bucket: "lake",
      endpoint: "https://s3.lab.example.test:9000",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "wJalrXUtnFEMI-not-a-real-key",
    },
  ]);
const envFile = (text: string) =>
  (parse(text) as { write_files: { path: string; content: string }[] }).write_files.find((f) => f.path.endsWith("bootstrap.env"))!.content;

describe("the steps", () => {
  test("cloud: the metadata guard before the users, the mounts after them; only with storage", () => {
    expect(stepsFor(AZURE(), "cloud-init")).toEqual(["datadisk", "metadata", "users", "storage", "docker", "prepull", "driver", "toolkit", "ready"]);
    expect(stepsFor(AWS(), "cloud-init")).toEqual(["datadisk", "metadata", "users", "storage", "docker", "prepull", "driver", "toolkit", "ready"]);
    expect(stepsFor(spec("aws", []), "cloud-init")).toEqual(["datadisk", "users", "docker", "prepull", "driver", "toolkit", "ready"]);
  });

  test("ssh: no machine identity to guard; the storage step carries the credentials and is secret", () => {
    const scripts = bootstrapScripts(SSH());
    expect(scripts.map((s) => [s.name, s.secret])).toEqual([
      ["datadisk", false],
      ["users", false],
      ["storage", true],
      ["docker", false],
      ["prepull", false],
      ["ready", false],
    ]);
    expect(scripts.find((s) => s.name === "storage")!.content).toContain("GW_STORAGE_PASSWD_0=AKIDEXAMPLE:wJalrXUtnFEMI-not-a-real-key\n");
    expect(
      scripts
        .filter((s) => s.name !== "storage")
        .map((s) => s.content)
        .join(""),
    ).not.toContain("wJalrXUtnFEMI");
    expect(storageScript(SSH()).secret).toBe(true);
  });

  test("the cloud-init document never carries a storage credential, and names the allow-list", () => {
    const env = envFile(renderCloudInit(AWS(), fakeSecrets(AWS())));
    expect(env).toContain("GW_METADATA_ALLOW=ec2-instance-connect\n");
    expect(env).not.toContain("GW_STORAGE_PASSWD");
    expect(envFile(renderCloudInit(AZURE(), fakeSecrets(AZURE())))).toContain("GW_METADATA_ALLOW=''\n");
  });

  test("one config line per mount: index, name, kind, group, GID, unit, data path, files, users", () => {
    const env = envFile(renderCloudInit(AZURE(), fakeSecrets(AZURE())));
    expect(env).toContain(
      "GW_STORAGE='0 lake adls2 gw-mnt-lake 70000 gpu-workbench-storage-lake.service /mnt/lake/raw /etc/blobfuse2/lake.yaml - daniel minji\n" +
        "1 ref adls2 gw-mnt-ref 70001 gpu-workbench-storage-ref.service /mnt/ref/reference /etc/blobfuse2/ref.yaml - minji'\n",
    );
  });
});

describe("per-mount files", () => {
  test("blobfuse2: managed identity, the dfs endpoint, the file cache on the data disk, allow-other", () => {
    const s = AZURE();
    const [lake, ref] = mountLayouts(s);
    expect(blobfuse2Config(s.storage[0], lake)).toBe(
      `# gpu-workbench storage mount "lake" (generated): abfss://raw@acmelake.dfs.core.windows.net/ at /mnt/lake/raw
allow-other: true
logging:
  type: syslog
  level: log_warning
components:
  - libfuse
  - file_cache
  - attr_cache
  - azstorage
libfuse:
  attribute-expiration-sec: 120
  entry-expiration-sec: 120
  negative-entry-expiration-sec: 240
file_cache:
  path: /data/.cache/gpu-workbench/storage/lake
  timeout-sec: 120
  max-size-mb: 20480
attr_cache:
  timeout-sec: 7200
azstorage:
  type: adls
  account-name: acmelake
  container: raw
  endpoint: https://acmelake.dfs.core.windows.net
  mode: msi
`,
    );
    const ro = parse(blobfuse2Config(s.storage[1], ref));
    expect([ro["read-only"], ro.file_cache["max-size-mb"], ro.azstorage["account-name"]]).toEqual([true, 8192, "acmeshared"]);
  });

  test.each([
    ["lake", 0],
    ["ref (read-only)", 1],
  ])("blobfuse2's config uses only documented keys and values: %s", (_n, i) => {
    const s = AZURE();
    expect(blobfuse2ConfigProblems(parse(blobfuse2Config(s.storage[i], mountLayouts(s)[i])))).toEqual([]);
  });

  test("the blobfuse2 check fails a misspelt key, a wrong value and a missing required key", () => {
    const s = AZURE();
    const good = parse(blobfuse2Config(s.storage[0], mountLayouts(s)[0]));
    const broken = {
      ...good,
      file_cache: { path: good.file_cache.path, "max-size": 20480 },
      azstorage: { ...good.azstorage, mode: "managed-identity", container: undefined },
    };
    expect(blobfuse2ConfigProblems(broken)).toEqual([
      "file_cache.max-size: not a documented blobfuse2 key",
      'azstorage.mode: "managed-identity" is not one of key, sas, spn, msi, azcli',
      "azstorage.container: required",
    ]);
    expect(blobfuse2ConfigProblems({ ...good, components: ["libfuse", "azstorage", "file_cache", "attr_cache"] })).toEqual([
      "components: file_cache must come before azstorage (blobfuse2's pipeline order: libfuse, stream, block_cache, file_cache, attr_cache, azstorage, loopbackfs)",
    ]);
    expect(Object.keys(BLOBFUSE2_DOCUMENTED).length).toBeGreaterThan(60);
  });

  test("s3fs: the instance role on aws; a root-only credentials file and path-style requests for an endpoint", () => {
    const aws = AWS();
    const [lake, ref] = mountLayouts(aws);
    expect(s3fsOptions(aws.storage[0], lake)).toEqual([
      "allow_other",
      "umask=0000",
      "mp_umask=0000",
      "iam_role=auto",
      "url=https://s3.ap-northeast-2.amazonaws.com",
      "endpoint=ap-northeast-2",
      "tmpdir=/data/.cache/gpu-workbench/storage/lake",
    ]);
    expect(s3fsOptions(aws.storage[1], ref)).toEqual([
      "allow_other",
      "umask=0000",
      "mp_umask=0000",
      "ro",
      "iam_role=auto",
      "url=https://s3.us-east-1.amazonaws.com",
      "endpoint=us-east-1",
      "tmpdir=/data/.cache/gpu-workbench/storage/ref",
    ]);
    const ssh = SSH();
    expect(s3fsOptions(ssh.storage[0], mountLayouts(ssh)[0])).toEqual([
      "allow_other",
      "umask=0000",
      "mp_umask=0000",
      "passwd_file=/etc/gpu-workbench/storage/lake.passwd",
      "url=https://s3.lab.example.test:9000",
      "endpoint=us-east-1",
      "use_path_request_style",
      "tmpdir=/data/.cache/gpu-workbench/storage/lake",
    ]);
  });

  test("the unit: after the network, the gate re-made at every start, restarted for ever", () => {
    const s = AWS();
    expect(mountUnit(s.storage[1], mountLayouts(s)[1])).toBe(`# gpu-workbench storage mount "ref" (generated): s3://acme-ref
[Unit]
Description=gpu-workbench storage mount ref at /data/ref/acme-ref
Wants=network-online.target
After=network-online.target
RequiresMountsFor=/data/ref /data/.cache/gpu-workbench/storage/ref
StartLimitIntervalSec=0

[Service]
Type=simple
ExecStartPre=-/bin/umount -l /data/ref/acme-ref
ExecStartPre=/usr/bin/install -d -o root -g gw-mnt-ref -m 0750 /data/ref
ExecStartPre=/usr/bin/install -d -m 0755 /data/ref/acme-ref
ExecStartPre=/usr/bin/install -d -o root -g root -m 0700 /data/.cache/gpu-workbench/storage/ref
ExecStart=/usr/bin/s3fs acme-ref /data/ref/acme-ref -f -o allow_other,umask=0000,mp_umask=0000,ro,iam_role=auto,url=https://s3.us-east-1.amazonaws.com,endpoint=us-east-1,tmpdir=/data/.cache/gpu-workbench/storage/ref
ExecStopPost=-/bin/umount -l /data/ref/acme-ref
Restart=on-failure
RestartSec=10

[Install]
WantedBy=multi-user.target
`);
  });

  test("containers bind each gate at the same path and join its group; the outputs say where and who", () => {
    expect(containerStorageMounts(AWS())).toEqual([
      { hostPath: "/mnt/lake", containerPath: "/mnt/lake", readOnly: false, gid: 70000 },
      { hostPath: "/data/ref", containerPath: "/data/ref", readOnly: true, gid: 70001 },
    ]);
    expect(storageMountInfo(AWS())).toEqual({
      lake: { kind: "s3", path: "/mnt/lake/acme-lake", source: "s3://acme-lake", readOnly: false, users: ["daniel", "minji"], group: "gw-mnt-lake" },
      ref: { kind: "s3", path: "/data/ref/acme-ref", source: "s3://acme-ref", readOnly: true, users: ["daniel"], group: "gw-mnt-ref" },
    });
  });
});

describe("validated by the real tools", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-storage-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const put = (name: string, text: string) => {
    const f = path.join(dir, name);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, text);
    return f;
  };
  const haveCloudInit = toolAvailable("cloud-init", ["--version"]);
  const haveShellcheck = toolAvailable("shellcheck", ["--version"]);
  const haveSystemdAnalyze = toolAvailable("systemd-analyze", ["--version"]);

  (haveCloudInit ? test : test.skip).each([
    ["azure", AZURE],
    ["aws", AWS],
  ])("cloud-init schema accepts the %s document with mounts", (name, make) => {
    const f = put(`${name}.yaml`, renderCloudInit(make(), fakeSecrets(make())));
    const r = spawnSync("cloud-init", ["schema", "--config-file", f], { encoding: "utf8" });
    expect(`${r.stdout}${r.stderr}`).toContain(`Valid cloud-config: ${f}`);
    expect(r.status).toBe(0);
  });

  (haveShellcheck ? test : test.skip)("shellcheck passes the generated storage and metadata steps, the config file and the metadata guard", () => {
    const files: string[] = [];
    for (const [name, s] of [
      ["azure", AZURE()],
      ["aws", AWS()],
      ["ssh", SSH()],
    ] as const) {
      for (const step of bootstrapScripts(s, fakeSecrets(s)).filter((x) => ["storage", "metadata"].includes(x.name)))
        files.push(put(`${name}-${step.name}.sh`, step.content));
    }
    files.push(put("aws-bootstrap.env.sh", `#!/bin/sh\n# shellcheck disable=SC2034\n${envFile(renderCloudInit(AWS(), fakeSecrets(AWS())))}`));
    const guard = /<<'GUARD'\n([\s\S]*?)\nGUARD\n/.exec(fs.readFileSync(path.join(SCRIPTS_DIR, "metadata.sh"), "utf8"))![1];
    files.push(put("guard.sh", `${guard}\n`));
    expect(files).toHaveLength(7);
    const r = spawnSync("shellcheck", files, { encoding: "utf8" });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  (haveSystemdAnalyze ? test : test.skip)("systemd-analyze verify accepts the units (blobfuse2 itself cannot be installed here)", () => {
    const units: string[] = [];
    for (const s of [AZURE(), AWS()]) {
      mountLayouts(s).forEach((l, i) => units.push(put(`units/${l.unit.replace(".service", `-${s.target}.service`)}`, mountUnit(s.storage[i], l))));
    }
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...units], { encoding: "utf8" });
    const complaints = (r.stdout + r.stderr).split("\n").filter(Boolean);
    // Only blobfuse2's absence: every other line of the units is accepted.
    expect(complaints.every((l) => /blobfuse2/.test(l))).toBe(true);
    expect(complaints.filter((l) => /is not executable/.test(l)).map((l) => l.replace(/^.*?: /, ""))).toEqual([
      "Command /usr/bin/blobfuse2 is not executable: No such file or directory",
      "Command /usr/bin/blobfuse2 is not executable: No such file or directory",
    ]);
  });
});

describe("size and snapshots", () => {
  test("AWS user data with three mounts, 10 users, RDP and 6 apps still fits 16 KB after gzip", () => {
    const s = spec(
      "aws",
      [
        { name: "lake", kind: "s3", bucket: "acme-lake-apne2" },
        { name: "curated", kind: "s3", bucket: "acme-curated-apne2", users: USER_NAMES.slice(0, 5) },
        { name: "reference", kind: "s3", create: false, bucket: "acme-reference-data", region: "us-east-1", readOnly: true, mountPath: "/data/reference" },
      ],
      { users: 10, apps: SIX_APPS, rdp: true },
    );
    const gz = gzipUserData(renderCloudInit(s, fakeSecrets(s))).length;
    console.log(`AWS user data with three mounts, 10 users, RDP, 6 apps: ${gz} bytes gzipped`);
    expect(gz).toBeLessThan(16 * 1024);
  });

  test.each([
    ["azure", AZURE],
    ["aws", AWS],
  ])("snapshot (redacted): %s with two mounts", (_n, make) => {
    expect(redactUserData(renderCloudInit(make(), fakeSecrets(make())))).toMatchSnapshot();
  });

  test("snapshot: the ssh storage step (credentials shown here are fake)", () => {
    expect(bootstrapScripts(SSH()).find((x) => x.name === "storage")!.content).toMatchSnapshot();
  });
});
