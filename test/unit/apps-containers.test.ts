import { appCatalog, APP_KINDS } from "../../components/config/appCatalog";
import { appAccess, appDataDirs, containerSettings, ContainerSettings, dockerRunArgs, PortSettings } from "../../components/apps/containers";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { AppSpec } from "../../components/config/spec";
import { DANIEL_KEY } from "../support/fixtures";
import { checked } from "../../components/config/checked";

/** AppSpecs the way the program gets them: through the parser, on a local host with a GPU. */
function appsOf(apps: unknown[], hostGpu = true): AppSpec[] {
  return parseWorkbenchConfig({
    target: "local",
    hostGpu,
    users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }],
    apps,
  }).apps;
}
function appOf(raw: Record<string, unknown>, hostGpu = true): AppSpec {
  return appsOf([raw], hostGpu)[0];
}

const GPU = { hostGpu: true, dataRoot: "/data/apps" };
const fixed = {
  restart: "unless-stopped",
  // No storage configured: no extra binds, no extra groups.
  mounts: [] as ContainerSettings["mounts"],
  groupAdds: [] as string[],
  user: undefined,
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "3" },
} as const;
const labels = (name: string, kind: string) => [
  { label: "gpu-workbench.app", value: name },
  { label: "gpu-workbench.kind", value: kind },
];
const health = (cmd: string) => ({ tests: ["CMD-SHELL", cmd], interval: "30s", timeout: "10s", startPeriod: "120s", retries: 3 });
const local = (port: number): PortSettings => ({ internal: port, external: port, ip: "127.0.0.1", protocol: "tcp" });

describe("containerSettings, one per catalog kind", () => {
  const expected: Record<string, { raw: Record<string, unknown>; settings: ContainerSettings }> = {
    jupyter: {
      raw: { kind: "jupyter" },
      settings: {
        ...fixed,
        name: "wb-jupyter",
        image: "quay.io/jupyter/scipy-notebook:2025-08-18",
        ports: [local(8888)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/jupyter", containerPath: "/home/jovyan/work" }],
        envs: [],
        credentialEnv: "JUPYTER_TOKEN",
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"),
        labels: labels("jupyter", "jupyter"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/jupyter", uid: 1000 },
      },
    },
    "jupyter-pytorch": {
      raw: { kind: "jupyter-pytorch" },
      settings: {
        ...fixed,
        name: "wb-jupyter-pytorch",
        image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18",
        ports: [local(8888)],
        gpus: "all",
        volumes: [{ hostPath: "/data/apps/jupyter-pytorch", containerPath: "/home/jovyan/work" }],
        envs: [],
        credentialEnv: "JUPYTER_TOKEN",
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"),
        labels: labels("jupyter-pytorch", "jupyter-pytorch"),
        shmSize: 2048,
        dataDir: { path: "/data/apps/jupyter-pytorch", uid: 1000 },
      },
    },
    "jupyter-pyspark": {
      raw: { kind: "jupyter-pyspark" },
      settings: {
        ...fixed,
        name: "wb-jupyter-pyspark",
        image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
        ports: [local(8888), local(4040)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/jupyter-pyspark", containerPath: "/home/jovyan/work" }],
        envs: [],
        credentialEnv: "JUPYTER_TOKEN",
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"),
        labels: labels("jupyter-pyspark", "jupyter-pyspark"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/jupyter-pyspark", uid: 1000 },
      },
    },
    "kaggle-python": {
      raw: { kind: "kaggle-python" },
      settings: {
        ...fixed,
        name: "wb-kaggle-python",
        image: "gcr.io/kaggle-gpu-images/python:v168",
        ports: [local(8888)],
        gpus: "all",
        volumes: [{ hostPath: "/data/apps/kaggle-python", containerPath: "/kaggle/working" }],
        envs: [],
        credentialEnv: "JUPYTER_TOKEN",
        command: ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--allow-root", "--notebook-dir=/kaggle/working"],
        healthcheck: undefined,
        labels: labels("kaggle-python", "kaggle-python"),
        shmSize: 2048,
        dataDir: { path: "/data/apps/kaggle-python", uid: 0 },
      },
    },
    "kaggle-r": {
      raw: { kind: "kaggle-r" },
      settings: {
        ...fixed,
        name: "wb-kaggle-r",
        // The fixture's host has a T4: the GPU variant, with the GPU.
        image: "gcr.io/kaggle-gpu-images/rstats:v162",
        ports: [local(8888)],
        gpus: "all",
        volumes: [{ hostPath: "/data/apps/kaggle-r", containerPath: "/kaggle/working" }],
        envs: [],
        credentialEnv: "JUPYTER_TOKEN",
        command: ["jupyter", "notebook", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--allow-root", "--notebook-dir=/kaggle/working"],
        healthcheck: undefined,
        labels: labels("kaggle-r", "kaggle-r"),
        shmSize: 2048,
        dataDir: { path: "/data/apps/kaggle-r", uid: 0 },
      },
    },
    "kaggle-rstudio": {
      raw: { kind: "kaggle-rstudio" },
      settings: {
        ...fixed,
        name: "wb-kaggle-rstudio",
        // The base of the host's build; AnalysisApps runs the built gpu-workbench/kaggle-rstudio:<hash>.
        image: "gcr.io/kaggle-gpu-images/rstats:v162",
        ports: [local(8787)],
        gpus: "all",
        volumes: [{ hostPath: "/data/apps/kaggle-rstudio", containerPath: "/home" }],
        envs: [],
        credentialEnv: "GPU_WORKBENCH_USERS",
        command: undefined,
        healthcheck: health("curl -fsS -o /dev/null http://127.0.0.1:8787/auth-sign-in || exit 1"),
        labels: labels("kaggle-rstudio", "kaggle-rstudio"),
        shmSize: 2048,
        dataDir: { path: "/data/apps/kaggle-rstudio", uid: 0 },
      },
    },
    rstudio: {
      raw: { kind: "rstudio" },
      settings: {
        ...fixed,
        name: "wb-rstudio",
        image: "rocker/rstudio:4.5.1",
        ports: [local(8787)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/rstudio", containerPath: "/home/rstudio" }],
        envs: ["USER=rstudio"],
        credentialEnv: "PASSWORD",
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:8787/ || exit 1"),
        labels: labels("rstudio", "rstudio"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/rstudio", uid: 1000 },
      },
    },
    "rstudio-verse": {
      raw: { kind: "rstudio-verse" },
      settings: {
        ...fixed,
        name: "wb-rstudio-verse",
        image: "rocker/verse:4.5.1",
        ports: [local(8787)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/rstudio-verse", containerPath: "/home/rstudio" }],
        envs: ["USER=rstudio"],
        credentialEnv: "PASSWORD",
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:8787/ || exit 1"),
        labels: labels("rstudio-verse", "rstudio-verse"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/rstudio-verse", uid: 1000 },
      },
    },
    shiny: {
      raw: { kind: "shiny" },
      settings: {
        ...fixed,
        name: "wb-shiny",
        image: "rocker/shiny:4.5.1",
        ports: [local(3838)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/shiny", containerPath: "/srv/shiny-server" }],
        envs: [],
        credentialEnv: undefined,
        command: undefined,
        healthcheck: health("wget -q -O /dev/null http://127.0.0.1:3838/ || exit 1"),
        labels: labels("shiny", "shiny"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/shiny", uid: 999 },
      },
    },
    "code-server": {
      raw: { kind: "code-server" },
      settings: {
        ...fixed,
        name: "wb-code-server",
        image: "codercom/code-server:4.109.2",
        ports: [local(8080)],
        gpus: undefined,
        volumes: [{ hostPath: "/data/apps/code-server", containerPath: "/home/coder/project" }],
        envs: [],
        credentialEnv: "PASSWORD",
        command: undefined,
        healthcheck: health("curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1"),
        labels: labels("code-server", "code-server"),
        shmSize: undefined,
        dataDir: { path: "/data/apps/code-server", uid: 1000 },
      },
    },
    custom: {
      raw: {
        kind: "custom",
        name: "lab",
        image: "ghcr.io/acme/lab:1.2",
        port: 8000,
        hostPort: 9000,
        gpu: true,
        env: { MODE: "dev" },
        command: ["serve", "--port", "8000"],
      },
      settings: {
        ...fixed,
        name: "wb-lab",
        image: "ghcr.io/acme/lab:1.2",
        ports: [{ internal: 8000, external: 9000, ip: "127.0.0.1", protocol: "tcp" }],
        gpus: "all",
        volumes: [{ hostPath: "/data/apps/lab", containerPath: "/data" }],
        envs: ["MODE=dev"],
        credentialEnv: undefined,
        command: ["serve", "--port", "8000"],
        healthcheck: undefined,
        labels: labels("lab", "custom"),
        shmSize: 2048,
        dataDir: { path: "/data/apps/lab", uid: 0 },
      },
    },
  };

  it("covers every kind of the catalog", () => {
    expect(Object.keys(expected).sort()).toEqual([...APP_KINDS].sort());
  });

  for (const [kind, { raw, settings }] of Object.entries(expected)) {
    it(kind, () => {
      expect(containerSettings(appOf(raw), GPU)).toEqual(settings);
    });
  }
});

describe("containerSettings, config overrides", () => {
  it("keeps a GPU-capable kind on its CPU image and without gpus on a CPU host", () => {
    const s = containerSettings(appOf({ kind: "jupyter-pytorch" }, false), { hostGpu: false, dataRoot: "/data/apps/" });
    expect(s.image).toBe("quay.io/jupyter/pytorch-notebook:2025-08-18");
    expect(s.gpus).toBeUndefined();
    expect(s.volumes).toEqual([{ hostPath: "/data/apps/jupyter-pytorch", containerPath: "/home/jovyan/work" }]);
  });

  it("publishes an exposed app on all interfaces but keeps its side ports on 127.0.0.1", () => {
    const s = containerSettings(appOf({ kind: "jupyter-pyspark", expose: true }), GPU);
    expect(s.ports).toEqual([
      { internal: 8888, external: 8888, ip: "0.0.0.0", protocol: "tcp" },
      { internal: 4040, external: 4040, ip: "127.0.0.1", protocol: "tcp" },
    ]);
    // The mark the policy pack's apps-loopback rule reads: exposed on purpose.
    expect(s.labels).toEqual([...labels("jupyter-pyspark", "jupyter-pyspark"), { label: "gpu-workbench.expose", value: "true" }]);
  });

  it("merges config env over the catalog's and follows a changed container port in the health check", () => {
    const s = containerSettings(appOf({ kind: "rstudio", port: 8790, hostPort: 8791, env: { USER: "ana", TZ: "Asia/Seoul" } }), GPU);
    expect(s.envs).toEqual(["USER=ana", "TZ=Asia/Seoul"]);
    expect(s.ports).toEqual([{ internal: 8790, external: 8791, ip: "127.0.0.1", protocol: "tcp" }]);
    expect(s.healthcheck?.tests).toEqual(["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8790/ || exit 1"]);
  });

  it("takes a command override over the catalog's", () => {
    const s = containerSettings(appOf({ kind: "kaggle-python", command: ["python", "-m", "http.server"] }), GPU);
    expect(s.command).toEqual(["python", "-m", "http.server"]);
  });

  it("never carries the credential in envs, even from a hand-made spec", () => {
    const app: AppSpec = { ...appOf({ kind: "code-server" }), env: { PASSWORD: checked("line", "oops"), A: checked("line", "1") } };
    expect(containerSettings(app, GPU).envs).toEqual(["A=1"]);
  });

  it("refuses a GPU app on a host without a GPU", () => {
    const app = appOf({ kind: "jupyter-pytorch" });
    expect(() => containerSettings(app, { hostGpu: false, dataRoot: "/data/apps" })).toThrow(
      'app "jupyter-pytorch": gpu is set but the host has no GPU; remove gpu: true or use a GPU host',
    );
  });

  it("never runs an image tagged latest from the catalog", () => {
    for (const kind of APP_KINDS) {
      for (const image of [appCatalog[kind].image, appCatalog[kind].cpuImage]) {
        if (image) expect(image).toMatch(/:(?!latest$)[\w.-]+$/);
      }
    }
  });
});

describe("dockerRunArgs", () => {
  it("gives docker run the same settings", () => {
    const s = containerSettings(appOf({ kind: "jupyter-pyspark", env: { SPARK_OPTS: "--driver-memory=4g" } }), GPU);
    expect(dockerRunArgs(s, "tok")).toEqual([
      "run",
      "--detach",
      "--name",
      "wb-jupyter-pyspark",
      "--restart",
      "unless-stopped",
      "--publish",
      "127.0.0.1:8888:8888/tcp",
      "--publish",
      "127.0.0.1:4040:4040/tcp",
      "--volume",
      "/data/apps/jupyter-pyspark:/home/jovyan/work",
      "--env",
      "SPARK_OPTS=--driver-memory=4g",
      "--env",
      "JUPYTER_TOKEN=tok",
      "--health-cmd",
      "wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1",
      "--health-interval",
      "30s",
      "--health-timeout",
      "10s",
      "--health-start-period",
      "120s",
      "--health-retries",
      "3",
      "--label",
      "gpu-workbench.app=jupyter-pyspark",
      "--label",
      "gpu-workbench.kind=jupyter-pyspark",
      "--log-driver",
      "json-file",
      "--log-opt",
      "max-size=10m",
      "--log-opt",
      "max-file=3",
      "quay.io/jupyter/pyspark-notebook:2025-08-18",
    ]);
  });

  it("adds gpus, shm size and the command after the image", () => {
    const s = containerSettings(appOf({ kind: "custom", name: "lab", image: "ghcr.io/acme/lab:1.2", port: 8000, gpu: true, command: ["serve"] }), GPU);
    const args = dockerRunArgs(s);
    expect(args.slice(args.indexOf("--gpus"), args.indexOf("--gpus") + 2)).toEqual(["--gpus", "all"]);
    expect(args.slice(-4)).toEqual(["--shm-size", "2048m", "ghcr.io/acme/lab:1.2", "serve"]);
    expect(args).not.toContain("--health-cmd");
  });

  it("refuses an exec-form health check the CLI cannot express", () => {
    const s = containerSettings(appOf({ kind: "jupyter" }), GPU);
    expect(() => dockerRunArgs({ ...s, healthcheck: { ...s.healthcheck!, tests: ["CMD", "true"] } })).toThrow(
      'healthcheck ["CMD","true"]: the docker CLI takes only ["CMD-SHELL", "<command>"]',
    );
  });
});

describe("appAccess", () => {
  it("gives Jupyter a tunnel, a bare URL and the token URL", () => {
    const a = appAccess(appOf({ kind: "jupyter", hostPort: 18888 }), "wb");
    expect(a.tunnel).toBe("ssh -N -L 18888:127.0.0.1:18888 wb");
    expect(a.url).toBe("http://127.0.0.1:18888/lab");
    expect(a.user).toBeUndefined();
    expect(a.urlWithCredential("a b")).toBe("http://127.0.0.1:18888/lab?token=a%20b");
  });

  it("forwards the Spark UI too", () => {
    expect(appAccess(appOf({ kind: "jupyter-pyspark" }), "wb").tunnel).toBe("ssh -N -L 8888:127.0.0.1:8888 -L 4040:127.0.0.1:4040 wb");
  });

  it("gives RStudio its user and a URL without the password", () => {
    const a = appAccess(appOf({ kind: "rstudio" }), "wb");
    expect([a.tunnel, a.url, a.user, a.urlWithCredential("pw")]).toEqual([
      "ssh -N -L 8787:127.0.0.1:8787 wb",
      "http://127.0.0.1:8787",
      "rstudio",
      "http://127.0.0.1:8787",
    ]);
  });

  it("gives Kaggle R the notebook URL with the token", () => {
    const a = appAccess(appOf({ kind: "kaggle-r" }), "wb");
    expect([a.url, a.urlWithCredential("t")]).toEqual(["http://127.0.0.1:8888/tree", "http://127.0.0.1:8888/tree?token=t"]);
  });

  it("gives code-server, Shiny and custom apps their plain URL", () => {
    const apps = appsOf([{ kind: "code-server" }, { kind: "shiny" }, { kind: "custom", image: "ghcr.io/acme/lab:1.2", port: 8000 }]);
    expect(apps.map((x) => appAccess(x, "wb")).map((a) => [a.url, a.user])).toEqual([
      ["http://127.0.0.1:8080", undefined],
      ["http://127.0.0.1:3838", undefined],
      ["http://127.0.0.1:8000", undefined],
    ]);
  });
});

describe("appDataDirs", () => {
  it("lists each app's directory with the uid that must own it", () => {
    expect(appDataDirs(appsOf([{ kind: "jupyter" }, { kind: "shiny" }, { kind: "kaggle-r", hostPort: 8890 }]), "/data/apps")).toEqual([
      { path: "/data/apps/jupyter", uid: 1000 },
      { path: "/data/apps/shiny", uid: 999 },
      { path: "/data/apps/kaggle-r", uid: 0 },
    ]);
  });
});
