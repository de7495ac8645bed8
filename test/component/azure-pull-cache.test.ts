/**
 * workbench.pullCache on Azure under Pulumi's mocks: the exact registry, cache rules and AcrPull
 * grant, their order (the ready check waits for the rules and the grant), the images the
 * deployment names (the cached references the VM pulls, the others direct) with no registry
 * credential of its own, what the user data tells the machine, and what the plan says per app.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, registrationsSettled, valueOf } from "../../scripts/lib/mocks";
import { deployableConfig } from "../support/fixtures";
import { recordDependencies, registrationQueries } from "../support/mockGraph";

let recorder: MockRecorder;
let Workbench: typeof import("../../components/workbench/workbench").Workbench;
let dependencies: Map<string, string[]>;
const { childrenOf, reg, plain, urnOf } = registrationQueries(() => recorder);

const REGION = "koreacentral";
/** The mocks' subscription (scripts/lib/mocks.ts: getClientConfig). */
const SUBSCRIPTION = "00000000-0000-4000-8000-000000000000";
const registryName = (name: string) =>
  `gw${name}${crypto.createHash("sha256").update(`${SUBSCRIPTION}/gpu-workbench/azure-cache-test/${name}`).digest("hex").slice(0, 16)}`;
const ruleName = (target: string) => `${target.replace(/[^a-z0-9]+/g, "-")}-${crypto.createHash("sha256").update(target).digest("hex").slice(0, 8)}`;

beforeAll(async () => {
  recorder = await installMocks({ stack: "azure-cache-test", preview: false });
  pulumi.runtime.setConfig("azure-native:location", REGION);
  dependencies = recordDependencies();
  ({ Workbench } = await import("../../components/workbench/workbench"));
});

async function build(name: string, over: Record<string, unknown>) {
  const wb = new Workbench(name, { config: deployableConfig({ target: "azure", ...over }) as never, region: REGION });
  await valueOf(wb.appUrls);
  await registrationsSettled(recorder);
  return wb;
}

const userData = (name: string) =>
  Buffer.from(((plain(`${name}-host-vm`).osProfile as Record<string, unknown>).customData as string) ?? "", "base64").toString("utf8");

const APPS = [
  { kind: "jupyter-pytorch" }, // quay.io
  { kind: "rstudio" }, // Docker Hub (rocker/rstudio)
  { kind: "kaggle-python", hostPort: 8890 }, // gcr.io
];

describe("pullCache: quay.io and gcr.io cached; Docker Hub direct", () => {
  let wb: InstanceType<typeof Workbench>;
  const host = `${registryName("pc")}.azurecr.io`;
  const pytorch = ruleName("quay/jupyter/pytorch-notebook");
  const kaggle = ruleName("gcr/kaggle-gpu-images/python");
  beforeAll(async () => {
    wb = await build("pc", { pullCache: true, apps: APPS });
  });

  test("exact children: the registry, one rule per cached repository, the identity's AcrPull", () => {
    expect(childrenOf("pc")).toEqual([
      "azure-native:authorization:RoleAssignment pc-pull-cache-grant",
      `azure-native:containerregistry:CacheRule pc-pull-cache-${kaggle}`,
      `azure-native:containerregistry:CacheRule pc-pull-cache-${pytorch}`,
      "azure-native:containerregistry:Registry pc-pull-cache",
      "command:remote:Command pc-ready",
      "gpu-workbench:index:AnalysisApps pc-apps",
      "gpu-workbench:index:AzureGpuVm pc-host",
      "tls:index/privateKey:PrivateKey pc-host-key",
    ]);
    expect(recorder.invocations.filter((i) => i.token === "azure-native:authorization:getClientConfig")).toHaveLength(1);
  });

  test("the registry: Basic, no admin user, in the VM's group and region, its name hashed", () => {
    expect(plain("pc-pull-cache")).toEqual({
      registryName: registryName("pc"),
      resourceGroupName: plain("pc-host-vm").resourceGroupName,
      location: REGION,
      sku: { name: "Basic" },
      adminUserEnabled: false,
      tags: { "gpu-workbench": "pc" },
      // The SDK's defaults, sent as they are: no anonymous pulls; Basic has no network rules or private endpoint.
      anonymousPullEnabled: false,
      networkRuleBypassOptions: "AzureServices",
      publicNetworkAccess: "Enabled",
      zoneRedundancy: "Disabled",
    });
    // Only the VM's group before it: the registry comes up while the VM boots.
    expect(dependencies.get("pc-pull-cache")).toEqual([urnOf("pc-host-rg")]);
  });

  test("the rules: upstream repository to the registry's repository", () => {
    expect(plain(`pc-pull-cache-${pytorch}`)).toEqual({
      registryName: registryName("pc"),
      resourceGroupName: plain("pc-host-vm").resourceGroupName,
      cacheRuleName: pytorch,
      sourceRepository: "quay.io/jupyter/pytorch-notebook",
      targetRepository: "quay/jupyter/pytorch-notebook",
    });
    // The registry first (and the VM's group, whose name it takes); not the VM: the rules come up while it boots.
    expect(dependencies.get(`pc-pull-cache-${pytorch}`)).toEqual([urnOf("pc-pull-cache"), urnOf("pc-host-rg")]);
    expect(plain(`pc-pull-cache-${kaggle}`)).toMatchObject({
      sourceRepository: "gcr.io/kaggle-gpu-images/python",
      targetRepository: "gcr/kaggle-gpu-images/python",
    });
  });

  test("AcrPull on the registry only, for the VM's identity only; the ready check waits for the rules and the grant", async () => {
    expect(plain("pc-pull-cache-grant")).toEqual({
      principalId: await valueOf(wb.identity),
      principalType: "ServicePrincipal",
      roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d`,
      // The mocks' id of the registry (scripts/lib/mocks.ts mockId).
      scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${String(plain("pc-host-vm").resourceGroupName)}/providers/Mock/Registry/pc-pull-cache`,
      description: "gpu-workbench pc: pull the cached app images from the VM's managed identity",
    });
    expect(dependencies.get("pc-ready")).toEqual(
      expect.arrayContaining([urnOf("pc-pull-cache"), urnOf(`pc-pull-cache-${pytorch}`), urnOf(`pc-pull-cache-${kaggle}`), urnOf("pc-pull-cache-grant")]),
    );
  });

  test("the deployment names the cached images as the VM pulls them, and signs in to nothing", () => {
    const names = Object.fromEntries(
      recorder.registrations.filter((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.parent === "pc-apps").map((r) => [r.name, r.inputs.name]),
    );
    expect(names).toEqual({
      "pc-apps-image-quay-io-jupyter-pytorch-notebook-cuda12-2025-08-18": `${host}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pc-apps-image-rocker-rstudio-4-5-1": "rocker/rstudio:4.5.1",
      "pc-apps-image-gcr-io-kaggle-gpu-images-python-v168": `${host}/gcr/kaggle-gpu-images/python:v168`,
    });
    expect(reg("pc-apps-docker").inputs.registryAuth).toBeUndefined();
    const pulled = userData("pc")
      .split("\n")
      .find((l) => l.includes("GW_IMAGES="))!
      .trim();
    expect(pulled).toBe(`GW_IMAGES='${Object.values(names).join(" ")}'`);
  });

  test("the user data: the cached images, how the VM signs in, that ready waits for them", () => {
    const lines = userData("pc")
      .split("\n")
      .filter((l) => /GW_IMAGES|GW_PULL_CACHE/.test(l))
      .map((l) => l.trim());
    expect(lines).toEqual([
      `GW_IMAGES='${host}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18 rocker/rstudio:4.5.1 ${host}/gcr/kaggle-gpu-images/python:v168'`,
      "GW_PULL_CACHE_LOGIN=acr",
      `GW_PULL_CACHE_REGISTRY=${host}`,
      "GW_PULL_CACHE_WAIT=1",
    ]);
  });

  test("the plan says per app: cached via which rule, or direct and why", async () => {
    const details = (await valueOf(wb.hostDetails)) as Record<string, string>;
    expect(Object.fromEntries(Object.entries(details).filter(([k]) => k.startsWith("pullCache.")))).toEqual({
      "pullCache.jupyter-pytorch": `cached via ACR rule ${pytorch} (quay.io/jupyter/pytorch-notebook): ${host}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pullCache.rstudio":
        "direct: Docker Hub: ACR's artifact cache takes it only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.dockerHub",
      "pullCache.kaggle-python": `cached via ACR rule ${kaggle} (gcr.io/kaggle-gpu-images/python): ${host}/gcr/kaggle-gpu-images/python:v168`,
    });
  });
});

describe("pullCache where no image can be cached (Docker Hub only)", () => {
  let wb: InstanceType<typeof Workbench>;
  beforeAll(async () => {
    wb = await build("hub", { pullCache: true, apps: [{ kind: "rstudio" }] });
  });

  test("no registry, no rule, no grant, no sign-in, no wait; the plan says why", async () => {
    expect(childrenOf("hub").filter((c) => c.includes("pull-cache"))).toEqual([]);
    expect(reg("hub-apps-docker").inputs.registryAuth).toBeUndefined();
    expect(userData("hub")).not.toContain("GW_PULL_CACHE");
    const details = (await valueOf(wb.hostDetails)) as Record<string, string>;
    expect(details["pullCache.rstudio"]).toBe(
      "direct: Docker Hub: ACR's artifact cache takes it only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.dockerHub",
    );
  });
});

test("private access: the same registry and grant (the VM reaches ACR through its NAT gateway)", async () => {
  await build("prv", { pullCache: true, access: "private", allowedCidrs: undefined, apps: [{ kind: "jupyter-pytorch" }] });
  expect(childrenOf("prv").filter((c) => c.includes("pull-cache"))).toEqual([
    "azure-native:authorization:RoleAssignment prv-pull-cache-grant",
    `azure-native:containerregistry:CacheRule prv-pull-cache-${ruleName("quay/jupyter/pytorch-notebook")}`,
    "azure-native:containerregistry:Registry prv-pull-cache",
  ]);
});

test("without pullCache: no registry, no lookup, no sign-in", async () => {
  const before = recorder.invocations.filter((i) => i.token === "azure-native:authorization:getClientConfig").length;
  await build("plain", { apps: APPS });
  expect(recorder.registrations.filter((r) => r.type.startsWith("azure-native:containerregistry:") && r.parent === "plain")).toEqual([]);
  expect(recorder.invocations.filter((i) => i.token === "azure-native:authorization:getClientConfig").length).toBe(before);
  expect(userData("plain")).not.toContain("GW_PULL_CACHE");
});

describe("Docker Hub and Artifact Registry through credential sets (azure.pullCacheCredentials)", () => {
  let wb: InstanceType<typeof Workbench>;
  const VAULT = `/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/KV-Acme-Lab`;
  const GAR_IMAGE = "europe-west1-docker.pkg.dev/acme/lab/notebook:1.4";
  const host = `${registryName("cs")}.azurecr.io`;
  const pytorch = ruleName("quay/jupyter/pytorch-notebook");
  const rstudio = ruleName("docker-hub/rocker/rstudio");
  const gar = ruleName("europe-west1-docker/acme/lab/notebook");
  const SECRETS_USER =
    "/subscriptions/11111111-2222-4333-8444-555555555555/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6";
  beforeAll(async () => {
    wb = await build("cs", {
      pullCache: true,
      apps: [
        { kind: "jupyter-pytorch" },
        { kind: "rstudio" },
        { kind: "custom", name: "lab", image: GAR_IMAGE, port: 8000 },
        { kind: "custom", name: "other", image: "us-docker.pkg.dev/acme/x/y:2", port: 8001 },
      ],
      azure: {
        pullCacheCredentials: {
          dockerHub: { vaultId: VAULT, usernameSecret: "dockerhub-user", passwordSecret: "dockerhub-token" },
          artifactRegistry: { host: "europe-west1-docker.pkg.dev", vaultId: VAULT, usernameSecret: "gar-user", passwordSecret: "gar-key" },
        },
      },
    });
  });

  test("exact children: a credential set per upstream and two secret grants for each, beside the registry, the rules and the VM's AcrPull", () => {
    expect(childrenOf("cs").filter((c) => /pull-cache/.test(c))).toEqual([
      "azure-native:authorization:RoleAssignment cs-pull-cache-grant",
      "azure-native:authorization:RoleAssignment cs-pull-cache-set-artifact-registry-password",
      "azure-native:authorization:RoleAssignment cs-pull-cache-set-artifact-registry-username",
      "azure-native:authorization:RoleAssignment cs-pull-cache-set-docker-hub-password",
      "azure-native:authorization:RoleAssignment cs-pull-cache-set-docker-hub-username",
      `azure-native:containerregistry:CacheRule cs-pull-cache-${rstudio}`,
      `azure-native:containerregistry:CacheRule cs-pull-cache-${gar}`,
      `azure-native:containerregistry:CacheRule cs-pull-cache-${pytorch}`,
      "azure-native:containerregistry:CredentialSet cs-pull-cache-set-artifact-registry",
      "azure-native:containerregistry:CredentialSet cs-pull-cache-set-docker-hub",
      "azure-native:containerregistry:Registry cs-pull-cache",
    ]);
    // And the host, its key, the ready check and the apps: 15 in all.
    expect(recorder.registrations.filter((r) => r.parent === "cs")).toHaveLength(15);
  });

  test("the credential set: the upstream's login server, the secrets' URIs (no version), its own system identity", () => {
    expect(plain("cs-pull-cache-set-docker-hub")).toEqual({
      registryName: registryName("cs"),
      resourceGroupName: plain("cs-host-vm").resourceGroupName,
      credentialSetName: "docker-hub",
      loginServer: "docker.io",
      authCredentials: [
        {
          name: "Credential1",
          usernameSecretIdentifier: "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-user",
          passwordSecretIdentifier: "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-token",
        },
      ],
      identity: { type: "SystemAssigned" },
    });
    expect(plain("cs-pull-cache-set-artifact-registry")).toMatchObject({
      credentialSetName: "artifact-registry",
      loginServer: "europe-west1-docker.pkg.dev",
      authCredentials: [
        {
          name: "Credential1",
          usernameSecretIdentifier: "https://kv-acme-lab.vault.azure.net/secrets/gar-user",
          passwordSecretIdentifier: "https://kv-acme-lab.vault.azure.net/secrets/gar-key",
        },
      ],
    });
    expect(dependencies.get("cs-pull-cache-set-docker-hub")).toEqual([urnOf("cs-pull-cache"), urnOf("cs-host-rg")]);
  });

  test("Key Vault Secrets User for the set's identity on each of its two secrets only", () => {
    // The mocks' principal of the set (scripts/lib/mocks.ts): not the VM's.
    const principal = (name: string) => `${crypto.createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
    for (const [set, user, password] of [
      ["docker-hub", "dockerhub-user", "dockerhub-token"],
      ["artifact-registry", "gar-user", "gar-key"],
    ]) {
      const what = set === "docker-hub" ? "Docker Hub" : "Google Artifact Registry";
      for (const [which, secret, label] of [
        ["username", user, "user name"],
        ["password", password, "password"],
      ]) {
        const grant = plain(`cs-pull-cache-set-${set}-${which}`);
        expect(grant).toEqual({
          principalId: expect.stringMatching(/^[0-9a-f]{8}-1111-4111-8111-[0-9a-f]{12}$/),
          principalType: "ServicePrincipal",
          roleDefinitionId: SECRETS_USER,
          scope: `${VAULT}/secrets/${secret}`,
          description: `gpu-workbench cs: ACR's credential set ${set} reads the ${what} ${label} secret`,
        });
        expect(String(grant.principalId).slice(0, 8)).toBe(principal(`cs-pull-cache-set-${set}`));
      }
    }
  });

  test("each credentialed rule names its set and comes after the set and both grants; the others do not wait for them", () => {
    expect(plain(`cs-pull-cache-${rstudio}`)).toEqual({
      registryName: registryName("cs"),
      resourceGroupName: plain("cs-host-vm").resourceGroupName,
      cacheRuleName: rstudio,
      sourceRepository: "docker.io/rocker/rstudio",
      targetRepository: "docker-hub/rocker/rstudio",
      // The mocks' id of the set (scripts/lib/mocks.ts mockId).
      credentialSetResourceId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/${String(plain("cs-host-vm").resourceGroupName)}/providers/Mock/CredentialSet/cs-pull-cache-set-docker-hub`,
    });
    expect(new Set(dependencies.get(`cs-pull-cache-${rstudio}`))).toEqual(
      new Set([
        urnOf("cs-pull-cache"),
        urnOf("cs-pull-cache-set-docker-hub"),
        urnOf("cs-pull-cache-set-docker-hub-username"),
        urnOf("cs-pull-cache-set-docker-hub-password"),
        urnOf("cs-host-rg"),
      ]),
    );
    expect(plain(`cs-pull-cache-${gar}`)).toMatchObject({
      sourceRepository: "europe-west1-docker.pkg.dev/acme/lab/notebook",
      targetRepository: "europe-west1-docker/acme/lab/notebook",
      credentialSetResourceId: expect.stringMatching(/\/CredentialSet\/cs-pull-cache-set-artifact-registry$/),
    });
    expect(dependencies.get(`cs-pull-cache-${gar}`)).toHaveLength(5);
    expect(plain(`cs-pull-cache-${pytorch}`).credentialSetResourceId).toBeUndefined();
    expect(dependencies.get(`cs-pull-cache-${pytorch}`)).toEqual([urnOf("cs-pull-cache"), urnOf("cs-host-rg")]);
  });

  test("the ready check waits for the sets and their grants too", () => {
    expect(dependencies.get("cs-ready")).toEqual(
      expect.arrayContaining(
        ["docker-hub", "artifact-registry"].flatMap((s) => [
          urnOf(`cs-pull-cache-set-${s}`),
          urnOf(`cs-pull-cache-set-${s}-username`),
          urnOf(`cs-pull-cache-set-${s}-password`),
        ]),
      ),
    );
  });

  test("the plan: Docker Hub and the configured Artifact Registry host cached through their sets, another host direct and why", async () => {
    const details = (await valueOf(wb.hostDetails)) as Record<string, string>;
    expect(Object.fromEntries(Object.entries(details).filter(([k]) => k.startsWith("pullCache.")))).toEqual({
      "pullCache.jupyter-pytorch": `cached via ACR rule ${pytorch} (quay.io/jupyter/pytorch-notebook): ${host}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pullCache.rstudio": `cached via ACR rule ${rstudio} (docker.io/rocker/rstudio, credential set docker-hub): ${host}/docker-hub/rocker/rstudio:4.5.1`,
      "pullCache.lab": `cached via ACR rule ${gar} (europe-west1-docker.pkg.dev/acme/lab/notebook, credential set artifact-registry): ${host}/europe-west1-docker/acme/lab/notebook:1.4`,
      "pullCache.other":
        "direct: us-docker.pkg.dev: azure.pullCacheCredentials.artifactRegistry signs in to europe-west1-docker.pkg.dev only (one credential set per host); pull this image from europe-west1-docker.pkg.dev, or it stays direct",
    });
  });

  test("the machine pulls the cached names; the deployment reads no secret and signs in to nothing", () => {
    const pulled = userData("cs")
      .split("\n")
      .find((l) => l.includes("GW_IMAGES="))!
      .trim();
    expect(pulled).toBe(
      `GW_IMAGES='${host}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18 ${host}/docker-hub/rocker/rstudio:4.5.1 ${host}/europe-west1-docker/acme/lab/notebook:1.4 us-docker.pkg.dev/acme/x/y:2'`,
    );
    expect(reg("cs-apps-docker").inputs.registryAuth).toBeUndefined();
    expect(recorder.invocations.filter((i) => /keyvault/i.test(i.token))).toEqual([]);
    expect(recorder.registrations.filter((r) => /keyvault/i.test(r.type))).toEqual([]);
  });
});

test("a credential no app needs makes no set and no grant", async () => {
  await build("unused", {
    pullCache: true,
    apps: [{ kind: "jupyter-pytorch" }],
    azure: {
      pullCacheCredentials: {
        dockerHub: {
          vaultId: "/subscriptions/11111111-2222-4333-8444-555555555555/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-lab",
          usernameSecret: "u",
          passwordSecret: "p",
        },
      },
    },
  });
  expect(childrenOf("unused").filter((c) => c.includes("pull-cache"))).toEqual([
    "azure-native:authorization:RoleAssignment unused-pull-cache-grant",
    `azure-native:containerregistry:CacheRule unused-pull-cache-${ruleName("quay/jupyter/pytorch-notebook")}`,
    "azure-native:containerregistry:Registry unused-pull-cache",
  ]);
});
