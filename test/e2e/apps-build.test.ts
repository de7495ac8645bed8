/**
 * The build path on a real Docker engine (issue 17): a custom app's build, planned by the same
 * code AnalysisApps uses (planAppBuilds: the project's Dockerfile and listed files, the generated
 * context, BASE_IMAGE, labels, the content tag; writeBuildContext: the directory the provider is
 * handed), built by the engine with the same inputs (dockerBuildArgs), run with the app's container
 * settings, and asked for its page. Only the base image is swapped, for a local busybox import
 * (no registry is reachable here), as apps-docker.test.ts swaps the image it runs.
 *
 * A second deployment of an unchanged config plans identical inputs, so Pulumi has nothing to
 * build (test/component/apps-build.test.ts); here the engine shows that even building that plan
 * again reuses every layer and yields the same image id, while a changed file yields a new tag
 * and a new image.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerSettings, dockerRunArgs } from "../../components/apps/containers";
import { dockerBuildArgs, ImageBuildPlan, planAppBuilds, writeBuildContext } from "../../components/apps/imageBuild";
import { parseWorkbenchConfig } from "../../components/config/parse";
import type { AppSpec } from "../../components/config/spec";
import { DOCKER_CLI, dockerdAvailable, importBusyboxImage, startDockerd } from "../support/dockerd";
import { DANIEL_KEY } from "../support/fixtures";
import { checked } from "../../components/config/checked";

const availability = dockerdAvailable();
const mustRun = process.env.CI === "true";
const run = availability.ok || mustRun;
if (!run) console.warn(`apps-build e2e skipped: ${availability.reason} (set CI=true to make this a failure)`);
const describeDocker = run ? describe : describe.skip;

const STAND_IN_BASE = "gwb-e2e/base:1.0";

describeDocker("a custom app's build on a real Docker engine", () => {
  let engine: { host: string; stop(): Promise<void> } | undefined;
  let project = "";
  let app: AppSpec;
  const buildRoot = () => path.join(project, ".gpu-workbench/builds");

  // The engine's own client (docker.io), its classic builder: no buildx plugin is installed here.
  const docker = (...args: string[]) =>
    spawnSync(DOCKER_CLI, ["-H", engine!.host, ...args], { encoding: "utf8", timeout: 120000, env: { ...process.env, DOCKER_BUILDKIT: "0" } });
  const must = (r: ReturnType<typeof docker>, what: string) => {
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  /** What a deployment does with the plan: write the context and build it on the engine. */
  const deploy = (): { plan: ImageBuildPlan; contextDir: string; output: string; imageId: string } => {
    const plan = planAppBuilds([app], project).get("lab")!;
    const contextDir = writeBuildContext(buildRoot(), plan);
    const output = must(docker(...dockerBuildArgs(plan, contextDir)), "docker build");
    const imageId = must(docker("image", "inspect", "--format", "{{.Id}}", plan.tag), "docker image inspect").trim();
    return { plan, contextDir, output, imageId };
  };
  const page = (name: string) => docker("exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8000/index.html");

  beforeAll(async () => {
    if (!availability.ok) throw new Error(`CI=true but dockerd cannot run here: ${availability.reason}`);
    engine = await startDockerd();
    await importBusyboxImage(engine.host, STAND_IN_BASE);
    project = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "gwb-build-e2e-")));
    fs.mkdirSync(path.join(project, "docker"));
    fs.writeFileSync(
      path.join(project, "docker/Dockerfile"),
      ["ARG BASE_IMAGE", "FROM ${BASE_IMAGE}", "COPY docker/index.html /srv/index.html", 'CMD ["httpd", "-f", "-p", "8000", "-h", "/srv"]', ""].join("\n"),
    );
    fs.writeFileSync(path.join(project, "docker/index.html"), "first\n");
    fs.writeFileSync(path.join(project, "docker/unlisted.txt"), "not sent\n");
    const [parsed] = parseWorkbenchConfig({
      target: "local",
      users: [{ name: "daniel", sshPublicKey: DANIEL_KEY, admin: true }],
      apps: [
        { kind: "custom", name: "lab", port: 8000, hostPort: 18000, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: ["docker/index.html"] } },
      ],
    }).apps;
    app = { ...parsed, build: { ...parsed.build!, baseImage: checked("image", STAND_IN_BASE) } };
  }, 180000);

  afterAll(async () => {
    await engine?.stop();
    if (project) fs.rmSync(project, { recursive: true, force: true });
  }, 60000);

  let first: ReturnType<typeof deploy>;

  it("builds the planned context with BASE_IMAGE and the labels, under the content tag", () => {
    first = deploy();
    expect(first.plan.tag).toBe(`gpu-workbench/lab:${first.plan.contentHash}`);
    expect(first.contextDir).toBe(path.join(buildRoot(), first.plan.contentHash));
    // Only the Dockerfile and the listed file travel; docker/unlisted.txt does not.
    expect(fs.readdirSync(first.contextDir).sort()).toEqual(["Dockerfile", "docker"]);
    expect(fs.readdirSync(path.join(first.contextDir, "docker"))).toEqual(["index.html"]);
    const labels = JSON.parse(must(docker("image", "inspect", "--format", "{{json .Config.Labels}}", first.plan.tag), "inspect labels"));
    expect(labels).toEqual({ "gpu-workbench.app": "lab", "gpu-workbench.build": first.plan.contentHash });
    // The image is the stand-in base plus the one COPY layer.
    const layers = (tag: string) => JSON.parse(must(docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", tag), "inspect layers")) as string[];
    expect(layers(first.plan.tag).slice(0, -1)).toEqual(layers(STAND_IN_BASE));
    expect(layers(first.plan.tag)).toHaveLength(layers(STAND_IN_BASE).length + 1);
  }, 120000);

  it("runs with the app's container settings and answers on its port", () => {
    const settings = { ...containerSettings(app, { hostGpu: false, dataRoot: path.join(project, "apps") }), image: first.plan.tag };
    fs.mkdirSync(settings.dataDir.path, { recursive: true });
    must(docker(...dockerRunArgs(settings)), "docker run");
    const inspected = JSON.parse(must(docker("inspect", settings.name), "docker inspect"))[0];
    expect(inspected.Image).toBe(first.imageId);
    expect(inspected.HostConfig.PortBindings).toEqual({ "8000/tcp": [{ HostIp: "127.0.0.1", HostPort: "18000" }] });
    // No bridge network here: ask the server from inside its own network namespace.
    let answer = page(settings.name);
    for (let i = 0; i < 20 && answer.status !== 0; i++) {
      spawnSync("sleep", ["0.25"]);
      answer = page(settings.name);
    }
    expect(answer.stdout).toBe("first\n");
  }, 120000);

  it("a second deployment of the same config plans the same inputs, and the engine reuses every layer", () => {
    const again = deploy();
    expect(again.plan.tag).toBe(first.plan.tag);
    expect(again.contextDir).toBe(first.contextDir);
    expect(again.plan.buildArgs).toEqual(first.plan.buildArgs);
    expect(again.plan.context).toEqual(first.plan.context);
    expect(again.imageId).toBe(first.imageId);
    expect(again.output).toContain("Using cache");
  }, 120000);

  it("a changed listed file gives a new tag and a new image, and keeps the old one", () => {
    fs.writeFileSync(path.join(project, "docker/index.html"), "second\n");
    const changed = deploy();
    expect(changed.plan.tag).not.toBe(first.plan.tag);
    expect(changed.imageId).not.toBe(first.imageId);
    expect(must(docker("image", "inspect", "--format", "{{.Id}}", first.plan.tag), "old tag").trim()).toBe(first.imageId);
    const settings = {
      ...containerSettings(app, { hostGpu: false, dataRoot: path.join(project, "apps") }),
      name: "wb-lab-2",
      image: changed.plan.tag,
      ports: [],
    };
    must(docker(...dockerRunArgs(settings)), "docker run");
    let answer = page("wb-lab-2");
    for (let i = 0; i < 20 && answer.status !== 0; i++) {
      spawnSync("sleep", ["0.25"]);
      answer = page("wb-lab-2");
    }
    expect(answer.stdout).toBe("second\n");
  }, 120000);
});
