import type { AppKind } from "./spec";

/** How an app checks who is at the door. Its own auth is never turned off. */
export type AppAuth =
  /** A token in an environment variable (Jupyter: `JUPYTER_TOKEN`). */
  | "token-env"
  /** A password in an environment variable (RStudio, code-server: `PASSWORD`). */
  | "password-env"
  /** No login of its own: reachable only through the SSH tunnel (Shiny, custom apps). */
  | "tunnel-only"
  /**
   * Every team user signs in as themselves with a generated password of their own; the container
   * gets only their bcrypt hashes (`name:hash` list in the credential variable), never a password.
   */
  | "user-passwords";

/** How a build installs an app's `packages`: pip for the Python images, CRAN for the R ones. */
export type PackageManager = "pip" | "cran";

export interface CatalogEntry {
  kind: AppKind;
  /** Image with a pinned tag; never `latest`. `undefined` for `custom` (the config gives it). */
  image: string | undefined;
  /** The CPU image when it differs from the GPU one (Kaggle publishes two). */
  cpuImage: string | undefined;
  /** Port inside the container. `undefined` for `custom`. */
  port: number | undefined;
  /** Extra ports the app serves (Spark UI), published on 127.0.0.1 beside the main one. */
  extraPorts: number[];
  auth: AppAuth;
  /** The environment variable that carries the generated credential, if any. */
  credentialEnv: string | undefined;
  /** Where the user's files go inside the container (bind-mounted from /data/apps/<name>). */
  workDir: string;
  /** The uid the app runs as inside the container; /data/apps/<name> is owned by it. */
  uid: number;
  /** Can use an NVIDIA GPU. */
  gpuCapable: boolean;
  /** Container health check command (CMD form), run inside the container. */
  healthCheck: string[] | undefined;
  /** Rough unpacked size, for disk sizing and the plan. */
  approxImageGb: number;
  /** Catalog environment, before config overrides. */
  env: Record<string, string>;
  /** What the user gets, for the README and the plan. */
  description: string;
  /**
   * The Dockerfile the package ships for this kind (components/apps/dockerfiles/<name>/), built on
   * the host FROM `image`; undefined for kinds that run their image as published.
   */
  shippedDockerfile: string | undefined;
  /** How a build installs `packages` on this image; undefined: the image has no package manager to use. */
  packageManager: PackageManager | undefined;
  /** The image's own USER, restored after a build's package layers (apt runs as root). */
  imageUser: string;
  /** The user VS Code's Dev Containers attach as (`remoteUser`); undefined: the container's user. */
  shellUser: string | undefined;
  /** VS Code extensions a Dev Containers attach installs in the container. */
  editorExtensions: string[];
}

const PYTHON_EXTENSIONS = ["ms-python.python", "ms-toolsai.jupyter"];
const R_EXTENSIONS = ["REditorSupport.r"];

/** The images every `kind` runs, in one place. Tags are pinned; bump them here. */
export const appCatalog: Readonly<Record<AppKind, CatalogEntry>> = {
  jupyter: {
    kind: "jupyter",
    image: "quay.io/jupyter/scipy-notebook:2025-08-18",
    cpuImage: undefined,
    port: 8888,
    extraPorts: [],
    auth: "token-env",
    credentialEnv: "JUPYTER_TOKEN",
    workDir: "/home/jovyan/work",
    uid: 1000,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"],
    approxImageGb: 5,
    env: {},
    description: "JupyterLab with the scientific Python stack",
    shippedDockerfile: undefined,
    packageManager: "pip",
    imageUser: "1000",
    shellUser: "jovyan",
    editorExtensions: PYTHON_EXTENSIONS,
  },
  "jupyter-pytorch": {
    kind: "jupyter-pytorch",
    image: "quay.io/jupyter/pytorch-notebook:cuda12-2025-08-18",
    cpuImage: "quay.io/jupyter/pytorch-notebook:2025-08-18",
    port: 8888,
    extraPorts: [],
    auth: "token-env",
    credentialEnv: "JUPYTER_TOKEN",
    workDir: "/home/jovyan/work",
    uid: 1000,
    gpuCapable: true,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"],
    approxImageGb: 12,
    env: {},
    description: "JupyterLab with PyTorch on CUDA 12",
    shippedDockerfile: undefined,
    packageManager: "pip",
    imageUser: "1000",
    shellUser: "jovyan",
    editorExtensions: PYTHON_EXTENSIONS,
  },
  "jupyter-pyspark": {
    kind: "jupyter-pyspark",
    image: "quay.io/jupyter/pyspark-notebook:2025-08-18",
    cpuImage: undefined,
    port: 8888,
    extraPorts: [4040],
    auth: "token-env",
    credentialEnv: "JUPYTER_TOKEN",
    workDir: "/home/jovyan/work",
    uid: 1000,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8888/api || exit 1"],
    approxImageGb: 6,
    env: {},
    description: "JupyterLab with PySpark; Spark UI on 4040",
    shippedDockerfile: undefined,
    packageManager: "pip",
    imageUser: "1000",
    shellUser: "jovyan",
    editorExtensions: PYTHON_EXTENSIONS,
  },
  "kaggle-python": {
    kind: "kaggle-python",
    image: "gcr.io/kaggle-gpu-images/python:v168",
    cpuImage: "gcr.io/kaggle-images/python:v168",
    port: 8888,
    extraPorts: [],
    auth: "token-env",
    credentialEnv: "JUPYTER_TOKEN",
    workDir: "/kaggle/working",
    uid: 0,
    gpuCapable: true,
    healthCheck: undefined,
    approxImageGb: 22,
    env: {},
    description: "Kaggle's Python notebook image (JupyterLab, ~20 GB)",
    shippedDockerfile: undefined,
    packageManager: "pip",
    imageUser: "root",
    shellUser: undefined,
    editorExtensions: PYTHON_EXTENSIONS,
  },
  "kaggle-r": {
    kind: "kaggle-r",
    image: "gcr.io/kaggle-gpu-images/rstats:v162",
    cpuImage: "gcr.io/kaggle-images/rstats:v162",
    port: 8888,
    extraPorts: [],
    auth: "token-env",
    credentialEnv: "JUPYTER_TOKEN",
    workDir: "/kaggle/working",
    uid: 0,
    gpuCapable: true,
    healthCheck: undefined,
    approxImageGb: 19,
    env: {},
    description: "Kaggle's R image: Jupyter with the R kernel (no RStudio Server: use kind kaggle-rstudio for that)",
    shippedDockerfile: undefined,
    packageManager: "cran",
    imageUser: "root",
    shellUser: undefined,
    editorExtensions: R_EXTENSIONS,
  },
  "kaggle-rstudio": {
    kind: "kaggle-rstudio",
    // The base of the shipped Dockerfile (components/apps/dockerfiles/kaggle-rstudio), which adds
    // RStudio Server for the image's Ubuntu release; the image that runs is built on the host.
    image: "gcr.io/kaggle-gpu-images/rstats:v162",
    cpuImage: "gcr.io/kaggle-images/rstats:v162",
    port: 8787,
    extraPorts: [],
    auth: "user-passwords",
    credentialEnv: "GPU_WORKBENCH_USERS",
    // Each team user's home (/home/<user>) lives under /data/apps/<name> on the host.
    workDir: "/home",
    uid: 0,
    gpuCapable: true,
    healthCheck: ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:8787/auth-sign-in || exit 1"],
    approxImageGb: 20,
    env: {},
    description: "Kaggle's R image with RStudio Server (built on the host); every team user signs in as themselves",
    shippedDockerfile: "kaggle-rstudio",
    packageManager: "cran",
    imageUser: "root",
    shellUser: undefined,
    editorExtensions: R_EXTENSIONS,
  },
  rstudio: {
    kind: "rstudio",
    image: "rocker/rstudio:4.5.1",
    cpuImage: undefined,
    port: 8787,
    extraPorts: [],
    auth: "password-env",
    credentialEnv: "PASSWORD",
    workDir: "/home/rstudio",
    uid: 1000,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8787/ || exit 1"],
    approxImageGb: 2,
    env: { USER: "rstudio" },
    description: "RStudio Server (user rstudio)",
    shippedDockerfile: undefined,
    packageManager: "cran",
    imageUser: "root",
    shellUser: "rstudio",
    editorExtensions: R_EXTENSIONS,
  },
  "rstudio-verse": {
    kind: "rstudio-verse",
    image: "rocker/verse:4.5.1",
    cpuImage: undefined,
    port: 8787,
    extraPorts: [],
    auth: "password-env",
    credentialEnv: "PASSWORD",
    workDir: "/home/rstudio",
    uid: 1000,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8787/ || exit 1"],
    approxImageGb: 4,
    env: { USER: "rstudio" },
    description: "RStudio Server with the tidyverse and publishing tools",
    shippedDockerfile: undefined,
    packageManager: "cran",
    imageUser: "root",
    shellUser: "rstudio",
    editorExtensions: R_EXTENSIONS,
  },
  shiny: {
    kind: "shiny",
    image: "rocker/shiny:4.5.1",
    cpuImage: undefined,
    port: 3838,
    extraPorts: [],
    auth: "tunnel-only",
    credentialEnv: undefined,
    workDir: "/srv/shiny-server",
    uid: 999,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3838/ || exit 1"],
    approxImageGb: 2,
    env: {},
    description: "Shiny Server; apps from /data/apps/<name>",
    shippedDockerfile: undefined,
    packageManager: "cran",
    imageUser: "root",
    shellUser: "shiny",
    editorExtensions: R_EXTENSIONS,
  },
  "code-server": {
    kind: "code-server",
    image: "codercom/code-server:4.109.2",
    cpuImage: undefined,
    port: 8080,
    extraPorts: [],
    auth: "password-env",
    credentialEnv: "PASSWORD",
    workDir: "/home/coder/project",
    uid: 1000,
    gpuCapable: false,
    healthCheck: ["CMD-SHELL", "curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1"],
    approxImageGb: 1,
    env: {},
    description: "VS Code in the browser",
    shippedDockerfile: undefined,
    packageManager: undefined,
    imageUser: "1000",
    shellUser: "coder",
    editorExtensions: [],
  },
  custom: {
    kind: "custom",
    image: undefined,
    cpuImage: undefined,
    port: undefined,
    extraPorts: [],
    auth: "tunnel-only",
    credentialEnv: undefined,
    workDir: "/data",
    uid: 0,
    gpuCapable: true,
    healthCheck: undefined,
    approxImageGb: 0,
    env: {},
    description: "Any image of your own",
    shippedDockerfile: undefined,
    packageManager: undefined,
    imageUser: "root",
    shellUser: undefined,
    editorExtensions: [],
  },
};

export const APP_KINDS = Object.keys(appCatalog) as AppKind[];
