import * as pulumi from "@pulumi/pulumi";
import { AnalysisApps } from "../../components/apps/analysisApps";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { WorkbenchSpec } from "../../components/config/spec";
import { rawConfig } from "../support/fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider: string;
}
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      registered.push({ type: a.type, name: a.name, inputs: a.inputs, provider: a.provider ?? "" });
      const state: Record<string, unknown> = { ...a.inputs };
      if (a.type === "random:index/randomPassword:RandomPassword") state.result = `generated-${a.name}`;
      if (a.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${a.name}`;
      return { id: `${a.name}_id`, state };
    },
    call: (a) => a.inputs,
  },
  "gpu-workbench",
  "test",
  false,
);

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((r) => o.apply(r));
}
/** Whether a value the mock monitor received was marked secret on the wire. */
function isSecretInput(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;
}
/** Waits until the registrations stop arriving. */
async function settle(): Promise<void> {
  let n = -1;
  while (n !== registered.length) {
    n = registered.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const spec: WorkbenchSpec = parseWorkbenchConfig(
  rawConfig({
    apps: [
      { kind: "jupyter-pytorch" },
      { kind: "jupyter-pyspark", hostPort: 8890 },
      { kind: "rstudio" },
      { kind: "shiny" },
      { kind: "rstudio", name: "rstudio-b", hostPort: 8788, env: { TZ: "Asia/Seoul" } },
      { kind: "custom", name: "lab", image: "ghcr.io/acme/lab:1.2", port: 8000, expose: true },
    ],
    registries: [{ server: "ghcr.io", username: "acme", password: "registry-s3cret" }],
  }),
  { region: "koreacentral" },
);

const byName = (name: string): Registered => {
  const r = registered.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have ${registered.map((x) => x.name).join(", ")}`);
  return r;
};

describe("AnalysisApps", () => {
  let apps: AnalysisApps;
  let beforeReady: string[] = [];

  beforeAll(async () => {
    let release: (v: string) => void = () => undefined;
    const ready = new Promise<string>((r) => (release = r));
    apps = new AnalysisApps("wb-apps", {
      apps: spec.apps,
      registries: spec.registries,
      hostGpu: true,
      dataRoot: "/data/apps",
      dockerHost: "ssh://daniel@203.0.113.10:22",
      sshOpts: ["-i", "/home/daniel/.ssh/id_ed25519", "-o", "BatchMode=yes"],
      sshAlias: "wb",
      readyToken: pulumi.output(ready),
    });
    await settle();
    beforeReady = registered.map((r) => r.type);
    release("ready");
    await promiseOf(apps.containerIds);
    await settle();
  });

  it("does not register the Docker provider (nor images, containers) before the host is ready", () => {
    expect(beforeReady).toEqual([
      "gpu-workbench:index:AnalysisApps",
      "random:index/randomPassword:RandomPassword",
      "random:index/randomPassword:RandomPassword",
      "random:index/randomPassword:RandomPassword",
      "random:index/randomPassword:RandomPassword",
    ]);
  });

  it("registers exactly the provider, one image per distinct image, the credentials and one container per app", () => {
    const p = "wb-apps";
    expect(registered.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      `docker:index/container:Container ${p}-jupyter-pyspark`,
      `docker:index/container:Container ${p}-jupyter-pytorch`,
      `docker:index/container:Container ${p}-lab`,
      `docker:index/container:Container ${p}-rstudio`,
      `docker:index/container:Container ${p}-rstudio-b`,
      `docker:index/container:Container ${p}-shiny`,
      `docker:index/remoteImage:RemoteImage ${p}-image-ghcr-io-acme-lab-1-2`,
      `docker:index/remoteImage:RemoteImage ${p}-image-quay-io-jupyter-pyspark-notebook-2025-08-18`,
      `docker:index/remoteImage:RemoteImage ${p}-image-quay-io-jupyter-pytorch-notebook-cuda12-2025-08-18`,
      `docker:index/remoteImage:RemoteImage ${p}-image-rocker-rstudio-4-5-1`,
      `docker:index/remoteImage:RemoteImage ${p}-image-rocker-shiny-4-5-1`,
      `gpu-workbench:index:AnalysisApps ${p}`,
      `pulumi:providers:docker ${p}-docker`,
      `random:index/randomPassword:RandomPassword ${p}-jupyter-pyspark-credential`,
      `random:index/randomPassword:RandomPassword ${p}-jupyter-pytorch-credential`,
      `random:index/randomPassword:RandomPassword ${p}-rstudio-b-credential`,
      `random:index/randomPassword:RandomPassword ${p}-rstudio-credential`,
    ]);
  });

  it("points the provider at the host with the ssh options and secret registry credentials", () => {
    const prov = byName("wb-apps-docker");
    expect(prov.inputs.host).toBe("ssh://daniel@203.0.113.10:22");
    expect(prov.inputs.sshOpts).toBe(JSON.stringify(["-i", "/home/daniel/.ssh/id_ed25519", "-o", "BatchMode=yes"]));
    const auth = prov.inputs.registryAuth;
    expect(isSecretInput(auth)).toBe(true);
    expect(JSON.parse((auth as { value: string }).value)).toEqual([{ address: "ghcr.io", username: "acme", password: "registry-s3cret" }]);
  });

  it("pulls pinned images through the provider and keeps them on the host", () => {
    const images = registered.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((i) => i.inputs).sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
      { name: "ghcr.io/acme/lab:1.2", keepLocally: true },
      { name: "quay.io/jupyter/pyspark-notebook:2025-08-18", keepLocally: true },
      { name: "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18", keepLocally: true },
      { name: "rocker/rstudio:4.5.1", keepLocally: true },
      { name: "rocker/shiny:4.5.1", keepLocally: true },
    ]);
    for (const i of images) {
      expect(String(i.inputs.name)).not.toMatch(/:latest$/);
      expect(i.provider).toMatch(/^urn:pulumi:test::gpu-workbench::.*pulumi:providers:docker::wb-apps-docker::wb-apps-docker_id$/);
    }
  });

  it("makes 32-character alphanumeric credentials", () => {
    for (const r of registered.filter((x) => x.type === "random:index/randomPassword:RandomPassword")) {
      expect(r.inputs).toEqual({ length: 32, special: false });
    }
  });

  it("publishes on 127.0.0.1 unless exposed, and gives the GPU only to the GPU app", () => {
    const containers = registered.filter((r) => r.type === "docker:index/container:Container");
    expect(Object.fromEntries(containers.map((c) => [c.name, [c.inputs.ports, c.inputs.gpus ?? null]]))).toEqual({
      "wb-apps-jupyter-pytorch": [[{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }], "all"],
      "wb-apps-jupyter-pyspark": [
        [
          { internal: 8888, external: 8890, ip: "127.0.0.1", protocol: "tcp" },
          { internal: 4040, external: 4040, ip: "127.0.0.1", protocol: "tcp" },
        ],
        null,
      ],
      "wb-apps-rstudio": [[{ internal: 8787, external: 8787, ip: "127.0.0.1", protocol: "tcp" }], null],
      "wb-apps-shiny": [[{ internal: 3838, external: 3838, ip: "127.0.0.1", protocol: "tcp" }], null],
      "wb-apps-rstudio-b": [[{ internal: 8787, external: 8788, ip: "127.0.0.1", protocol: "tcp" }], null],
      "wb-apps-lab": [[{ internal: 8000, external: 8000, ip: "0.0.0.0", protocol: "tcp" }], null],
    });
    for (const c of containers) expect(c.provider).toMatch(/::wb-apps-docker::wb-apps-docker_id$/);
  });

  it("gives the container every setting of the builder, the pulled image id and the credential as a secret", () => {
    const c = byName("wb-apps-rstudio").inputs;
    expect(isSecretInput(c.envs)).toBe(true);
    expect({ ...c, envs: (c.envs as { value: unknown }).value }).toEqual({
      name: "wb-rstudio",
      image: "sha256:wb-apps-image-rocker-rstudio-4-5-1",
      restart: "unless-stopped",
      ports: [{ internal: 8787, external: 8787, ip: "127.0.0.1", protocol: "tcp" }],
      volumes: [{ hostPath: "/data/apps/rstudio", containerPath: "/home/rstudio" }],
      envs: ["USER=rstudio", "PASSWORD=generated-wb-apps-rstudio-credential"],
      healthcheck: {
        tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8787/ || exit 1"],
        interval: "30s",
        timeout: "10s",
        startPeriod: "120s",
        retries: 3,
      },
      labels: [
        { label: "gpu-workbench.app", value: "rstudio" },
        { label: "gpu-workbench.kind", value: "rstudio" },
      ],
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
    });
    // Two apps on one image share the image; each keeps its own env and credential.
    const b = byName("wb-apps-rstudio-b").inputs;
    expect(b.image).toBe("sha256:wb-apps-image-rocker-rstudio-4-5-1");
    expect(b.volumes).toEqual([{ hostPath: "/data/apps/rstudio-b", containerPath: "/home/rstudio" }]);
    expect((b.envs as { value: unknown }).value).toEqual(["USER=rstudio", "TZ=Asia/Seoul", "PASSWORD=generated-wb-apps-rstudio-b-credential"]);
    // Tunnel-only apps carry no credential, so their env is not secret.
    expect(byName("wb-apps-shiny").inputs.envs).toEqual([]);
    expect(byName("wb-apps-jupyter-pytorch").inputs.shmSize).toBe(2048);
  });

  it("outputs tunnels and URLs in the clear and the credentials as a secret", async () => {
    expect(await promiseOf(apps.tunnels)).toEqual({
      "jupyter-pytorch": "ssh -N -L 8888:127.0.0.1:8888 wb",
      "jupyter-pyspark": "ssh -N -L 8890:127.0.0.1:8890 -L 4040:127.0.0.1:4040 wb",
      rstudio: "ssh -N -L 8787:127.0.0.1:8787 wb",
      shiny: "ssh -N -L 3838:127.0.0.1:3838 wb",
      "rstudio-b": "ssh -N -L 8788:127.0.0.1:8788 wb",
      lab: "ssh -N -L 8000:127.0.0.1:8000 wb",
    });
    expect(await promiseOf(apps.urls)).toEqual({
      "jupyter-pytorch": "http://127.0.0.1:8888/lab",
      "jupyter-pyspark": "http://127.0.0.1:8890/lab",
      rstudio: "http://127.0.0.1:8787",
      shiny: "http://127.0.0.1:3838",
      "rstudio-b": "http://127.0.0.1:8788",
      lab: "http://127.0.0.1:8000",
    });
    expect(await pulumi.isSecret(apps.credentials)).toBe(true);
    expect(await pulumi.isSecret(apps.urls)).toBe(false);
    expect(await promiseOf(apps.credentials)).toEqual({
      "jupyter-pytorch": {
        token: "generated-wb-apps-jupyter-pytorch-credential",
        url: "http://127.0.0.1:8888/lab?token=generated-wb-apps-jupyter-pytorch-credential",
      },
      "jupyter-pyspark": {
        token: "generated-wb-apps-jupyter-pyspark-credential",
        url: "http://127.0.0.1:8890/lab?token=generated-wb-apps-jupyter-pyspark-credential",
      },
      rstudio: { user: "rstudio", password: "generated-wb-apps-rstudio-credential", url: "http://127.0.0.1:8787" },
      "rstudio-b": { user: "rstudio", password: "generated-wb-apps-rstudio-b-credential", url: "http://127.0.0.1:8788" },
    });
    expect(await promiseOf(apps.containerIds)).toEqual({
      "jupyter-pytorch": "wb-apps-jupyter-pytorch_id",
      "jupyter-pyspark": "wb-apps-jupyter-pyspark_id",
      rstudio: "wb-apps-rstudio_id",
      shiny: "wb-apps-shiny_id",
      "rstudio-b": "wb-apps-rstudio-b_id",
      lab: "wb-apps-lab_id",
    });
  });

  it("without a host id, images have no triggers and containers no host label", () => {
    expect(byName("wb-apps-image-rocker-rstudio-4-5-1").inputs.triggers).toBeUndefined();
    expect((byName("wb-apps-rstudio").inputs.labels as { label: string }[]).map((l) => l.label)).toEqual(["gpu-workbench.app", "gpu-workbench.kind"]);
  });

  it("a new machine (host id) re-pulls the images and re-creates the containers on it", async () => {
    const one = parseWorkbenchConfig(rawConfig({ apps: [{ kind: "rstudio" }] }), { region: "koreacentral" });
    const moved = new AnalysisApps("vm", {
      apps: one.apps,
      registries: [],
      hostGpu: true,
      dataRoot: "/data/apps",
      dockerHost: "ssh://daniel@203.0.113.10:22",
      sshAlias: "vm",
      hostId: "i-0123456789abcdef0",
    });
    await promiseOf(moved.containerIds);
    await settle();
    expect(byName("vm-image-rocker-rstudio-4-5-1").inputs.triggers).toEqual({ host: "i-0123456789abcdef0" });
    expect(byName("vm-rstudio").inputs.labels).toEqual([
      { label: "gpu-workbench.app", value: "rstudio" },
      { label: "gpu-workbench.kind", value: "rstudio" },
      { label: "gpu-workbench.host", value: "i-0123456789abcdef0" },
    ]);
  });

  it("refuses a GPU app on a CPU host before registering anything", () => {
    const before = registered.length;
    expect(
      () =>
        new AnalysisApps("cpu", {
          apps: spec.apps,
          registries: [],
          hostGpu: false,
          dataRoot: "/data/apps",
          dockerHost: "unix:///var/run/docker.sock",
          sshAlias: "x",
        }),
    ).toThrow('app "jupyter-pytorch": gpu is set but the host has no GPU; remove gpu: true or use a GPU host');
    expect(registered.length).toBe(before);
  });
});

describe("credential-named env values (issue 18)", () => {
  test("make the container's env a secret, like the generated credential; other values leave it plain", async () => {
    const custom = (name: string, env: Record<string, string>, hostPort: number) =>
      parseWorkbenchConfig(rawConfig({ apps: [{ kind: "custom", name, image: "ghcr.io/acme/lab:1.2", port: 8000, hostPort, env }] }), {
        region: "koreacentral",
      }).apps[0];
    const apps = new AnalysisApps("env-apps", {
      apps: [custom("tok", { HF_TOKEN: "hf_abc", MODE: "fast" }, 8001), custom("plain", { MODE: "fast" }, 8002)],
      registries: [],
      hostGpu: false,
      dataRoot: "/data/apps",
      dockerHost: "unix:///var/run/docker.sock",
      sshAlias: "localhost",
    });
    await promiseOf(apps.containerIds);
    await settle();
    const tok = byName("env-apps-tok").inputs.envs;
    expect(isSecretInput(tok)).toBe(true);
    expect((tok as { value: unknown }).value).toEqual(["HF_TOKEN=hf_abc", "MODE=fast"]);
    expect(byName("env-apps-plain").inputs.envs).toEqual(["MODE=fast"]);
  });
});
