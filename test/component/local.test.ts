import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import type { WorkbenchConfigArgs } from "../../components/config/args";
import { WorkbenchConfigError } from "../../components/config/parse";
import { Workbench } from "../../components/workbench/workbench";
import { DANIEL_KEY, rawConfig } from "../support/fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      registered.push({ type: a.type, name: a.name, inputs: a.inputs });
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
async function settle(): Promise<void> {
  let n = -1;
  while (n !== registered.length) {
    n = registered.length;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const localConfig = (over: Partial<WorkbenchConfigArgs> = {}): WorkbenchConfigArgs => ({
  target: "local",
  users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }],
  apps: [{ kind: "jupyter" }, { kind: "rstudio" }],
  ...over,
});

describe("Workbench with an invalid config", () => {
  beforeEach(() => {
    registered.length = 0;
  });

  it("throws the validation message and registers no resource", async () => {
    let error: unknown;
    try {
      new Workbench("bad", { config: localConfig({ apps: [{ kind: "jupyter-pytorch", gpu: true }, { kind: "rstudo" as never }] }) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkbenchConfigError);
    expect((error as WorkbenchConfigError).problems).toEqual([
      "workbench.apps[0].gpu: the host has no GPU; pick a GPU size or remove gpu: true",
      'workbench.apps[1].kind: "rstudo" is not one of jupyter, jupyter-pytorch, jupyter-pyspark, kaggle-python, kaggle-r, kaggle-rstudio, rstudio, rstudio-verse, shiny, code-server, custom',
    ]);
    await settle();
    expect(registered).toEqual([]);
  });

  it("a cloud config without its location registers nothing", async () => {
    expect(() => new Workbench("azure", { config: rawConfig() as unknown as WorkbenchConfigArgs })).toThrow(
      new WorkbenchConfigError(["azure-native:location: not set; run pulumi config set azure-native:location <location, e.g. koreacentral>"]),
    );
    await settle();
    expect(registered).toEqual([]);
  });
});

describe("Workbench", () => {
  let wb: Workbench;
  beforeAll(async () => {
    registered.length = 0;
    wb = new Workbench("wb", { config: localConfig() });
    await promiseOf(wb.credentials);
    await settle();
  });

  it("registers the apps on the local socket, with data under the home directory", () => {
    expect(registered.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "command:local:Command wb-data-dirs",
      "docker:index/container:Container wb-apps-jupyter",
      "docker:index/container:Container wb-apps-rstudio",
      "docker:index/remoteImage:RemoteImage wb-apps-image-quay-io-jupyter-scipy-notebook-2025-08-18",
      "docker:index/remoteImage:RemoteImage wb-apps-image-rocker-rstudio-4-5-1",
      "gpu-workbench:index:AnalysisApps wb-apps",
      "gpu-workbench:index:Workbench wb",
      "pulumi:providers:docker wb-apps-docker",
      "random:index/randomPassword:RandomPassword wb-apps-jupyter-credential",
      "random:index/randomPassword:RandomPassword wb-apps-rstudio-credential",
    ]);
    const provider = registered.find((r) => r.type === "pulumi:providers:docker")!;
    expect(provider.inputs).toEqual({ host: "unix:///var/run/docker.sock" });
    // The apps' directories are made as the deploying user before any container mounts them.
    const home = os.homedir();
    expect(registered.find((r) => r.name === "wb-data-dirs")!.inputs).toEqual({
      create: `mkdir -p '${home}/gpu-workbench-data/jupyter' '${home}/gpu-workbench-data/rstudio'`,
    });
    const jupyter = registered.find((r) => r.name === "wb-apps-jupyter")!;
    expect(jupyter.inputs.volumes).toEqual([{ hostPath: `${os.homedir()}/gpu-workbench-data/jupyter`, containerPath: "/home/jovyan/work" }]);
    expect(jupyter.inputs.ports).toEqual([{ internal: 8888, external: 8888, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(jupyter.inputs.gpus).toBeUndefined();
  });

  it("outputs the remote workbenches' shape: URLs, no ssh or tunnels, secret credentials under apps, the directory preparation", async () => {
    expect(await promiseOf(wb.address)).toBe("127.0.0.1");
    expect(await promiseOf(wb.sshConfig)).toEqual({});
    expect(await promiseOf(wb.knownHosts)).toBe("");
    expect(await promiseOf(wb.estimate)).toBeUndefined();
    expect(await promiseOf(wb.appUrls)).toEqual({ jupyter: "http://127.0.0.1:8888/lab", rstudio: "http://127.0.0.1:8787" });
    expect(await promiseOf(wb.tunnels)).toEqual({});
    expect(await pulumi.isSecret(wb.credentials)).toBe(true);
    expect(await promiseOf(wb.credentials)).toEqual({
      apps: {
        jupyter: { token: "generated-wb-apps-jupyter-credential", url: "http://127.0.0.1:8888/lab?token=generated-wb-apps-jupyter-credential" },
        rstudio: { user: "rstudio", password: "generated-wb-apps-rstudio-credential", url: "http://127.0.0.1:8787" },
      },
    });
    const home = os.homedir();
    expect((await promiseOf(wb.hostDetails))?.prepareCommand).toBe(`mkdir -p '${home}/gpu-workbench-data/jupyter' '${home}/gpu-workbench-data/rstudio'`);
  });
});

describe("Workbench options", () => {
  it("takes another Docker host, data directory and a GPU", async () => {
    registered.length = 0;
    const wb = new Workbench("gpu", {
      config: localConfig({ hostGpu: true, apps: [{ kind: "jupyter-pytorch" }] }),
      dockerHost: "unix:///run/user/1000/docker.sock",
      dataRoot: "/srv/it's data",
    });
    await promiseOf(wb.credentials);
    await settle();
    expect(registered.find((r) => r.type === "pulumi:providers:docker")!.inputs).toEqual({ host: "unix:///run/user/1000/docker.sock" });
    const c = registered.find((r) => r.name === "gpu-apps-jupyter-pytorch")!;
    expect([c.inputs.gpus, c.inputs.volumes]).toEqual(["all", [{ hostPath: "/srv/it's data/jupyter-pytorch", containerPath: "/home/jovyan/work" }]]);
    expect((await promiseOf(wb.hostDetails))?.prepareCommand).toBe("mkdir -p '/srv/it'\\''s data/jupyter-pytorch'");
  });
});

describe("stacks/Pulumi.local.yaml", () => {
  it("is a valid local config with jupyter and rstudio for one admin", async () => {
    const file = parseYaml(fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.local.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(Object.keys(file.config)).toEqual(["gpu-workbench:workbench"]);
    registered.length = 0;
    const wb = new Workbench("local", { config: file.config["gpu-workbench:workbench"] as WorkbenchConfigArgs });
    expect(await promiseOf(wb.appUrls)).toEqual({ jupyter: "http://127.0.0.1:8888/lab", rstudio: "http://127.0.0.1:8787" });
    await settle();
    expect(
      registered
        .filter((r) => r.type === "docker:index/container:Container")
        .map((r) => r.name)
        .sort(),
    ).toEqual(["local-apps-jupyter", "local-apps-rstudio"]);
  });
});
