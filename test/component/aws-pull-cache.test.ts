/**
 * workbench.pullCache on AWS under Pulumi's mocks: the exact ECR rules, the instance role's grant,
 * the images the deployment pulls (cached references where a rule serves them, the others direct),
 * the provider's ECR token as a secret, what the user data tells the machine, and what the plan says
 * per app.
 */
import * as crypto from "crypto";
import * as zlib from "zlib";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockRecorder, registrationsSettled, SECRET_SIG, SECRET_SIG_KEY, unwrapSecrets, valueOf } from "../../scripts/lib/mocks";
import { deployableConfig } from "../support/fixtures";
import { recordDependencies, registrationQueries } from "../support/mockGraph";

let recorder: MockRecorder;
let Workbench: typeof import("../../components/workbench/workbench").Workbench;
let dependencies: Map<string, string[]>;
const { childrenOf, reg, plain, urnOf } = registrationQueries(() => recorder);

const REGION = "ap-northeast-2";
const ACCOUNT = "123456789012";
const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
// A deployment refuses AWS's documentation accounts in the config (config/exampleIds.ts), the mocks' own
// account (ACCOUNT) included: the secret is in a team account of its own here.
const DOCKER_HUB_SECRET = `arn:aws:secretsmanager:${REGION}:210987654321:secret:ecr-pullthroughcache/docker-hub-AbCdEf`;
/** The workbench's part of the prefixes: its name and a hash of project/stack/name. */
const base = (name: string) => `${name}-${crypto.createHash("sha256").update(`gpu-workbench/aws-cache-test/${name}`).digest("hex").slice(0, 6)}`;

beforeAll(async () => {
  recorder = await installMocks({ stack: "aws-cache-test", preview: false });
  pulumi.runtime.setConfig("aws:region", REGION);
  dependencies = recordDependencies();
  ({ Workbench } = await import("../../components/workbench/workbench"));
});

async function build(name: string, over: Record<string, unknown>) {
  const wb = new Workbench(name, { config: deployableConfig({ target: "aws", size: "g5.xlarge", ...over }) as never, region: REGION });
  await valueOf(wb.appUrls);
  await registrationsSettled(recorder);
  return wb;
}

function userData(name: string): string {
  const v = reg(name).inputs.userDataBase64 as Record<string, unknown>;
  return zlib.gunzipSync(Buffer.from(v.value as string, "base64")).toString("utf8");
}

const APPS = [
  { kind: "jupyter-pytorch" }, // quay.io
  { kind: "rstudio" }, // Docker Hub (rocker/rstudio)
  { kind: "kaggle-python", hostPort: 8890 }, // gcr.io
  { kind: "custom", name: "web", image: "nginx:1.27", port: 8080 }, // a Docker Hub official image
];

describe("pullCache without credentials: quay.io cached; Docker Hub and gcr.io direct", () => {
  let wb: InstanceType<typeof Workbench>;
  const b = base("pc");
  beforeAll(async () => {
    wb = await build("pc", { pullCache: true, apps: APPS });
  });

  test("exact children: one rule (quay.io, the only upstream used that needs no credential) and the role's grant", () => {
    expect(childrenOf("pc")).toEqual([
      "aws:ecr/pullThroughCacheRule:PullThroughCacheRule pc-pull-cache-quay",
      "aws:iam/rolePolicy:RolePolicy pc-pull-cache-grant",
      "command:remote:Command pc-ready",
      "gpu-workbench:index:AnalysisApps pc-apps",
      "gpu-workbench:index:AwsGpuInstance pc-host",
      "tls:index/privateKey:PrivateKey pc-host-key",
    ]);
    expect(plain("pc-pull-cache-quay")).toEqual({ ecrRepositoryPrefix: `${b}-quay`, upstreamRegistryUrl: "quay.io" });
  });

  test("the grant: a registry token, and only the pulls and a cache miss's actions on the rule's repositories", () => {
    expect(JSON.parse(plain("pc-pull-cache-grant").policy as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "RegistryToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "PullThroughCache",
          Effect: "Allow",
          Action: [
            "ecr:BatchCheckLayerAvailability",
            "ecr:BatchGetImage",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchImportUpstreamImage",
            "ecr:CreateRepository",
          ],
          Resource: [`arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${b}-quay/*`],
        },
      ],
    });
    expect(plain("pc-pull-cache-grant").role).toBe("pc-host-role-id");
    // The rule exists before the grant, the machine and the ready check; the apps wait for the grant.
    expect(dependencies.get("pc-pull-cache-grant")).toEqual([urnOf("pc-pull-cache-quay"), urnOf("pc-host-role")]);
    expect(dependencies.get("pc-host")).toEqual([urnOf("pc-pull-cache-quay")]);
    // (A component in dependsOn stands for its children.)
    expect(dependencies.get("pc-ready")).toEqual(expect.arrayContaining([urnOf("pc-pull-cache-grant"), urnOf("pc-host-instance")]));
  });

  test("the deployment pulls quay.io's image from the cache and the others from their registries", () => {
    const names = Object.fromEntries(
      recorder.registrations.filter((r) => r.type === "docker:index/remoteImage:RemoteImage" && r.parent === "pc-apps").map((r) => [r.name, r.inputs.name]),
    );
    expect(names).toEqual({
      "pc-apps-image-quay-io-jupyter-pytorch-notebook-cuda12-2025-08-18": `${REGISTRY}/${b}-quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pc-apps-image-rocker-rstudio-4-5-1": "rocker/rstudio:4.5.1",
      "pc-apps-image-gcr-io-kaggle-gpu-images-python-v168": "gcr.io/kaggle-gpu-images/python:v168",
      "pc-apps-image-nginx-1-27": "nginx:1.27",
    });
  });

  test("the provider signs in to the cache with the deployer's ECR token, a secret", () => {
    const auth = reg("pc-apps-docker").inputs.registryAuth as Record<string, unknown>;
    expect(auth[SECRET_SIG_KEY]).toBe(SECRET_SIG);
    // A provider's inputs reach the engine as JSON.
    expect(JSON.parse(unwrapSecrets(auth) as string)).toEqual([{ address: REGISTRY, username: "AWS", password: "mock-ecr-token" }]);
    expect(recorder.invocations.filter((i) => i.token === "aws:ecr/getAuthorizationToken:getAuthorizationToken").map((i) => i.inputs)).toContainEqual({
      registryId: ACCOUNT,
    });
  });

  test("the user data names the cached image and how the machine signs in", () => {
    const lines = userData("pc-host-instance")
      .split("\n")
      .filter((l) => /GW_IMAGES|GW_PULL_CACHE/.test(l))
      .map((l) => l.trim());
    expect(lines).toEqual([
      `GW_IMAGES='${REGISTRY}/${b}-quay/jupyter/pytorch-notebook:cuda12-2025-08-18 rocker/rstudio:4.5.1 gcr.io/kaggle-gpu-images/python:v168 nginx:1.27'`,
      "GW_PULL_CACHE_LOGIN=ecr",
      `GW_PULL_CACHE_REGISTRY=${REGISTRY}`,
      `GW_PULL_CACHE_REGION=${REGION}`,
    ]);
  });

  test("the plan says per app: cached via which rule, or direct and why", async () => {
    const details = (await valueOf(wb.hostDetails)) as Record<string, string>;
    expect(Object.fromEntries(Object.entries(details).filter(([k]) => k.startsWith("pullCache.")))).toEqual({
      "pullCache.jupyter-pytorch": `cached via ECR rule ${b}-quay (quay.io): ${REGISTRY}/${b}-quay/jupyter/pytorch-notebook:cuda12-2025-08-18`,
      "pullCache.rstudio": "direct: Docker Hub: ECR caches it only with a credential; set aws.pullCacheCredentials.dockerHub",
      "pullCache.kaggle-python": "direct: gcr.io: ECR's pull-through cache does not support Google's registries",
      "pullCache.web": "direct: Docker Hub: ECR caches it only with a credential; set aws.pullCacheCredentials.dockerHub",
    });
  });
});

describe("pullCache with a Docker Hub credential: official images under library/", () => {
  const b = base("hub");
  beforeAll(async () => {
    await build("hub", { pullCache: true, apps: APPS, aws: { pullCacheCredentials: { dockerHub: DOCKER_HUB_SECRET } } });
  });

  test("two rules, Docker Hub's with the secret; one grant over both prefixes", () => {
    expect(childrenOf("hub").filter((c) => c.includes("pull-cache"))).toEqual([
      "aws:ecr/pullThroughCacheRule:PullThroughCacheRule hub-pull-cache-docker-hub",
      "aws:ecr/pullThroughCacheRule:PullThroughCacheRule hub-pull-cache-quay",
      "aws:iam/rolePolicy:RolePolicy hub-pull-cache-grant",
    ]);
    expect(plain("hub-pull-cache-docker-hub")).toEqual({
      ecrRepositoryPrefix: `${b}-docker-hub`,
      upstreamRegistryUrl: "registry-1.docker.io",
      credentialArn: DOCKER_HUB_SECRET,
    });
    const policy = JSON.parse(plain("hub-pull-cache-grant").policy as string) as { Statement: { Resource: unknown }[] };
    expect(policy.Statement[1].Resource).toEqual([
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${b}-quay/*`,
      `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${b}-docker-hub/*`,
    ]);
  });

  test("Docker Hub's images pull from the cache, its official image under library/", () => {
    expect(plain("hub-apps-image-rocker-rstudio-4-5-1").name).toBe(`${REGISTRY}/${b}-docker-hub/rocker/rstudio:4.5.1`);
    expect(plain("hub-apps-image-nginx-1-27").name).toBe(`${REGISTRY}/${b}-docker-hub/library/nginx:1.27`);
    expect(plain("hub-apps-image-gcr-io-kaggle-gpu-images-python-v168").name).toBe("gcr.io/kaggle-gpu-images/python:v168");
  });
});

describe("pullCache where no image can be cached (gcr.io only)", () => {
  let wb: InstanceType<typeof Workbench>;
  beforeAll(async () => {
    wb = await build("gcr", { pullCache: true, apps: [{ kind: "kaggle-python" }] });
  });

  test("no rule, no grant, no sign-in; the plan says why", async () => {
    expect(childrenOf("gcr").filter((c) => c.includes("pull-cache"))).toEqual([]);
    expect(reg("gcr-apps-docker").inputs.registryAuth).toBeUndefined();
    expect(userData("gcr-host-instance")).not.toContain("GW_PULL_CACHE");
    const details = (await valueOf(wb.hostDetails)) as Record<string, string>;
    expect(details["pullCache.kaggle-python"]).toBe("direct: gcr.io: ECR's pull-through cache does not support Google's registries");
  });
});

test("without pullCache: no ECR resource, no ECR lookup, no sign-in", async () => {
  const before = recorder.invocations.filter((i) => i.token.startsWith("aws:ecr/")).length;
  await build("plain", { apps: APPS });
  expect(recorder.registrations.filter((r) => r.type.startsWith("aws:ecr/") && r.parent === "plain")).toEqual([]);
  expect(recorder.invocations.filter((i) => i.token.startsWith("aws:ecr/")).length).toBe(before);
  expect(reg("plain-apps-docker").inputs.registryAuth).toBeUndefined();
  expect(userData("plain-host-instance")).not.toContain("GW_PULL_CACHE");
});
