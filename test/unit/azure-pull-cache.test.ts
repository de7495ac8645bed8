/**
 * workbench.pullCache on Azure, the pure part: which images ACR's artifact cache takes (and why the
 * others stay direct), the registry's and the rules' names, the plan's lines, the refusals word for
 * word, the month, what the user data tells the machine, and the machine run for real against
 * stand-ins: `prepull.sh registry-login` (curl for the metadata endpoint and the registry's token
 * exchange, docker for the sign-in) and `ready.sh`'s wait for the cached images (docker, systemctl).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "../../components/targets";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { pullCacheVars } from "../../components/bootstrap/scripts";
import { azureStoppedCosts } from "../../components/targets/azure/costs";
import { cachedImages } from "../../components/targets/pullCache";
import {
  acrCacheDetails,
  acrCacheMonth,
  acrCachePlan,
  acrRegistryName,
  acrRuleName,
  ACR_UPSTREAMS,
  keyVaultSecretUri,
} from "../../components/targets/azure/pullCachePlan";
import { rawConfig } from "../support/fixtures";
import { generateEd25519OpenSsh } from "../../components/access/keys";
import { gzipUserData, renderCloudInit } from "../../components/bootstrap";
import { estimatedUserDataGzipBytes } from "../../components/workbench/hostAccess";
import { timeToReady } from "../../components/bootstrap/timeToReady";

const REGION = "koreacentral";
const REGISTRY = "gwlab0123456789abcdef";
const HOST = `${REGISTRY}.azurecr.io`;
const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function problems(over: Record<string, unknown>): string[] {
  try {
    parseWorkbenchConfig(rawConfig({ target: "azure", ...over }), { region: REGION });
  } catch (e) {
    if (e instanceof WorkbenchConfigError) return e.problems;
    throw e;
  }
  return [];
}
const spec = (over: Record<string, unknown>): WorkbenchSpec => parseWorkbenchConfig(rawConfig({ target: "azure", ...over }), { region: REGION });
const custom = (image: string, i = 0) => ({ kind: "custom", name: `app${i}`, image, port: 8000 + i });

describe("which images ACR's artifact cache takes", () => {
  test("the upstreams without a credential set, and nothing else", () => {
    expect(Object.keys(ACR_UPSTREAMS)).toEqual(["mcr.microsoft.com", "public.ecr.aws", "ghcr.io", "quay.io", "registry.k8s.io", "gcr.io"]);
  });

  test("one rule per cached repository, its source upstream and its target under a short upstream name; tags and digests kept", () => {
    const s = spec({
      pullCache: true,
      apps: [
        custom("quay.io/jupyter/scipy-notebook:2025-08-18", 0),
        custom(`quay.io/jupyter/scipy-notebook:2025-09-01@${DIGEST}`, 1),
        custom("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250101.v1", 2),
        custom("public.ecr.aws/docker/library/python:3.12", 3),
        custom("ghcr.io/acme/lab:1.2", 4),
        custom("registry.k8s.io/pause:3.10", 5),
        custom("gcr.io/kaggle-images/python:v168", 6),
      ],
    });
    const plan = acrCachePlan(s);
    expect(plan.rules).toEqual([
      { name: acrRuleName("quay/jupyter/scipy-notebook"), sourceRepository: "quay.io/jupyter/scipy-notebook", targetRepository: "quay/jupyter/scipy-notebook" },
      {
        name: acrRuleName("mcr/azureml/openmpi4.1.0-ubuntu22.04"),
        sourceRepository: "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04",
        targetRepository: "mcr/azureml/openmpi4.1.0-ubuntu22.04",
      },
      {
        name: acrRuleName("ecr-public/docker/library/python"),
        sourceRepository: "public.ecr.aws/docker/library/python",
        targetRepository: "ecr-public/docker/library/python",
      },
      { name: acrRuleName("ghcr/acme/lab"), sourceRepository: "ghcr.io/acme/lab", targetRepository: "ghcr/acme/lab" },
      { name: acrRuleName("k8s/pause"), sourceRepository: "registry.k8s.io/pause", targetRepository: "k8s/pause" },
      { name: acrRuleName("gcr/kaggle-images/python"), sourceRepository: "gcr.io/kaggle-images/python", targetRepository: "gcr/kaggle-images/python" },
    ]);
    expect(cachedImages(plan, HOST)).toEqual({
      "quay.io/jupyter/scipy-notebook:2025-08-18": `${HOST}/quay/jupyter/scipy-notebook:2025-08-18`,
      [`quay.io/jupyter/scipy-notebook:2025-09-01@${DIGEST}`]: `${HOST}/quay/jupyter/scipy-notebook:2025-09-01@${DIGEST}`,
      "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:20250101.v1": `${HOST}/mcr/azureml/openmpi4.1.0-ubuntu22.04:20250101.v1`,
      "public.ecr.aws/docker/library/python:3.12": `${HOST}/ecr-public/docker/library/python:3.12`,
      "ghcr.io/acme/lab:1.2": `${HOST}/ghcr/acme/lab:1.2`,
      "registry.k8s.io/pause:3.10": `${HOST}/k8s/pause:3.10`,
      "gcr.io/kaggle-images/python:v168": `${HOST}/gcr/kaggle-images/python:v168`,
    });
  });

  test("what stays direct, and why, word for word", () => {
    const s = spec({
      pullCache: true,
      registries: [{ server: "ghcr.io", username: "bot", password: "ghp_0123456789abcdef" }],
      apps: [
        custom("rocker/rstudio:4.5.1", 0),
        custom("us-docker.pkg.dev/acme/lab/img:1", 1),
        custom("nvcr.io/nvidia/pytorch:25.01-py3", 2),
        custom("us.gcr.io/acme/lab:1", 3),
        custom("ghcr.io/acme/private:1", 4),
        { kind: "jupyter", name: "built", build: { packages: ["polars"] } },
      ],
    });
    const plan = acrCachePlan(s);
    expect(plan.rules).toEqual([]);
    expect(acrCacheDetails(plan, HOST)).toEqual({
      "pullCache.app0":
        "direct: Docker Hub: ACR's artifact cache takes it only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.dockerHub",
      "pullCache.app1":
        "direct: us-docker.pkg.dev: ACR's artifact cache takes Google Artifact Registry only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.artifactRegistry",
      "pullCache.app2":
        "direct: nvcr.io: not an upstream ACR's artifact cache takes without a credential set (mcr.microsoft.com, public.ecr.aws, ghcr.io, quay.io, registry.k8s.io, gcr.io)",
      "pullCache.app3":
        "direct: us.gcr.io: not an upstream ACR's artifact cache takes without a credential set (mcr.microsoft.com, public.ecr.aws, ghcr.io, quay.io, registry.k8s.io, gcr.io)",
      "pullCache.app4": "direct: ghcr.io: workbench.registries signs in to it (a private image), and this version's cache rules have no credential set",
      "pullCache.built": "direct: built on the machine (build): its Dockerfile's FROM pulls the base image",
    });
  });

  test("the plan's line of a cached app names its rule, its source and the reference the VM pulls", () => {
    const plan = acrCachePlan(spec({ pullCache: true, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }] }));
    expect(acrCacheDetails(plan, HOST)).toEqual({
      "pullCache.jupyter-pytorch": `cached via ACR rule ${acrRuleName("quay/jupyter/pytorch-notebook")} (quay.io/jupyter/pytorch-notebook): ${HOST}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pullCache.rstudio":
        "direct: Docker Hub: ACR's artifact cache takes it only with a credential set (Key Vault secrets); set azure.pullCacheCredentials.dockerHub",
    });
  });
});

describe("credential sets (azure.pullCacheCredentials)", () => {
  const VAULT = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-secrets/providers/Microsoft.KeyVault/vaults/kv-acme-lab";
  const HUB = { vaultId: VAULT, usernameSecret: "dockerhub-user", passwordSecret: "dockerhub-token" };
  const GAR = { host: "europe-west1-docker.pkg.dev", vaultId: VAULT, usernameSecret: "gar-user", passwordSecret: "gar-key" };
  const creds = (c: Record<string, unknown>, over: Record<string, unknown> = {}) => ({ pullCache: true, azure: { pullCacheCredentials: c }, ...over });
  const at = "workbench.azure.pullCacheCredentials";

  test("Docker Hub and the configured Artifact Registry host: one rule per repository, each naming its upstream's set; one set per upstream used", () => {
    const plan = acrCachePlan(
      spec(
        creds(
          { dockerHub: HUB, artifactRegistry: GAR },
          {
            apps: [
              { kind: "rstudio" },
              custom("ubuntu:24.04", 1),
              custom("docker.io/library/ubuntu:22.04", 2),
              custom("europe-west1-docker.pkg.dev/acme/lab/notebook:1.4", 3),
              custom("us-docker.pkg.dev/acme/x/y:2", 4),
            ],
          },
        ),
      ),
    );
    expect(plan.rules).toEqual([
      {
        name: acrRuleName("docker-hub/rocker/rstudio"),
        sourceRepository: "docker.io/rocker/rstudio",
        targetRepository: "docker-hub/rocker/rstudio",
        credentialSet: "docker-hub",
      },
      {
        name: acrRuleName("docker-hub/library/ubuntu"),
        sourceRepository: "docker.io/library/ubuntu",
        targetRepository: "docker-hub/library/ubuntu",
        credentialSet: "docker-hub",
      },
      {
        name: acrRuleName("europe-west1-docker/acme/lab/notebook"),
        sourceRepository: "europe-west1-docker.pkg.dev/acme/lab/notebook",
        targetRepository: "europe-west1-docker/acme/lab/notebook",
        credentialSet: "artifact-registry",
      },
    ]);
    expect(plan.credentialSets).toEqual([
      {
        key: "dockerHub",
        name: "docker-hub",
        loginServer: "docker.io",
        usernameSecretUri: "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-user",
        passwordSecretUri: "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-token",
        vaultId: VAULT,
        usernameScope: `${VAULT}/secrets/dockerhub-user`,
        passwordScope: `${VAULT}/secrets/dockerhub-token`,
      },
      {
        key: "artifactRegistry",
        name: "artifact-registry",
        loginServer: "europe-west1-docker.pkg.dev",
        usernameSecretUri: "https://kv-acme-lab.vault.azure.net/secrets/gar-user",
        passwordSecretUri: "https://kv-acme-lab.vault.azure.net/secrets/gar-key",
        vaultId: VAULT,
        usernameScope: `${VAULT}/secrets/gar-user`,
        passwordScope: `${VAULT}/secrets/gar-key`,
      },
    ]);
    expect(acrCacheDetails(plan, HOST)).toEqual({
      "pullCache.rstudio": `cached via ACR rule ${acrRuleName("docker-hub/rocker/rstudio")} (docker.io/rocker/rstudio, credential set docker-hub): ${HOST}/docker-hub/rocker/rstudio:4.5.1`,
      "pullCache.app1": `cached via ACR rule ${acrRuleName("docker-hub/library/ubuntu")} (docker.io/library/ubuntu, credential set docker-hub): ${HOST}/docker-hub/library/ubuntu:24.04`,
      "pullCache.app2": `cached via ACR rule ${acrRuleName("docker-hub/library/ubuntu")} (docker.io/library/ubuntu, credential set docker-hub): ${HOST}/docker-hub/library/ubuntu:22.04`,
      "pullCache.app3": `cached via ACR rule ${acrRuleName("europe-west1-docker/acme/lab/notebook")} (europe-west1-docker.pkg.dev/acme/lab/notebook, credential set artifact-registry): ${HOST}/europe-west1-docker/acme/lab/notebook:1.4`,
      "pullCache.app4":
        "direct: us-docker.pkg.dev: azure.pullCacheCredentials.artifactRegistry signs in to europe-west1-docker.pkg.dev only (one credential set per host); pull this image from europe-west1-docker.pkg.dev, or it stays direct",
    });
  });

  test("a private Docker Hub image (workbench.registries signs in to docker.io) goes through the set too, as on AWS: the set signs in", () => {
    const plan = acrCachePlan(
      spec(
        creds(
          { dockerHub: HUB },
          { registries: [{ server: "docker.io", username: "acme", password: "dckr_pat_0123456789" }], apps: [custom("acme/private-lab:3", 0)] },
        ),
      ),
    );
    expect(acrCacheDetails(plan, HOST)).toEqual({
      "pullCache.app0": `cached via ACR rule ${acrRuleName("docker-hub/acme/private-lab")} (docker.io/acme/private-lab, credential set docker-hub): ${HOST}/docker-hub/acme/private-lab:3`,
    });
  });

  test("a spec made by hand without Azure settings plans no credential", () => {
    const s = spec({ pullCache: true, apps: [{ kind: "rstudio" }] });
    expect(acrCachePlan({ ...s, settings: undefined as never }).credentialSets).toEqual([]);
  });

  test("a credential no image needs makes no set; without credentials no set at all", () => {
    expect(acrCachePlan(spec(creds({ dockerHub: HUB, artifactRegistry: GAR }, { apps: [{ kind: "jupyter-pytorch" }] }))).credentialSets).toEqual([]);
    expect(acrCachePlan(spec(creds({ artifactRegistry: GAR }, { apps: [{ kind: "rstudio" }, { kind: "jupyter-pytorch" }] }))).credentialSets).toEqual([]);
    expect(acrCachePlan(spec({ pullCache: true, apps: [{ kind: "rstudio" }] })).credentialSets).toEqual([]);
  });

  test("a secret's URI: the vault's host in lower case, no version (ACR reads the latest, so a rotated token needs no change)", () => {
    expect(keyVaultSecretUri("KV-Acme-Lab", "dockerhub-token")).toBe("https://kv-acme-lab.vault.azure.net/secrets/dockerhub-token");
  });

  test("the cached Docker Hub images count in the month (rstudio: the catalog's 2 GB)", () => {
    const month = acrCacheMonth(spec(creds({ dockerHub: HUB }, { apps: [{ kind: "rstudio" }] })));
    expect(month.map((m) => m.label)).toEqual([
      "ACR Basic registry (the artifact cache): USD 0.167/day with 10 GB of storage (US list price, a planning figure not read from Azure)",
      "ACR storage beyond the 10 GB included: 0 of up to 2 GB of cached images (the catalog's unpacked sizes; ACR stores the compressed layers, which are smaller) at USD 0.003/GB-day",
    ]);
  });

  describe("refusals, word for word, before any resource", () => {
    test("only with pullCache", () => {
      expect(problems({ azure: { pullCacheCredentials: { dockerHub: HUB } } })).toEqual([
        `${at}: only with pullCache: true; remove it, or set pullCache: true`,
      ]);
      expect(problems({ pullCache: false, azure: { pullCacheCredentials: { dockerHub: HUB } } })).toEqual([
        `${at}: only with pullCache: true; remove it, or set pullCache: true`,
      ]);
    });

    test("the azure target only", () => {
      const raw = rawConfig({ target: "aws", size: "g4dn.xlarge", pullCache: true, azure: { pullCacheCredentials: { dockerHub: HUB } } });
      expect(() => parseWorkbenchConfig(raw, { region: "ap-northeast-2" })).toThrow("workbench.azure: only for target azure; remove it");
    });

    test("a vault id that is not a Key Vault's ARM id, or whose vault name breaks Key Vault's rules", () => {
      const invalid = (v: string) =>
        `${at}.dockerHub.vaultId: ${JSON.stringify(v)} is not a Key Vault's resource id; expected /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault> (the vault's Properties page in the portal, or az keyvault show --query id)`;
      for (const v of [
        "kv-acme-lab",
        "https://kv-acme-lab.vault.azure.net/",
        VAULT.replace("Microsoft.KeyVault/vaults", "Microsoft.Storage/storageAccounts"),
        VAULT.replace("00000000-0000-4000-8000-000000000000", "my-subscription"),
        VAULT.replace("rg-secrets", "rg."),
        `${VAULT}/secrets/dockerhub-user`,
      ]) {
        expect(problems(creds({ dockerHub: { ...HUB, vaultId: v } }))).toEqual([invalid(v)]);
      }
      const name = (n: string) =>
        `${at}.dockerHub.vaultId: the vault name ${JSON.stringify(n)} is not a Key Vault name (3-24 letters, digits and "-", starting with a letter, ending with a letter or digit, no "--"); copy the vault's id from az keyvault show --query id`;
      for (const n of ["kv--lab", "1kv-lab", "kv-lab-", "kv_lab"])
        expect(problems(creds({ dockerHub: { ...HUB, vaultId: VAULT.replace("kv-acme-lab", n) } }))).toEqual([name(n)]);
      // Azure's ids are case-insensitive: the portal's and the CLI's spellings both read.
      expect(problems(creds({ dockerHub: { ...HUB, vaultId: VAULT.toLowerCase() } }))).toEqual([]);
    });

    test("a secret name that is not a Key Vault secret name (a URI, a version, a control character): refused, the value escaped", () => {
      const invalid = (key: string, v: string) =>
        `${at}.dockerHub.${key}: ${JSON.stringify(v)} is not a Key Vault secret name; give the name only (1-127 letters, digits and "-"), not its URI or version`;
      expect(
        problems(
          creds({
            dockerHub: { ...HUB, usernameSecret: "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-user", passwordSecret: "token\nExecStartPre=/bin/id" },
          }),
        ),
      ).toEqual([
        invalid("usernameSecret", "https://kv-acme-lab.vault.azure.net/secrets/dockerhub-user"),
        invalid("passwordSecret", "token\nExecStartPre=/bin/id"),
      ]);
      expect(problems(creds({ dockerHub: { ...HUB, passwordSecret: "dockerhub_token" } }))).toEqual([invalid("passwordSecret", "dockerhub_token")]);
      expect(problems(creds({ dockerHub: { ...HUB, passwordSecret: "x".repeat(128) } }))).toEqual([invalid("passwordSecret", "x".repeat(128))]);
    });

    test("one secret for both (Key Vault's names are case-insensitive)", () => {
      expect(problems(creds({ dockerHub: { ...HUB, usernameSecret: "DockerHub", passwordSecret: "dockerhub" } }))).toEqual([
        `${at}.dockerHub.passwordSecret: "dockerhub" is the secret usernameSecret names too; ACR reads the user name and the password from two secrets: give the password's own secret`,
      ]);
    });

    test("missing keys, unknown keys, an Artifact Registry host that is not one", () => {
      expect(problems(creds({ dockerHub: { vaultId: VAULT } }))).toEqual([
        `${at}.dockerHub.usernameSecret: expected a non-empty string, got nothing`,
        `${at}.dockerHub.passwordSecret: expected a non-empty string, got nothing`,
      ]);
      expect(problems(creds({ dockerhub: HUB, artifactRegistry: { ...GAR, host: "gcr.io", region: "x" } }))).toEqual([
        `${at}.dockerhub: unknown key; did you mean "dockerHub"?`,
        `${at}.artifactRegistry.region: unknown key; valid keys are host, vaultId, usernameSecret, passwordSecret`,
        `${at}.artifactRegistry.host: "gcr.io" is not an Artifact Registry Docker host; expected <location>-docker.pkg.dev, e.g. europe-west1-docker.pkg.dev`,
      ]);
      expect(problems(creds({ artifactRegistry: { vaultId: VAULT, usernameSecret: "a", passwordSecret: "b" } }))).toEqual([
        `${at}.artifactRegistry.host: expected a non-empty string, got nothing`,
      ]);
      expect(problems(creds("docker-hub" as never))).toEqual([`${at}: expected a map, got "docker-hub"`]);
    });

    test("valid credentials plan", () => {
      expect(problems(creds({ dockerHub: HUB, artifactRegistry: GAR }))).toEqual([]);
    });
  });
});

describe("names", () => {
  test("the registry: gw, the name's letters and digits (20 at most), 16 hex digits of the identity", () => {
    expect(acrRegistryName("azure-cache", "sub/gpu-workbench/azure-cache/azure-cache")).toMatch(/^gwazurecache[0-9a-f]{16}$/);
    expect(acrRegistryName("A_very-long.Workbench-name-over-twenty", "x")).toMatch(/^gwaverylongworkbenchna[0-9a-f]{16}$/);
    expect(acrRegistryName("--", "x")).toMatch(/^gw[0-9a-f]{16}$/);
    // Another subscription, project, stack or name: another registry (ACR's names are global).
    expect(acrRegistryName("lab", "sub-a/p/s/lab")).not.toBe(acrRegistryName("lab", "sub-b/p/s/lab"));
    expect(acrRegistryName("lab", "sub-a/p/s/lab")).toBe(acrRegistryName("lab", "sub-a/p/s/lab"));
  });

  test("a rule: 5-50 letters, digits and hyphens, distinct for two repositories that slug alike", () => {
    expect(acrRuleName("quay/jupyter/scipy-notebook")).toMatch(/^quay-jupyter-scipy-notebook-[0-9a-f]{8}$/);
    const long = acrRuleName(`gcr/${"a".repeat(80)}/python`);
    expect(long).toMatch(/^gcr-a{37}-[0-9a-f]{8}$/);
    expect(long.length).toBe(50);
    expect(acrRuleName("quay/a.b")).not.toBe(acrRuleName("quay/a-b"));
    for (const r of [acrRuleName("k8s/x"), long]) expect(r).toMatch(/^[a-zA-Z0-9-]{5,50}$/);
  });
});

describe("refusals, word for word", () => {
  test("not with a Spark cluster, as on AWS", () => {
    expect(problems({ pullCache: true, apps: [{ kind: "jupyter-pyspark" }], cluster: { workers: 2 } })).toEqual([
      "workbench.pullCache: not with cluster in this version: the Spark workers pull their image from its registry, so a cache would serve the head only; remove pullCache or cluster",
    ]);
  });

  test("not with a baked image (it holds the images and pulls none at boot), as on AWS", () => {
    expect(problems({ pullCache: true, image: "baked" })).toEqual([
      "workbench.pullCache: not with image: baked: the baked image holds the apps' images already and pulls none at boot, so the cache would serve nothing; remove pullCache or image: baked",
    ]);
  });

  test("a private stack plans: its NAT gateway reaches the registry", () => {
    expect(problems({ pullCache: true, access: "private", allowedCidrs: undefined })).toEqual([]);
    expect(problems({ pullCache: true })).toEqual([]);
  });
});

describe("the month: the Basic registry every day, and the storage beyond its 10 GB", () => {
  test("the catalog's sizes of the cached images only", () => {
    const s = spec({
      pullCache: true,
      apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "kaggle-python", hostPort: 8890 }, custom("ghcr.io/acme/lab:1", 1)],
    });
    expect(acrCacheMonth(s)).toEqual([
      {
        label: "ACR Basic registry (the artifact cache): USD 0.167/day with 10 GB of storage (US list price, a planning figure not read from Azure)",
        monthly: 5.08,
      },
      {
        label:
          "ACR storage beyond the 10 GB included: 24 of up to 34 GB of cached images (the catalog's unpacked sizes; ACR stores the compressed layers, which are smaller; 1 custom image not counted) at USD 0.003/GB-day",
        monthly: 2.19,
      },
    ]);
    expect(azureStoppedCosts(128, 256, s).map((c) => c.label)).toEqual([
      "OS disk 128 GB (Premium SSD P10)",
      "data disk 256 GB (Premium SSD P15)",
      "ACR Basic registry (the artifact cache): USD 0.167/day with 10 GB of storage (US list price, a planning figure not read from Azure)",
      "ACR storage beyond the 10 GB included: 24 of up to 34 GB of cached images (the catalog's unpacked sizes; ACR stores the compressed layers, which are smaller; 1 custom image not counted) at USD 0.003/GB-day",
      "public IPv4 address",
    ]);
  });

  test("nothing cached, or no cache: no registry, no line", () => {
    expect(acrCacheMonth(spec({ pullCache: true, apps: [{ kind: "rstudio" }] }))).toEqual([]);
    expect(acrCacheMonth(spec({ apps: [{ kind: "jupyter" }] }))).toEqual([]);
  });
});

describe("the model: ready waits for the cached images' pull", () => {
  const BIG = [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "kaggle-python", hostPort: 8890 }];
  const at = (over: Record<string, unknown>) => {
    const steps = timeToReady(spec({ apps: BIG, ...over })).steps;
    const find = (name: string) => steps.find((x) => x.step === name)!;
    return { pullEnds: Math.round((find("pull").startMinute + find("pull").minutes) * 100) / 100, ready: find("ready") };
  };

  test("with an image cached, ready starts when the pull ends, and says why", () => {
    const { pullEnds, ready } = at({ pullCache: true });
    expect(ready.startMinute).toBe(pullEnds);
    expect(ready.note).toBe("the ready marker, after the cached images' pull; VM suite: 1-2 s");
  });

  test("without the cache ready comes before the pull's end; with nothing cached it does not move", () => {
    const plain = at({});
    expect(plain.ready.startMinute).toBeLessThan(plain.pullEnds);
    expect(plain.ready.note).toBe("the ready marker; VM suite: 1-2 s");
    const hubOnly = { apps: [{ kind: "rstudio" }] };
    expect(at({ pullCache: true, ...hubOnly }).ready).toEqual(at(hubOnly).ready);
  });
});

describe("what the user data tells the machine", () => {
  const s = () => spec({ pullCache: true, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }] });
  const images = { "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18": `${HOST}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18` };

  test("the cached references, how to sign in, that ready waits; no region", () => {
    expect(pullCacheVars(s(), { login: "acr", registry: HOST, readyWaits: true, images })).toEqual({
      GW_IMAGES: `${HOST}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18 rocker/rstudio:4.5.1`,
      GW_PULL_CACHE_LOGIN: "acr",
      GW_PULL_CACHE_REGISTRY: HOST,
      GW_PULL_CACHE_WAIT: "1",
    });
    expect(pullCacheVars(s(), { login: "acr", registry: HOST, clientId: "0a1b2c3d-0000-4000-8000-0123456789ab", images }).GW_PULL_CACHE_CLIENT_ID).toBe(
      "0a1b2c3d-0000-4000-8000-0123456789ab",
    );
    expect(() => pullCacheVars(s(), { login: "acr", registry: HOST, clientId: "x&resource=evil", images })).toThrow(
      'bootstrap: the pull cache\'s client id "x&resource=evil" is not a GUID; refusing to render it',
    );
  });

  test("the size check before any resource counts the cache's lines, on the large side", () => {
    const secrets = { hostKey: generateEd25519OpenSsh(), rdpPasswordHashes: {} };
    const longHost = `${"a".repeat(50)}.azurecr.io`;
    const t = spec({ pullCache: true, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "kaggle-python", hostPort: 8890 }] });
    const real = gzipUserData(
      renderCloudInit(t, secrets, { login: "acr", registry: longHost, readyWaits: true, images: cachedImages(acrCachePlan(t), longHost) }),
    ).length;
    const estimate = estimatedUserDataGzipBytes(t);
    expect(estimate).toBeGreaterThanOrEqual(real);
    expect(estimate - real).toBeLessThan(150);
  });
});

describe("the machine, against stand-ins", () => {
  const SCRIPTS = path.join(__dirname, "../../components/bootstrap/scripts");
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw24f-acr-"));
    fs.mkdirSync(path.join(dir, "bin"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
  const bin = (name: string, text: string) => fs.writeFileSync(path.join(dir, "bin", name), `#!/bin/sh\n${text}`, { mode: 0o755 });

  describe("prepull.sh registry-login: the identity's token exchanged at the registry, piped to docker login", () => {
    beforeEach(() => {
      // curl: the metadata endpoint answers with an ARM token unless IMDS_FAILS; the registry's
      // exchange with a refresh token unless EXCHANGE_FAILS calls fail (AcrPull not propagated yet).
      bin(
        "curl",
        `stdin=""; case "$*" in *--data-binary*) stdin=" stdin=$(cat)" ;; esac\necho "curl $*$stdin" >> "${dir}/calls"\n` +
          `case "$*" in\n  *169.254.169.254*) [ -z "$IMDS_FAILS" ] || { echo "curl: (7) Failed to connect to 169.254.169.254 port 80" >&2; exit 7; }\n` +
          `    printf '{"access_token":"arm-token","expires_in":"86399","resource":"https://management.azure.com/","token_type":"Bearer"}' ;;\n` +
          `  *oauth2/exchange*) n=$(grep -c 'oauth2/exchange' "${dir}/calls"); if [ "$n" -le "\${EXCHANGE_FAILS:-0}" ]; then echo "curl: (22) The requested URL returned error: 401" >&2; exit 22; fi\n` +
          `    printf '{"refresh_token":"acr-refresh-%s"}' "$n" ;;\nesac\n`,
      );
      bin(
        "docker",
        `if [ "$1" = login ]; then echo "docker $* stdin=$(cat)" >> "${dir}/calls"; echo "Login Succeeded"; else echo "docker $*" >> "${dir}/calls"; fi\n`,
      );
    });
    const env = (extra: Record<string, string> = {}) => ({
      ...process.env,
      PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
      GW_TARGET: "azure",
      GW_MARKER: path.join(dir, "ready.json"),
      GW_PULL_CACHE_LOGIN: "acr",
      GW_PULL_CACHE_REGISTRY: HOST,
      GW_PULL_PAUSE: "0",
      ...extra,
    });
    const IMDS = `curl -fsS -m 20 --noproxy * -H Metadata:true http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fmanagement.azure.com%2F`;
    const EXCHANGE = `curl -fsS -m 30 -H Content-Type: application/x-www-form-urlencoded --data-binary @- https://${HOST}/oauth2/exchange stdin=grant_type=access_token&service=${HOST}&access_token=arm-token`;
    const LOGIN = (n: number) => `docker login --username 00000000-0000-0000-0000-000000000000 --password-stdin ${HOST} stdin=acr-refresh-${n}`;

    test("the tokens go through pipes (never a command line), the user is ACR's null GUID; the marker untouched", () => {
      const r = spawnSync("bash", [path.join(SCRIPTS, "prepull.sh"), "registry-login"], { encoding: "utf8", env: env() });
      expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
      expect(calls()).toEqual([IMDS, EXCHANGE, LOGIN(1)]);
      expect(fs.existsSync(path.join(dir, "ready.json"))).toBe(false);
    });

    test("a user-assigned identity: its client id in the metadata request", () => {
      const r = spawnSync("bash", [path.join(SCRIPTS, "prepull.sh"), "registry-login"], {
        encoding: "utf8",
        env: env({ GW_PULL_CACHE_CLIENT_ID: "0a1b2c3d-0000-4000-8000-0123456789ab" }),
      });
      expect(r.status).toBe(0);
      expect(calls()[0]).toBe(`${IMDS}&client_id=0a1b2c3d-0000-4000-8000-0123456789ab`);
    });

    test("no token from the metadata endpoint, or the registry refuses it: says why, never the token, no docker login", () => {
      let r = spawnSync("bash", [path.join(SCRIPTS, "prepull.sh"), "registry-login"], { encoding: "utf8", env: env({ IMDS_FAILS: "1" }) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`gpu-workbench[]: no token from the metadata endpoint for ${HOST} (curl: (7) Failed to connect to 169.254.169.254 port 80)\n`);
      fs.rmSync(path.join(dir, "calls"));
      r = spawnSync("bash", [path.join(SCRIPTS, "prepull.sh"), "registry-login"], { encoding: "utf8", env: env({ EXCHANGE_FAILS: "1" }) });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `gpu-workbench[]: ${HOST} refused the identity's token (curl: (22) The requested URL returned error: 401); does the VM's identity have AcrPull on the registry yet?\n`,
      );
      expect(r.stderr).not.toContain("arm-token");
      expect(calls()).toEqual([IMDS, EXCHANGE]);
    });

    test("the background pulls sign in before every try: a grant still propagating costs two tries, then the image pulls", () => {
      const script = fs.readFileSync(path.join(SCRIPTS, "prepull.sh"), "utf8");
      const pull = /^pull='(.*)'$/m.exec(script)![1];
      const installed = path.join(dir, "scripts/prepull.sh");
      fs.mkdirSync(path.dirname(installed));
      fs.copyFileSync(path.join(SCRIPTS, "prepull.sh"), installed);
      fs.copyFileSync(path.join(SCRIPTS, "lib.sh"), path.join(dir, "scripts/lib.sh"));
      fs.chmodSync(installed, 0o755);
      const image = `${HOST}/quay/jupyter/scipy-notebook:2025-08-18`;
      const r = spawnSync("sh", ["-c", pull, "prepull", installed, image], { encoding: "utf8", env: env({ EXCHANGE_FAILS: "2" }) });
      expect(r.status).toBe(0);
      expect(calls()).toEqual([IMDS, EXCHANGE, IMDS, EXCHANGE, IMDS, EXCHANGE, LOGIN(3), `docker pull -q ${image}`]);
    });
  });

  describe("ready.sh waits for the cached images only", () => {
    const cached = [`${HOST}/quay/jupyter/pytorch-notebook:cuda12-2025-08-18`, `${HOST}/gcr/kaggle-gpu-images/python:v168`];
    beforeEach(() => {
      // docker: an image is on the engine once its file exists. An image "arriving" (arriving/<file>
      // holds N) lands on the engine at its Nth inspect: a pull that ends between two polls, counted
      // in polls rather than seconds, so a loaded machine changes nothing.
      bin(
        "docker",
        `case "$1 $2" in\n  "version --format") echo 28.5.1 ;;\n  "image inspect") echo "docker image inspect $3" >> "${dir}/calls"; f=$(printf '%s' "$3" | tr '/:' '__')\n    if [ -e "${dir}/arriving/$f" ]; then n=$(cat "${dir}/arriving/$f"); if [ "$n" -le 1 ]; then rm "${dir}/arriving/$f"; : > "${dir}/engine/$f"; else echo $((n - 1)) > "${dir}/arriving/$f"; fi; fi\n    [ -e "${dir}/engine/$f" ] ;;\nesac\n`,
      );
      fs.mkdirSync(path.join(dir, "arriving"));
      // systemctl: the pre-pull unit runs while the file "prepull-active" exists.
      bin("systemctl", `[ -e "${dir}/prepull-active" ]\n`);
      fs.mkdirSync(path.join(dir, "engine"));
    });
    const pulled = (image: string) => fs.writeFileSync(path.join(dir, "engine", image.replace(/[/:]/g, "_")), "");
    const arrivesAtInspect = (image: string, n: number) => fs.writeFileSync(path.join(dir, "arriving", image.replace(/[/:]/g, "_")), `${n}\n`);
    // This machine runs no systemd: a copy of the scripts whose lib.sh says it does, for the unit's checks.
    const withSystemd = () => {
      fs.mkdirSync(path.join(dir, "scripts"));
      fs.copyFileSync(path.join(SCRIPTS, "ready.sh"), path.join(dir, "scripts/ready.sh"));
      const lib = fs.readFileSync(path.join(SCRIPTS, "lib.sh"), "utf8");
      const patched = lib.replace("have_systemd() { [ -d /run/systemd/system ]; }", "have_systemd() { true; }");
      expect(patched).not.toBe(lib);
      fs.writeFileSync(path.join(dir, "scripts/lib.sh"), patched);
      return path.join(dir, "scripts/ready.sh");
    };
    const run = (extra: Record<string, string> = {}, script = path.join(SCRIPTS, "ready.sh")) =>
      spawnSync("bash", [script], {
        encoding: "utf8",
        env: {
          ...process.env,
          PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
          GW_TARGET: "azure",
          GW_GPU_COUNT: "0",
          GW_STEPS: "users docker prepull ready",
          GW_MARKER: path.join(dir, "ready.json"),
          GW_IMAGES: `${cached[0]} rocker/rstudio:4.5.1 ${cached[1]}`,
          GW_PULL_CACHE_REGISTRY: HOST,
          GW_PULL_CACHE_WAIT: "1",
          GW_PULL_CACHE_POLL: "0.2",
          ...extra,
        },
        timeout: 20000,
      });
    const marker = () => JSON.parse(fs.readFileSync(path.join(dir, "ready.json"), "utf8"));

    test("while the pre-pull runs, ready waits", () => {
      pulled(cached[0]);
      fs.writeFileSync(path.join(dir, "prepull-active"), "");
      arrivesAtInspect(cached[1], 3);
      const r = run({}, withSystemd());
      expect(r.status).toBe(0);
      expect(marker().status).toBe("ready");
      expect(calls().filter((c) => c === `docker image inspect ${cached[1]}`).length).toBe(3);
    });

    test("ready only once both cached images are on the engine; the direct one (still pulling) is not waited for", () => {
      // A pre-pull in the background: the first cached image at once, the second at the third poll.
      pulled(cached[0]);
      arrivesAtInspect(cached[1], 3);
      const r = run();
      expect(r.status).toBe(0);
      expect(marker().status).toBe("ready");
      const inspected = calls();
      expect(new Set(inspected)).toEqual(new Set(cached.map((i) => `docker image inspect ${i}`)));
      expect(inspected.filter((c) => c === `docker image inspect ${cached[1]}`).length).toBe(3);
      expect(r.stderr).toContain(`cached image on the engine: ${cached[1]}\n`);
    });

    test("without the cache's wait, ready inspects no image", () => {
      const r = run({ GW_PULL_CACHE_WAIT: "" });
      expect(r.status).toBe(0);
      expect(fs.existsSync(path.join(dir, "calls"))).toBe(false);
    });

    test("the pre-pull gave up on a cached image: ready fails naming it, the journal and the fix", () => {
      pulled(cached[0]);
      const r = run({}, withSystemd());
      expect(r.status).toBe(1);
      expect(marker()).toEqual({
        status: "failed",
        step: "ready",
        message: `the pre-pull gave up on the cached image ${cached[1]} (journalctl -u gpu-workbench-prepull); check that the VM's identity has AcrPull on ${HOST} and its cache rule exists, then resume from the pre-pull (sudo ${dir}/scripts/run.sh prepull) and run pulumi up again`,
      });
    });

    test("a cached image that never arrives fails ready after the wait, naming it", () => {
      pulled(cached[0]);
      const r = run({ GW_PULL_CACHE_WAIT_SECONDS: "1" });
      expect(r.status).toBe(1);
      expect(marker()).toEqual({
        status: "failed",
        step: "ready",
        message: `the cached image ${cached[1]} is not pulled after 1 s (journalctl -u gpu-workbench-prepull)`,
      });
    });
  });
});
