/**
 * AnalysisApps with image builds (issue 17) under Pulumi's mock runtime: the RemoteImage build
 * inputs (content tag, context path, build args), that a second deployment of the same config
 * hands the engine identical inputs (so there is no diff and no build) while a changed package
 * list names a new tag, the context written for a deployment and not for a preview, and the
 * per-user RStudio passwords of kaggle-rstudio (secrets; only bcrypt hashes reach the container).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { AnalysisApps } from "../../components/apps/analysisApps";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { AppSpec } from "../../components/config/spec";
import { rawConfig } from "../support/fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const HASH = (name: string) =>
  `$2a$10$${name
    .replace(/[^A-Za-z0-9]/g, "")
    .padEnd(53, "x")
    .slice(0, 53)}`;

function installMocks(preview: boolean): void {
  pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        registered.push({ type: a.type, name: a.name, inputs: a.inputs });
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type === "random:index/randomPassword:RandomPassword") {
          state.result = `generated-${a.name}`;
          state.bcryptHash = HASH(a.name);
        }
        if (a.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${a.name}`;
        return { id: `${a.name}_id`, state };
      },
      call: (a) => a.inputs,
    },
    "gpu-workbench",
    "test",
    preview,
  );
}
installMocks(false);

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply(r));
}
function isSecretInput(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}
async function settle(): Promise<void> {
  let n = -1;
  while (n !== registered.length) {
    n = registered.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const byName = (name: string): Registered => {
  const r = registered.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have ${registered.map((x) => x.name).join(", ")}`);
  return r;
};

const appsWith = (packages: string[]): AppSpec[] =>
  parseWorkbenchConfig(
    rawConfig({
      apps: [
        { kind: "kaggle-rstudio" },
        { kind: "kaggle-python", name: "py", build: { packages, aptPackages: ["graphviz"] } },
        { kind: "jupyter", hostPort: 8889 },
      ],
    }),
    { region: "koreacentral" },
  ).apps;

const buildRoot = fs.mkdtempSync(path.join(os.tmpdir(), "gwb-builds-"));
afterAll(() => fs.rmSync(buildRoot, { recursive: true, force: true }));

function deploy(name: string, apps: AppSpec[]): AnalysisApps {
  return new AnalysisApps(name, {
    apps,
    registries: [],
    hostGpu: true,
    dataRoot: "/data/apps",
    dockerHost: "ssh://daniel@203.0.113.10:22",
    sshAlias: "lab",
    users: ["daniel", "minji"],
    hostId: "vm-1",
    buildContextRoot: buildRoot,
  });
}

describe("AnalysisApps with builds, as deployed", () => {
  let first: AnalysisApps;
  beforeAll(async () => {
    first = deploy("one", appsWith(["polars==1.8.2"]));
    deploy("two", appsWith(["polars==1.8.2"]));
    deploy("three", appsWith(["polars==1.8.3"]));
    await settle();
  });

  it("registers exactly one build per built app, one pull for the pulled app, and the containers", () => {
    expect(
      registered
        .filter((r) => r.name.startsWith("one-"))
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
    ).toEqual([
      "docker:index/container:Container one-jupyter",
      "docker:index/container:Container one-kaggle-rstudio",
      "docker:index/container:Container one-py",
      "docker:index/remoteImage:RemoteImage one-build-kaggle-rstudio",
      "docker:index/remoteImage:RemoteImage one-build-py",
      "docker:index/remoteImage:RemoteImage one-image-quay-io-jupyter-scipy-notebook-2025-08-18",
      "pulumi:providers:docker one-docker",
      "random:index/randomPassword:RandomPassword one-jupyter-credential",
      "random:index/randomPassword:RandomPassword one-kaggle-rstudio-daniel-password",
      "random:index/randomPassword:RandomPassword one-kaggle-rstudio-minji-password",
      "random:index/randomPassword:RandomPassword one-py-credential",
    ]);
  });

  it("builds from the content-tagged context with the base image as BASE_IMAGE, keeps it, and rebuilds on a new host", async () => {
    const images = await promiseOf(first.images);
    const tag = images.py;
    expect(tag).toMatch(/^gpu-workbench\/py:[0-9a-f]{16}$/);
    const hash = tag.split(":")[1];
    expect(byName("one-build-py").inputs).toEqual({
      name: tag,
      keepLocally: true,
      triggers: { host: "vm-1" },
      build: {
        context: `${buildRoot}/${hash}`,
        dockerfile: "Dockerfile",
        buildArgs: { BASE_IMAGE: "gcr.io/kaggle-gpu-images/python:v168" },
        labels: { "gpu-workbench.app": "py", "gpu-workbench.build": hash },
      },
    });
    expect(images.jupyter).toBe("quay.io/jupyter/scipy-notebook:2025-08-18");
    expect(byName("one-py").inputs.image).toBe("sha256:one-build-py");
    expect(byName("one-kaggle-rstudio").inputs.image).toBe("sha256:one-build-kaggle-rstudio");
  });

  it("hands the engine identical inputs on a second deployment of the same config: nothing to build", () => {
    for (const app of ["py", "kaggle-rstudio"]) {
      expect(byName(`two-build-${app}`).inputs).toEqual(byName(`one-build-${app}`).inputs);
    }
  });

  it("names a new tag and context when the package list changes (the tag is replaced: a rebuild), and only for that app", () => {
    const one = byName("one-build-py").inputs;
    const three = byName("three-build-py").inputs;
    expect(three.name).not.toBe(one.name);
    expect((three.build as { context: string }).context).not.toBe((one.build as { context: string }).context);
    expect(byName("three-build-kaggle-rstudio").inputs).toEqual(byName("one-build-kaggle-rstudio").inputs);
  });

  it("writes each context once, by content hash, with only the Dockerfile and what it copies", async () => {
    const images = await promiseOf(first.images);
    const dirs = fs.readdirSync(buildRoot).sort();
    const hashes = [images.py, images["kaggle-rstudio"], byName("three-build-py").inputs.name as string].map((t) => t.split(":")[1]);
    expect(dirs).toEqual([...hashes.flatMap((h) => [h, `${h}.complete`])].sort());
    expect(fs.readdirSync(path.join(buildRoot, images["kaggle-rstudio"].split(":")[1])).sort()).toEqual(["Dockerfile", "start-rstudio.sh"]);
    expect(fs.readFileSync(path.join(buildRoot, images.py.split(":")[1], "Dockerfile"), "utf8")).toContain(
      'RUN ["python","-m","pip","install","--no-cache-dir","polars==1.8.2"]',
    );
  });

  it("gives every team user a RStudio password of their own, and the container only their bcrypt hashes, as a secret", async () => {
    const envs = byName("one-kaggle-rstudio").inputs.envs;
    expect(isSecretInput(envs)).toBe(true);
    expect((envs as { value: unknown }).value).toEqual([
      `GPU_WORKBENCH_USERS=daniel:${HASH("one-kaggle-rstudio-daniel-password")} minji:${HASH("one-kaggle-rstudio-minji-password")}`,
    ]);
    for (const u of ["daniel", "minji"]) {
      expect(byName(`one-kaggle-rstudio-${u}-password`).inputs).toEqual({ length: 24, special: false });
    }
    expect(await pulumi.isSecret(first.credentials)).toBe(true);
    const credentials = await promiseOf(first.credentials);
    expect(credentials["kaggle-rstudio"]).toEqual({
      passwords: { daniel: "generated-one-kaggle-rstudio-daniel-password", minji: "generated-one-kaggle-rstudio-minji-password" },
      url: "http://127.0.0.1:8787",
    });
  });

  it("publishes RStudio on the host's 127.0.0.1 with the GPU and the users' homes on the data disk", () => {
    const c = byName("one-kaggle-rstudio").inputs;
    expect(c.ports).toEqual([{ internal: 8787, external: 8787, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(c.gpus).toBe("all");
    expect(c.volumes).toEqual([{ hostPath: "/data/apps/kaggle-rstudio", containerPath: "/home" }]);
    expect(c.command).toBeUndefined();
  });

  it("refuses a kaggle-rstudio app without users, before registering anything", () => {
    const n = registered.length;
    expect(
      () =>
        new AnalysisApps("nobody", {
          apps: appsWith(["polars"]),
          registries: [],
          hostGpu: true,
          dataRoot: "/data/apps",
          dockerHost: "unix:///var/run/docker.sock",
          sshAlias: "x",
        }),
    ).toThrow('app "kaggle-rstudio": kaggle-rstudio signs in the team\'s users; pass users');
    expect(registered.length).toBe(n);
  });
});

describe("AnalysisApps with builds, in a preview", () => {
  it("writes no build context (only a deployment builds)", async () => {
    installMocks(true);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "gwb-preview-"));
    try {
      const apps = new AnalysisApps("preview", {
        apps: appsWith(["duckdb"]),
        registries: [],
        hostGpu: true,
        dataRoot: "/data/apps",
        dockerHost: "ssh://daniel@203.0.113.10:22",
        sshAlias: "lab",
        users: ["daniel"],
        buildContextRoot: root,
      });
      const images = await promiseOf(apps.images);
      await settle();
      expect(byName("preview-build-py").inputs.name).toBe(images.py);
      expect(fs.readdirSync(root)).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
