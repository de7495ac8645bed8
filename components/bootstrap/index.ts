/**
 * The bootstrap: pure functions from a WorkbenchSpec to the cloud-init user data and the shell steps
 * that turn a fresh Ubuntu VM (or an existing host over SSH) into a verified GPU Docker host.
 * No Pulumi resources here.
 */
export { gzipUserData, redactUserData, renderCloudInit } from "./cloudinit";
export { bootstrapScripts, IDLE_SERVICE_UNIT, READY_MARKER_PATH, readyCheckScript, stepsFor, usersScript } from "./scripts";
export type { BootstrapSecrets, StepName } from "./scripts";
