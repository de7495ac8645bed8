/**
 * VS Code Dev Containers: how to attach to an app's running container. Pure. The attached-
 * container configuration is the devcontainer.json subset the Dev Containers extension reads for
 * a container it attaches to (workspaceFolder, extensions, remoteUser, ...); VS Code's Docker
 * settings point the extension at the workbench's engine over SSH through the same ssh_config
 * alias (and pinned host key) that the sshConfig output sets up for Remote-SSH.
 */
import type { AppSpec } from "../config/spec";
import { appCatalog } from "../config/appCatalog";

/** How one user's VS Code attaches to one app's container. */
export interface DevContainerAttach {
  /** The container to pick in "Dev Containers: Attach to Running Container...": `wb-<app>`. */
  containerName: string;
  /**
   * The attached-container configuration (devcontainer.json properties), as JSON: save it as
   * `nameConfigs/<containerName>.json` in the Dev Containers extension's global storage, or paste it
   * into "Dev Containers: Open Named Configuration File" once attached.
   */
  devcontainerJson: string;
  /**
   * VS Code user settings (JSON) that make the Docker and Dev Containers extensions talk to the
   * workbench's engine: `docker.environment.DOCKER_HOST = ssh://<alias>`. `{}` for the local target
   * (its engine is the default one). Only users in the host's docker group can attach.
   */
  vscodeSettings: string;
}

/** The attached-container configuration of one app. */
export function attachedContainerConfig(app: AppSpec): Record<string, unknown> {
  const entry = appCatalog[app.kind];
  // A custom app built from a catalog base edits like that base.
  const base = appCatalog[app.build?.from ?? app.kind];
  return {
    workspaceFolder: entry.workDir,
    extensions: [...base.editorExtensions],
    ...(entry.shellUser ? { remoteUser: entry.shellUser } : {}),
  };
}

/**
 * Per app, how to attach VS Code to its container. `sshAlias` is the ssh_config Host alias of the
 * workbench (the sshConfig output); undefined for the local target.
 */
export function devContainerAttach(apps: AppSpec[], sshAlias: string | undefined): Record<string, DevContainerAttach> {
  const settings = sshAlias === undefined ? {} : { "docker.environment": { DOCKER_HOST: `ssh://${sshAlias}` } };
  return Object.fromEntries(
    apps.map((app) => [
      app.name,
      {
        containerName: `wb-${app.name}`,
        devcontainerJson: `${JSON.stringify(attachedContainerConfig(app), null, 2)}\n`,
        vscodeSettings: `${JSON.stringify(settings, null, 2)}\n`,
      },
    ]),
  );
}
