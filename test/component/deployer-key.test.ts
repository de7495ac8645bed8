/**
 * The deployer's key under a real deployment (not a preview): read from its file into the ready
 * command as a secret; a missing file stops the program before anything is registered.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, SECRET_SIG, SECRET_SIG_KEY, valueOf } from "../../scripts/lib/mocks";
import { deployableConfig } from "../support/fixtures";
import { generateEd25519OpenSsh } from "../support/mockKeys";
import type { Workbench as AzureWorkbenchT } from "../../components/workbench/workbench";

let rec: MockRecorder;
let Workbench: typeof AzureWorkbenchT;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw-key-"));

beforeAll(async () => {
  rec = await installMocks({ stack: "up", preview: false });
  ({ Workbench } = await import("../../components/workbench/workbench"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a deployment to documentation addresses is refused before any resource, with how to find your own", () => {
  expect(pulumi.runtime.isDryRun()).toBe(false);
  for (const [cidrs, named] of [
    [["203.0.113.7/32"], '"203.0.113.7/32" is a documentation address (RFC 5737)'],
    [["100.64.0.7/32", "2001:db8::/48"], '"2001:db8::/48" is a documentation address (RFC 3849)'],
    [["192.0.2.0/24", "198.51.100.7/32"], '"192.0.2.0/24", "198.51.100.7/32" are documentation addresses (RFC 5737)'],
  ] as const) {
    expect(() => new Workbench("wb", { config: deployableConfig({ allowedCidrs: cidrs }) as never, region: "koreacentral" })).toThrow(
      new Error(
        `workbench.allowedCidrs: ${named} that nobody has: nobody could reach the machine and pulumi up would wait for SSH until it times out; ` +
          "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range",
      ),
    );
  }
  expect(rec.registrations).toEqual([]);
});

test("a deployment naming an example account or subscription is refused before any resource, each key named, the address too", () => {
  const vaultId = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab";
  const credentials = { dockerHub: { vaultId, usernameSecret: "dockerhub-user", passwordSecret: "dockerhub-token" } };
  const own = "/subscriptions/3f2b8c1e-5d4a-4e7b-9c2d-8a1f6e0b4d77/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab";
  const config = (id: string, cidrs: string[]) =>
    deployableConfig({
      pullCache: true,
      allowedCidrs: cidrs,
      apps: [{ kind: "rstudio" }],
      azure: { pullCacheCredentials: { dockerHub: { ...credentials.dockerHub, vaultId: id } } },
    }) as never;
  expect(() => new Workbench("wb", { config: config(vaultId, ["203.0.113.7/32"]), region: "koreacentral" })).toThrow(
    new Error(
      'workbench.allowedCidrs: "203.0.113.7/32" is a documentation address (RFC 5737) that nobody has: nobody could reach the machine and pulumi up would wait for SSH until it times out; ' +
        "find yours with `curl -s https://checkip.amazonaws.com` (add /32), or use your VPN's egress range\n" +
        "workbench.azure.pullCacheCredentials.dockerHub.vaultId: names subscription 00000000-0000-4000-8000-000000000000, a zero GUID no Azure subscription has: " +
        "pulumi up would create resources and then fail on it; use your own subscription's id",
    ),
  );
  const allowed = (deployableConfig() as { allowedCidrs: string[] }).allowedCidrs;
  expect(() => new Workbench("wb", { config: config(vaultId, allowed), region: "koreacentral" })).toThrow(
    new Error(
      "workbench.azure.pullCacheCredentials.dockerHub.vaultId: names subscription 00000000-0000-4000-8000-000000000000, a zero GUID no Azure subscription has: " +
        "pulumi up would create resources and then fail on it; use your own subscription's id",
    ),
  );
  expect(rec.registrations).toEqual([]);
  // The team's own subscription passes this check (the next one wants the deployer's key file).
  expect(() => new Workbench("wb", { config: config(own, allowed), region: "koreacentral", sshPrivateKeyPath: path.join(dir, "nope") })).toThrow(
    "gpu-workbench:sshPrivateKeyPath: cannot read",
  );
  expect(rec.registrations).toEqual([]);
});

test("a missing key file is a config error, raised before any resource", () => {
  const missing = path.join(dir, "nope");
  expect(pulumi.runtime.isDryRun()).toBe(false);
  expect(() => new Workbench("wb", { config: deployableConfig() as never, region: "koreacentral", sshPrivateKeyPath: missing })).toThrow(
    `gpu-workbench:sshPrivateKeyPath: cannot read ${missing} (ENOENT: no such file or directory, open '${missing}'); point it at the private key of the first admin's sshPublicKey`,
  );
  expect(rec.registrations).toEqual([]);
});

test("a key that is not the first admin's is refused before any resource", () => {
  const keyFile = path.join(dir, "someone_else");
  fs.writeFileSync(keyFile, generateEd25519OpenSsh("someone else").privateKeyOpenssh, { mode: 0o600 });
  expect(() => new Workbench("wb", { config: deployableConfig() as never, region: "koreacentral", sshPrivateKeyPath: keyFile })).toThrow(
    new Error(
      `gpu-workbench:sshPrivateKeyPath: ${keyFile} is not the private key of the first admin (daniel); use the key whose public half is that user's sshPublicKey`,
    ),
  );
  expect(rec.registrations).toEqual([]);
});

test("the key's content reaches the ready command, as a secret only", async () => {
  const keyFile = path.join(dir, "id_ed25519");
  const deployer = generateEd25519OpenSsh("deployer");
  const key = deployer.privateKeyOpenssh;
  fs.writeFileSync(keyFile, key, { mode: 0o600 });
  const config = deployableConfig({ users: [{ name: "daniel", sshPublicKey: `${deployer.publicKeyOpenssh.trim()} daniel@laptop`, admin: true }] });
  const wb = new Workbench("wb", { config: config as never, region: "koreacentral", sshPrivateKeyPath: keyFile });
  await valueOf(wb.credentials);
  const ready = rec.registrations.find((r) => r.name === "wb-ready")!;
  // The whole connection goes to the engine as a secret, because the key in it is one.
  const connection = ready.inputs.connection as { [SECRET_SIG_KEY]: string; value: Record<string, unknown> };
  expect(connection[SECRET_SIG_KEY]).toBe(SECRET_SIG);
  expect(connection.value.privateKey).toBe(key);
  expect(JSON.stringify(rec.registrations.filter((r) => r.name !== "wb-ready").map((r) => r.inputs))).not.toContain("PRIVATE KEY-----\nb3Blbn");
});
