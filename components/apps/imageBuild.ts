/**
 * Image builds on the host: an app's BuildSpec -> the generated Dockerfile, the small build
 * context (that Dockerfile, the shipped kind's own files, the files the config lists) and a tag
 * derived from all of it. Pure apart from the two marked functions that read the project's files
 * and write the context directory. AnalysisApps hands the plan to docker.RemoteImage's `build`;
 * the e2e test hands the same plan to a real Docker engine.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { appCatalog } from "../config/appCatalog";
import { aptPackageProblem, cranPackageProblem, pipRequirementProblem, projectPathProblem } from "../config/buildInputs";
import { WorkbenchConfigError } from "../config/parse";
import type { AppSpec, BuildSpec } from "../config/spec";

/** Where the Dockerfiles the package ships live (copied to bin/ by the build script). */
export const SHIPPED_DOCKERFILES_DIR = path.join(__dirname, "dockerfiles");

/** The most a build context may carry: it travels over SSH on every build. */
export const MAX_CONTEXT_BYTES = 8 * 1024 * 1024;

/** The project files a build reads, already checked to lie inside the project. */
export interface BuildSources {
  /** The project's own Dockerfile (build.dockerfile), or undefined. */
  dockerfile: string | undefined;
  /** build.files: project-relative path -> content. */
  files: Record<string, Buffer>;
  /** The shipped kind's directory (Dockerfile and what it copies): file name -> content; empty when none. */
  shipped: Record<string, Buffer>;
}

/** Everything docker build needs, and the tag that names the result. */
export interface ImageBuildPlan {
  /** `gpu-workbench/<app>:<contentHash>`: changes exactly when the context or the build args do. */
  tag: string;
  /** 16 hex digits of SHA-256 over the context and the build args. */
  contentHash: string;
  /** The build context: relative path -> content. `Dockerfile` is the generated one. */
  context: Record<string, Buffer>;
  /** The Dockerfile's path in the context. */
  dockerfile: "Dockerfile";
  /** `BASE_IMAGE`: the base kind's image. */
  buildArgs: Record<string, string>;
  /** Labels on the image: the app and the content hash. */
  labels: Record<string, string>;
}

/** A build input that cannot be used: `key` is the config key path, `problem` the fix. */
export class BuildSourceError extends Error {
  constructor(
    public readonly key: string,
    public readonly problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = "BuildSourceError";
  }
}

/**
 * Reads a build's project files (I/O). Every path is checked again here, after symlinks are
 * resolved, to stay inside `projectDir`; missing files, directories and an oversized context are
 * refused with the config key path (`keyPath` is e.g. `workbench.apps[2].build`).
 */
export function loadBuildSources(build: BuildSpec, projectDir: string, keyPath: string): BuildSources {
  const root = fs.realpathSync(projectDir);
  const read = (rel: string, key: string): Buffer => {
    const problem = projectPathProblem(rel);
    if (problem) throw new BuildSourceError(key, problem);
    const full = path.join(root, ...rel.split("/"));
    let real: string;
    try {
      real = fs.realpathSync(full);
    } catch {
      throw new BuildSourceError(key, `"${rel}" does not exist in the project directory ${root}; check the path (relative to Pulumi.yaml)`);
    }
    if (real !== root && !real.startsWith(`${root}${path.sep}`)) {
      throw new BuildSourceError(key, `"${rel}" resolves to ${real}, outside the project directory ${root}; copy the file into the project`);
    }
    if (!fs.statSync(real).isFile()) throw new BuildSourceError(key, `"${rel}" is not a regular file; list files, not directories`);
    return fs.readFileSync(real);
  };
  const dockerfile = build.dockerfile === undefined ? undefined : read(build.dockerfile, `${keyPath}.dockerfile`).toString("utf8");
  const files: Record<string, Buffer> = {};
  build.files.forEach((f, i) => (files[f] = read(f, `${keyPath}.files[${i}]`)));
  const shipped = shippedFiles(build);
  const bytes = [dockerfile ?? "", ...Object.values(files), ...Object.values(shipped)].reduce((n, b) => n + Buffer.byteLength(b), 0);
  if (bytes > MAX_CONTEXT_BYTES) {
    throw new BuildSourceError(
      `${keyPath}.files`,
      `the build context would be ${bytes} bytes, over ${MAX_CONTEXT_BYTES}; send less (large data belongs in /data, not in the image)`,
    );
  }
  return { dockerfile, files, shipped };
}

/** The files of the Dockerfile a kind ships, by name (I/O, inside the package). */
function shippedFiles(build: BuildSpec): Record<string, Buffer> {
  const dir = appCatalog[build.from].shippedDockerfile;
  if (!dir || build.dockerfile !== undefined) return {};
  const full = path.join(SHIPPED_DOCKERFILES_DIR, dir);
  return Object.fromEntries(
    fs
      .readdirSync(full)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(full, f))]),
  );
}

/** The plan for one app's build: generated Dockerfile, context, build args, tag. Pure. */
export function imageBuildPlan(app: AppSpec, sources: BuildSources): ImageBuildPlan {
  const build = app.build;
  if (!build) throw new Error(`app "${app.name}" has no build`);
  const context: Record<string, Buffer> = {};
  for (const [f, content] of Object.entries(sources.shipped)) if (f !== "Dockerfile") context[f] = content;
  for (const [f, content] of Object.entries(sources.files)) context[f] = content;
  context.Dockerfile = Buffer.from(generatedDockerfile(build, sources), "utf8");
  const buildArgs = { BASE_IMAGE: build.baseImage };
  const contentHash = contentHashOf(context, buildArgs);
  return {
    tag: `gpu-workbench/${app.name}:${contentHash}`,
    contentHash,
    context,
    dockerfile: "Dockerfile",
    buildArgs,
    labels: { "gpu-workbench.app": app.name, "gpu-workbench.build": contentHash },
  };
}

/** SHA-256 over every context entry (path and content, in path order) and every build arg. */
function contentHashOf(context: Record<string, Buffer>, buildArgs: Record<string, string>): string {
  const h = crypto.createHash("sha256");
  for (const f of Object.keys(context).sort()) {
    h.update(`file\0${f}\0${crypto.createHash("sha256").update(context[f]).digest("hex")}\0`);
  }
  for (const k of Object.keys(buildArgs).sort()) h.update(`arg\0${k}\0${buildArgs[k]}\0`);
  return h.digest("hex").slice(0, 16);
}

/**
 * The Dockerfile the host builds: the project's own, the kind's shipped one, or a FROM of the
 * base image; then the config's packages (apt first, as root; then pip or CRAN as the image's
 * own user, in exec form, so no shell sees a package name).
 */
export function generatedDockerfile(build: BuildSpec, sources: BuildSources): string {
  if (sources.dockerfile !== undefined) return withNewline(sources.dockerfile);
  const base = appCatalog[build.from];
  const lines: string[] = [];
  const shipped = sources.shipped.Dockerfile;
  if (shipped) {
    lines.push(withNewline(shipped.toString("utf8")).trimEnd());
  } else {
    lines.push(`# gpu-workbench: the ${build.from} image with the app's packages (workbench.apps[].build)`, "ARG BASE_IMAGE", "FROM ${BASE_IMAGE}");
  }
  if (build.aptPackages.length === 0 && build.packages.length === 0) return `${lines.join("\n")}\n`;
  lines.push("", "# gpu-workbench: the app's packages (workbench.apps[].build)");
  const asRoot = base.imageUser !== "root";
  if (build.aptPackages.length > 0) {
    for (const p of build.aptPackages) assertGrammar(p, aptPackageProblem);
    if (asRoot) lines.push("USER root");
    lines.push("RUN apt-get update \\", ` && apt-get install -y --no-install-recommends ${build.aptPackages.join(" ")} \\`, " && rm -rf /var/lib/apt/lists/*");
    if (asRoot) lines.push(`USER ${base.imageUser}`);
  }
  if (build.packages.length > 0) {
    if (base.packageManager === "pip") {
      for (const p of build.packages) assertGrammar(p, pipRequirementProblem);
      lines.push(`RUN ${JSON.stringify(["python", "-m", "pip", "install", "--no-cache-dir", ...build.packages])}`);
    } else if (base.packageManager === "cran") {
      for (const p of build.packages) assertGrammar(p, cranPackageProblem);
      lines.push(`RUN ${JSON.stringify(["Rscript", "-e", cranInstall(build.packages)])}`);
    } else {
      throw new Error(`${build.from} has no package manager for packages (parseWorkbenchConfig refuses this)`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** R that installs the packages from the image's CRAN mirror and fails when one did not install. */
function cranInstall(packages: string[]): string {
  const pkgs = `c(${packages.map((p) => `'${p}'`).join(", ")})`;
  return [
    `pkgs <- ${pkgs}`,
    "repos <- getOption('repos')",
    "if (is.null(repos) || identical(unname(repos['CRAN']), '@CRAN@')) repos <- c(CRAN = 'https://cloud.r-project.org')",
    "install.packages(pkgs, repos = repos, Ncpus = max(1L, parallel::detectCores()))",
    "missing <- pkgs[!vapply(pkgs, requireNamespace, logical(1), quietly = TRUE)]",
    "if (length(missing) > 0) stop('not installed: ', paste(missing, collapse = ' '))",
  ].join("; ");
}

/** The renderer refuses what the parser refuses: a hand-made BuildSpec cannot smuggle a shell word in. */
function assertGrammar(value: string, problemOf: (s: string) => string | undefined): void {
  const problem = problemOf(value);
  if (problem) throw new Error(`build: ${problem}`);
}

function withNewline(s: string): string {
  return s.endsWith("\n") ? s : `${s}\n`;
}

/**
 * Writes the context under `root/<contentHash>` (I/O) unless it is there already, and returns
 * that directory. The name carries the content, so the path handed to the provider is the same
 * for the same build on every run (and on every machine, for a relative root).
 */
export function writeBuildContext(root: string, plan: ImageBuildPlan): string {
  const dir = path.join(root, plan.contentHash);
  // A marker beside the directory (not in it, so it is not sent): the context was written whole.
  const done = `${dir}.complete`;
  if (fs.existsSync(done) && fs.existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const [rel, content] of Object.entries(plan.context)) {
    const file = path.join(tmp, ...rel.split("/"));
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Scripts the Dockerfile copies keep an executable mode; the Dockerfile sets modes anyway.
    fs.writeFileSync(file, content, { mode: rel.endsWith(".sh") ? 0o755 : 0o644 });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  fs.writeFileSync(done, `${plan.tag}\n`);
  return dir;
}

/**
 * The plans of every app that builds, by app name, reading their project files (I/O). All
 * problems are raised together as a config error naming each key (`workbench.apps[i].build...`):
 * the apps are in config order, since parseWorkbenchConfig keeps every valid app and fails on any
 * invalid one.
 */
export function planAppBuilds(apps: AppSpec[], projectDir: string): Map<string, ImageBuildPlan> {
  const plans = new Map<string, ImageBuildPlan>();
  const problems: string[] = [];
  apps.forEach((app, i) => {
    if (!app.build) return;
    try {
      plans.set(app.name, imageBuildPlan(app, loadBuildSources(app.build, projectDir, `workbench.apps[${i}].build`)));
    } catch (e) {
      if (!(e instanceof BuildSourceError)) throw e;
      problems.push(e.message);
    }
  });
  if (problems.length > 0) throw new WorkbenchConfigError(problems);
  return plans;
}

/**
 * The `docker build` arguments that build the same image as the RemoteImage AnalysisApps
 * registers (same tag, Dockerfile, build args and labels, from the same context directory): for
 * the e2e test, and for building by hand on the host.
 */
export function dockerBuildArgs(plan: ImageBuildPlan, contextDir: string): string[] {
  const args = ["build", "--tag", plan.tag, "--file", path.join(contextDir, plan.dockerfile)];
  for (const [k, v] of Object.entries(plan.buildArgs)) args.push("--build-arg", `${k}=${v}`);
  for (const [k, v] of Object.entries(plan.labels)) args.push("--label", `${k}=${v}`);
  args.push(contextDir);
  return args;
}
