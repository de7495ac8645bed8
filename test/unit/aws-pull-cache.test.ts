/**
 * workbench.pullCache on AWS, the pure part: image references as Docker reads them, the rewrite to
 * the cache's references (Docker Hub's official images under library/, tags and digests kept), the
 * rule prefixes, the refusals word for word, the month's storage line, what the user data tells
 * the machine, and the machine's sign-in run for real against stand-in `aws` and `docker` commands.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import "../../components/targets";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { pullCacheVars } from "../../components/bootstrap/scripts";
import { awsStoppedCosts } from "../../components/targets/aws/costs";
import {
  cachedImages,
  ecrRegistryHost,
  parseImageRef,
  pullCacheBase,
  pullCacheMonth,
  pullCachePlan,
  rulePrefix,
  ECR_UPSTREAMS,
} from "../../components/targets/aws/pullCachePlan";
import { rawConfig } from "../support/fixtures";
import { generateEd25519OpenSsh } from "../../components/access/keys";
import { gzipUserData, renderCloudInit } from "../../components/bootstrap";
import { estimatedUserDataGzipBytes } from "../../components/workbench/hostAccess";

const REGION = "ap-northeast-2";
const HOST = "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com";
const SECRET = (region: string, name = "docker-hub-AbCdEf") => `arn:aws:secretsmanager:${region}:123456789012:secret:ecr-pullthroughcache/${name}`;
const DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

function problems(over: Record<string, unknown>, target = "aws", region: string | undefined = REGION): string[] {
  try {
    parseWorkbenchConfig(rawConfig({ target, size: target === "aws" ? "g5.xlarge" : undefined, ...over }), { region });
  } catch (e) {
    if (e instanceof WorkbenchConfigError) return e.problems;
    throw e;
  }
  return [];
}
const spec = (over: Record<string, unknown>): WorkbenchSpec =>
  parseWorkbenchConfig(rawConfig({ target: "aws", size: "g5.xlarge", ...over }), { region: REGION });
const custom = (image: string, i = 0) => ({ kind: "custom", name: `app${i}`, image, port: 8000 + i });

test.each([
  ["nginx", { registry: "docker.io", path: "library/nginx", suffix: "" }],
  ["nginx:1.27", { registry: "docker.io", path: "library/nginx", suffix: ":1.27" }],
  ["docker.io/nginx:1.27", { registry: "docker.io", path: "library/nginx", suffix: ":1.27" }],
  ["index.docker.io/library/nginx:1.27", { registry: "docker.io", path: "library/nginx", suffix: ":1.27" }],
  ["rocker/rstudio:4.5.1", { registry: "docker.io", path: "rocker/rstudio", suffix: ":4.5.1" }],
  [`rocker/rstudio@${DIGEST}`, { registry: "docker.io", path: "rocker/rstudio", suffix: `@${DIGEST}` }],
  [`quay.io/jupyter/scipy-notebook:2025-08-18@${DIGEST}`, { registry: "quay.io", path: "jupyter/scipy-notebook", suffix: `:2025-08-18@${DIGEST}` }],
  ["localhost:5000/team/lab:1", { registry: "localhost:5000", path: "team/lab", suffix: ":1" }],
  ["localhost/lab", { registry: "localhost", path: "lab", suffix: "" }],
  ["ghcr.io/acme/lab", { registry: "ghcr.io", path: "acme/lab", suffix: "" }],
  ["gcr.io/kaggle-gpu-images/python:v168", { registry: "gcr.io", path: "kaggle-gpu-images/python", suffix: ":v168" }],
])("Docker reads %s as %j", (ref, want) => {
  expect(parseImageRef(ref)).toEqual(want);
});

describe("the rewrite: source reference -> the cache's reference", () => {
  const s = spec({
    pullCache: true,
    aws: { pullCacheCredentials: { dockerHub: SECRET(REGION), ghcr: SECRET(REGION, "ghcr-AbCdEf") } },
    apps: [
      "alpine:3.20",
      "nginx:1.27",
      "docker.io/library/python:3.12-slim",
      `rocker/rstudio@${DIGEST}`,
      "quay.io/jupyter/scipy-notebook:2025-08-18",
      "public.ecr.aws/docker/library/redis:7",
      "registry.k8s.io/pause:3.10",
      "ghcr.io/acme/lab:1.2",
      "gcr.io/kaggle-images/python:v168",
      "us-docker.pkg.dev/acme/lab/img:1",
      "nvcr.io/nvidia/pytorch:25.01-py3",
    ].map(custom),
  });
  const b = "wb-abc123";
  const plan = pullCachePlan(s, b, { dockerHub: SECRET(REGION), ghcr: SECRET(REGION, "ghcr-AbCdEf") });

  test("every upstream ECR supports is cached through its own rule; the rest stay direct", () => {
    expect(cachedImages(plan, HOST)).toEqual({
      "alpine:3.20": `${HOST}/${b}-docker-hub/library/alpine:3.20`,
      "nginx:1.27": `${HOST}/${b}-docker-hub/library/nginx:1.27`,
      "docker.io/library/python:3.12-slim": `${HOST}/${b}-docker-hub/library/python:3.12-slim`,
      [`rocker/rstudio@${DIGEST}`]: `${HOST}/${b}-docker-hub/rocker/rstudio@${DIGEST}`,
      "quay.io/jupyter/scipy-notebook:2025-08-18": `${HOST}/${b}-quay/jupyter/scipy-notebook:2025-08-18`,
      "public.ecr.aws/docker/library/redis:7": `${HOST}/${b}-ecr-public/docker/library/redis:7`,
      "registry.k8s.io/pause:3.10": `${HOST}/${b}-k8s/pause:3.10`,
      "ghcr.io/acme/lab:1.2": `${HOST}/${b}-ghcr/acme/lab:1.2`,
    });
    expect(plan.rules.map((r) => [r.prefix, r.upstream.url, r.credentialArn])).toEqual([
      [`${b}-ecr-public`, "public.ecr.aws", undefined],
      [`${b}-quay`, "quay.io", undefined],
      [`${b}-k8s`, "registry.k8s.io", undefined],
      [`${b}-docker-hub`, "registry-1.docker.io", SECRET(REGION)],
      [`${b}-ghcr`, "ghcr.io", SECRET(REGION, "ghcr-AbCdEf")],
    ]);
    expect(plan.entries.filter((e) => !e.cached)).toEqual([
      { image: "gcr.io/kaggle-images/python:v168", cached: false, why: "gcr.io: ECR's pull-through cache does not support Google's registries" },
      { image: "us-docker.pkg.dev/acme/lab/img:1", cached: false, why: "us-docker.pkg.dev: ECR's pull-through cache does not support Google's registries" },
      {
        image: "nvcr.io/nvidia/pytorch:25.01-py3",
        cached: false,
        why: "nvcr.io: not an upstream this version caches (public.ecr.aws, quay.io, registry.k8s.io; Docker Hub and ghcr.io with aws.pullCacheCredentials)",
      },
    ]);
  });

  test("without a credential, Docker Hub and ghcr.io stay direct and no rule is made for them", () => {
    const p = pullCachePlan(s, b, {});
    expect(p.rules.map((r) => r.upstream.url)).toEqual(["public.ecr.aws", "quay.io", "registry.k8s.io"]);
    expect(p.byApp.app0).toEqual({
      image: "alpine:3.20",
      cached: false,
      why: "Docker Hub: ECR caches it only with a credential; set aws.pullCacheCredentials.dockerHub",
    });
    expect(p.byApp.app7).toEqual({
      image: "ghcr.io/acme/lab:1.2",
      cached: false,
      why: "ghcr.io: ECR caches it only with a credential; set aws.pullCacheCredentials.ghcr",
    });
  });

  test("a registry the team signs in to (a private image) stays direct when its rule has no credential", () => {
    const priv = spec({
      pullCache: true,
      registries: [{ server: "quay.io", username: "acme", password: "pw" }],
      apps: [custom("quay.io/acme/private:1")],
    });
    expect(pullCachePlan(priv, b, {}).byApp.app0).toEqual({
      image: "quay.io/acme/private:1",
      cached: false,
      why: "quay.io: workbench.registries signs in to it (a private image), and ECR's rule for it has no credential",
    });
  });

  test("a built app's base image is not rewritten (its Dockerfile's FROM pulls it)", () => {
    const built = spec({ pullCache: true, apps: [{ kind: "jupyter", build: { packages: ["polars"] } }] });
    expect(pullCachePlan(built, b, {}).byApp.jupyter).toEqual({
      image: "quay.io/jupyter/scipy-notebook:2025-08-18",
      cached: false,
      why: "built on the machine (build): its Dockerfile's FROM pulls the base image",
    });
    expect(pullCachePlan(built, b, {}).rules).toEqual([]);
  });
});

describe("rule prefixes: 2-30 characters, one per workbench and upstream", () => {
  test.each([
    ["aws-g5", "aws-g5"],
    ["Team_Lab.Prod", "team-lab-pro"],
    ["a-very-long-workbench-name-indeed", "a-very-long"],
    ["---", "gw"],
    ["データ", "gw"],
  ])("%s -> %s-<hash>", (name, slug) => {
    const b = pullCacheBase(name, `gpu-workbench/dev/${name}`);
    expect(b).toMatch(new RegExp(`^${slug}-[0-9a-f]{6}$`));
    for (const u of Object.values(ECR_UPSTREAMS)) {
      const p = rulePrefix(b, u);
      expect(p.length).toBeLessThanOrEqual(30);
      expect(p).toMatch(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/);
    }
  });

  test("two stacks (or two workbenches of one program) never share a prefix", () => {
    expect(pullCacheBase("wb", "gpu-workbench/dev/wb")).not.toBe(pullCacheBase("wb", "gpu-workbench/prod/wb"));
    expect(pullCacheBase("wb", "gpu-workbench/dev/wb")).toBe(pullCacheBase("wb", "gpu-workbench/dev/wb"));
  });

  test("a prefix ECR would refuse throws (it cannot be made from a name: checked anyway)", () => {
    expect(() => rulePrefix("x".repeat(20), ECR_UPSTREAMS["docker.io"])).toThrow(
      `pullCache: the ECR repository prefix "${"x".repeat(20)}-docker-hub" is not 2-30 lowercase letters, digits and ".", "_", "-"`,
    );
    expect(() => ecrRegistryHost("12345", REGION)).toThrow('pullCache: "12345" is not an AWS account id');
    expect(ecrRegistryHost("123456789012", "cn-north-1")).toBe("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
  });
});

describe("refusals, word for word", () => {
  test("on softlayer and the existing-host targets (azure: test/unit/azure-pull-cache.test.ts)", () => {
    expect(problems({ pullCache: true, target: "softlayer", size: "AC1_8X60X100", datacenter: "dal10" }, "softlayer", undefined)).toContain(
      "workbench.pullCache: not available for target softlayer: IBM Cloud classic has no pull-through cache for a guest to read with a machine identity; remove pullCache",
    );
    expect(problems({ pullCache: true, target: "local", allowedCidrs: undefined }, "local", undefined)).toEqual([
      "workbench.pullCache: only for cloud targets (the cache is the cloud's registry, read with the machine's identity); target local pulls from the registries; remove it",
    ]);
  });

  test("credentials: the ARN's shape, the secret's name, its region, and only with pullCache", () => {
    expect(
      problems({ pullCache: true, aws: { pullCacheCredentials: { dockerHub: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dockerhub-AbCdEf" } } }),
    ).toEqual([
      'workbench.aws.pullCacheCredentials.dockerHub: "arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:dockerhub-AbCdEf" is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/... (ECR\'s pull-through cache reads only those); expected arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>',
    ]);
    expect(problems({ pullCache: true, aws: { pullCacheCredentials: { ghcr: "ghp_0123456789" } } })).toEqual([
      'workbench.aws.pullCacheCredentials.ghcr: "ghp_0123456789" is not the ARN of a Secrets Manager secret named ecr-pullthroughcache/... (ECR\'s pull-through cache reads only those); expected arn:aws:secretsmanager:<region>:<account>:secret:ecr-pullthroughcache/<name>',
    ]);
    expect(problems({ pullCache: true, aws: { pullCacheCredentials: { dockerHub: SECRET("us-east-1") } } })).toEqual([
      "workbench.aws.pullCacheCredentials.dockerHub: the secret is in us-east-1, the stack in ap-northeast-2; ECR's pull-through cache reads a secret of its own region only: copy the secret to ap-northeast-2",
    ]);
    expect(problems({ aws: { pullCacheCredentials: { dockerHub: SECRET(REGION) } } })).toEqual([
      "workbench.aws.pullCacheCredentials: only with pullCache: true; remove it, or set pullCache: true",
    ]);
    expect(problems({ pullCache: true, aws: { pullCacheCredentials: { quay: SECRET(REGION) } } })).toEqual([
      "workbench.aws.pullCacheCredentials.quay: unknown key; valid keys are dockerHub, ghcr",
    ]);
  });

  test("not with a Spark cluster (its workers would pull directly)", () => {
    const cluster = { cluster: { workers: 1, size: "g5.xlarge" }, aws: { workerSubnetId: "subnet-0123456789abcdef0" }, apps: [{ kind: "jupyter-pyspark" }] };
    expect(problems({ pullCache: true, ...cluster })).toEqual([
      "workbench.pullCache: not with cluster in this version: the Spark workers pull their image from its registry, so a cache would serve the head only; remove pullCache or cluster",
    ]);
  });

  test("not with a baked image (it holds the images and pulls none at boot), as on Azure", () => {
    expect(problems({ pullCache: true, image: "baked" })).toEqual([
      "workbench.pullCache: not with image: baked: the baked image holds the apps' images already and pulls none at boot, so the cache would serve nothing; remove pullCache or image: baked",
    ]);
    expect(problems({ pullCache: true, image: "gpu-ready" })).toEqual([]);
  });

  test("gcr.io images are not refused: they stay direct", () => {
    expect(problems({ pullCache: true, apps: [{ kind: "kaggle-python" }] })).toEqual([]);
  });
});

describe("the month: ECR stores the cached images", () => {
  test("the cached images' catalog size at USD 0.10/GB-month; direct ones are not counted", () => {
    const s = spec({
      pullCache: true,
      apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "kaggle-python", hostPort: 8890 }, custom("public.ecr.aws/acme/vllm:1", 1)],
    });
    const line = {
      label:
        "ECR pull-through cache storage: up to 12 GB of images (the catalog's unpacked sizes; ECR bills the compressed layers, which are smaller; 1 custom image not counted) at USD 0.10/GB-month",
      monthly: 1.2,
    };
    expect(pullCacheMonth(s, {})).toEqual(line);
    expect(awsStoppedCosts(128, 256, s).map((c) => c.label)).toEqual(["OS disk 128 GB (gp3)", "data disk 256 GB (gp3)", line.label, "public IPv4 address"]);
    // With Docker Hub's credential, rocker/rstudio (2 GB) is cached too.
    expect(pullCacheMonth(s, { dockerHub: SECRET(REGION) })?.monthly).toBe(1.4);
    expect(pullCacheMonth(spec({ apps: [{ kind: "jupyter" }] }), {})).toBeUndefined();
    expect(pullCacheMonth(spec({ pullCache: true, apps: [{ kind: "kaggle-python" }] }), {})).toBeUndefined();
  });
});

describe("what the user data tells the machine (pullCacheVars)", () => {
  const s = spec({ pullCache: true, apps: [{ kind: "jupyter" }, { kind: "rstudio" }] });
  const cache = {
    login: "ecr" as const,
    registry: HOST,
    region: REGION,
    images: { "quay.io/jupyter/scipy-notebook:2025-08-18": `${HOST}/wb-abc123-quay/jupyter/scipy-notebook:2025-08-18` },
  };

  test("the cached references in the pre-pull list, the others as they are, and how to sign in", () => {
    expect(pullCacheVars(s, cache)).toEqual({
      GW_IMAGES: `${HOST}/wb-abc123-quay/jupyter/scipy-notebook:2025-08-18 rocker/rstudio:4.5.1`,
      GW_PULL_CACHE_LOGIN: "ecr",
      GW_PULL_CACHE_REGISTRY: HOST,
      GW_PULL_CACHE_REGION: REGION,
    });
  });

  test("a registry, region or reference that is not one refuses to render", () => {
    expect(() => pullCacheVars(s, { ...cache, registry: `${HOST}\nGW_EVIL=1`, images: {} })).toThrow(
      `bootstrap: the pull cache's registry "${HOST}\\nGW_EVIL=1" is not a host or region name; refusing to render it`,
    );
    expect(() => pullCacheVars(s, { ...cache, region: "ap-northeast-2 x" })).toThrow(
      `bootstrap: the pull cache's region "ap-northeast-2 x" is not a host or region name; refusing to render it`,
    );
    expect(() => pullCacheVars(s, { ...cache, images: { "quay.io/jupyter/scipy-notebook:2025-08-18": "evil.example.com/x:1" } })).toThrow(
      `bootstrap: the cached image of "quay.io/jupyter/scipy-notebook:2025-08-18" is not in the cache registry "${HOST}"`,
    );
  });
});

test("the size check before any resource counts the cache's lines, on the large side", () => {
  const s = spec({ pullCache: true, apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }, { kind: "kaggle-python", hostPort: 8890 }] });
  const b = pullCacheBase("aws-cache", "gpu-workbench/aws-cache/aws-cache");
  const plan = pullCachePlan(s, b, { dockerHub: SECRET(REGION) });
  const secrets = { hostKey: generateEd25519OpenSsh(), rdpPasswordHashes: {} };
  const real = gzipUserData(renderCloudInit(s, secrets, { login: "ecr", registry: HOST, region: REGION, images: cachedImages(plan, HOST) })).length;
  const without = gzipUserData(renderCloudInit(s, secrets)).length;
  const estimate = estimatedUserDataGzipBytes(s);
  expect(real).toBeGreaterThan(without);
  expect(estimate).toBeGreaterThanOrEqual(real);
  expect(estimate - real).toBeLessThan(100);
  console.log(`aws-cache-like user data: ${without} bytes gzipped without the cache, ${real} with it, ${estimate} estimated`);
});

describe("the machine signs in: prepull.sh registry-login and the pulls, against stand-in aws and docker", () => {
  const SCRIPT = path.join(__dirname, "../../components/bootstrap/scripts/prepull.sh");
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "gw24c-login-"));
    fs.mkdirSync(path.join(dir, "bin"));
    // aws: prints a token unless the role has no grant yet (the first `fail` calls fail).
    fs.writeFileSync(
      path.join(dir, "bin/aws"),
      `#!/bin/sh\necho "aws $*" >> "${dir}/calls"\nn=$(grep -c '^aws ' "${dir}/calls")\n` +
        `if [ "$n" -le "\${AWS_FAILS:-0}" ]; then echo "An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation" >&2; exit 254; fi\n` +
        `printf 'ecr-token-%s' "$n"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(dir, "bin/docker"),
      `#!/bin/sh\nif [ "$1" = login ]; then echo "docker $* stdin=$(cat)" >> "${dir}/calls"; echo "Login Succeeded"; else echo "docker $*" >> "${dir}/calls"; fi\n`,
      { mode: 0o755 },
    );
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
    GW_TARGET: "aws",
    GW_MARKER: path.join(dir, "ready.json"),
    GW_PULL_CACHE_LOGIN: "ecr",
    GW_PULL_CACHE_REGISTRY: HOST,
    GW_PULL_CACHE_REGION: REGION,
    GW_PULL_PAUSE: "0",
    ...extra,
  });
  const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

  test("registry-login: the role's token piped to docker login (never on the command line); the marker untouched", () => {
    const r = spawnSync("bash", [SCRIPT, "registry-login"], { encoding: "utf8", env: env() });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, "", ""]);
    expect(calls()).toEqual([`aws ecr get-login-password --region ${REGION}`, `docker login --username AWS --password-stdin ${HOST} stdin=ecr-token-1`]);
    expect(fs.existsSync(path.join(dir, "ready.json"))).toBe(false);
  });

  test("registry-login without a token fails and says why, without calling docker", () => {
    const r = spawnSync("bash", [SCRIPT, "registry-login"], { encoding: "utf8", env: env({ AWS_FAILS: "1" }) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`gpu-workbench[]: no ECR token for ${HOST} (does the instance role have ecr:GetAuthorizationToken?)\n`);
    expect(calls()).toEqual([`aws ecr get-login-password --region ${REGION}`]);
  });

  test("the background pulls sign in before every try: a grant still propagating costs two tries, then the image pulls", () => {
    const pull = /^pull='(.*)'$/m.exec(fs.readFileSync(SCRIPT, "utf8"))![1];
    // Delivered scripts are installed 0755 (deliver.sh): the pulls run this one again to sign in.
    const installed = path.join(dir, "scripts/prepull.sh");
    fs.mkdirSync(path.dirname(installed));
    fs.copyFileSync(SCRIPT, installed);
    fs.copyFileSync(path.join(path.dirname(SCRIPT), "lib.sh"), path.join(dir, "scripts/lib.sh"));
    fs.chmodSync(installed, 0o755);
    const image = `${HOST}/wb-abc123-quay/jupyter/scipy-notebook:2025-08-18`;
    const r = spawnSync("sh", ["-c", pull, "prepull", installed, image], { encoding: "utf8", env: env({ AWS_FAILS: "2" }) });
    expect(r.status).toBe(0);
    expect(calls()).toEqual([
      `aws ecr get-login-password --region ${REGION}`,
      `aws ecr get-login-password --region ${REGION}`,
      `aws ecr get-login-password --region ${REGION}`,
      `docker login --username AWS --password-stdin ${HOST} stdin=ecr-token-3`,
      `docker pull -q ${image}`,
    ]);
  });
});
