/**
 * Per app kind: the environment names and command options that would weaken the app's login (turn
 * it off, replace the generated credential with a known one, or hand the decision to a file or
 * server the workbench does not control). The parser refuses them with the reason given here. The
 * generated credential variable itself (JUPYTER_TOKEN, PASSWORD) is refused separately.
 */
import type { AppKind } from "./spec";

export interface AuthGuard {
  /** Environment name -> why setting it weakens the login (a clause: "it ..."). */
  env: Readonly<Record<string, string>>;
  /** Command option (without leading dashes, matched as a prefix up to "=") -> why. */
  options: Readonly<Record<string, string>>;
}

/** JupyterLab/Jupyter Server (docker-stacks and Kaggle images). */
const JUPYTER_CONFIG = {
  JUPYTER_CONFIG_DIR: "it points Jupyter at a config directory that can set an empty token or another login",
  JUPYTER_CONFIG_PATH: "it adds config directories that can set an empty token or another login",
  JUPYTER_TOKEN_FILE: "a token file would stand in for the generated JUPYTER_TOKEN",
};
const JUPYTER_OPTIONS = {
  "IdentityProvider.token": "sets the login token; the generated one must stay the only one (an empty token turns the login off)",
  "ServerApp.token": "sets the login token; the generated one must stay the only one (an empty token turns the login off)",
  "NotebookApp.token": "sets the login token; the generated one must stay the only one (an empty token turns the login off)",
  "ServerApp.password": "adds a password login beside the generated token",
  "NotebookApp.password": "adds a password login beside the generated token",
  PasswordIdentityProvider: "changes how logins are checked",
  "ServerApp.identity_provider_class": "replaces the login check",
  "ServerApp.allow_unauthenticated_access": "lets requests in without the token",
  "ServerApp.disable_check_xsrf": "turns off the cross-site request check that protects a logged-in browser",
  "NotebookApp.disable_check_xsrf": "turns off the cross-site request check that protects a logged-in browser",
  config: "loads a config file that can set an empty token or another login",
};
/** docker-stacks' start-notebook.py also reads these. */
const DOCKER_STACKS = {
  ...JUPYTER_CONFIG,
  NOTEBOOK_ARGS:
    "start-notebook.py passes it to Jupyter as options, such as --IdentityProvider.token= (no login); set command instead, where options are checked",
  JUPYTERHUB_API_TOKEN: "it makes start-notebook.py run jupyterhub-singleuser, whose login a JupyterHub decides",
};

const RSTUDIO: AuthGuard = {
  env: { DISABLE_AUTH: "rocker's init turns RStudio's login off when it is true (auth-none)" },
  options: { "auth-none": "turns RStudio's login off" },
};

/** Every kind has an entry (the Record type makes a new kind add one). */
export const AUTH_GUARDS: Readonly<Record<AppKind, AuthGuard>> = {
  jupyter: { env: DOCKER_STACKS, options: JUPYTER_OPTIONS },
  "jupyter-pytorch": { env: DOCKER_STACKS, options: JUPYTER_OPTIONS },
  "jupyter-pyspark": { env: DOCKER_STACKS, options: JUPYTER_OPTIONS },
  "kaggle-python": { env: JUPYTER_CONFIG, options: JUPYTER_OPTIONS },
  "kaggle-r": { env: JUPYTER_CONFIG, options: JUPYTER_OPTIONS },
  rstudio: RSTUDIO,
  "rstudio-verse": RSTUDIO,
  // Built on the host (components/apps/dockerfiles/kaggle-rstudio): its start script reads these.
  "kaggle-rstudio": {
    env: {
      ...RSTUDIO.env,
      GPU_WORKBENCH_RSERVER: "the start script runs it in place of RStudio Server, and with it the login",
      GPU_WORKBENCH_R_ETC: "the start script writes the sessions' R configuration there",
    },
    options: RSTUDIO.options,
  },
  // Shiny Server has no login of its own: it is reached only through the tunnel.
  shiny: { env: {}, options: {} },
  "code-server": {
    env: {
      HASHED_PASSWORD: "code-server takes it over PASSWORD, so a known hash would replace the generated password",
      CODE_SERVER_CONFIG: "it points code-server at a config file that can set auth: none",
    },
    options: {
      auth: "chooses code-server's login (--auth none turns it off)",
      "hashed-password": "replaces the generated password",
      config: "loads a config file that can set auth: none",
    },
  },
  // Yours: the workbench does not know its login.
  custom: { env: {}, options: {} },
};

/** The reason a command argument weakens `kind`'s login, or undefined. */
export function weakeningOption(kind: AppKind, arg: string): { option: string; reason: string } | undefined {
  if (!arg.startsWith("-")) return undefined;
  const name = arg.replace(/^-+/, "").split("=")[0].toLowerCase();
  for (const [option, reason] of Object.entries(AUTH_GUARDS[kind].options)) {
    const o = option.toLowerCase();
    if (name === o || name.startsWith(`${o}.`)) return { option, reason };
  }
  return undefined;
}
