/**
 * The built-in targets, registered in this order (messages list them so): azure, aws, softlayer,
 * ssh, local. Importing this module (the package entry does) registers them.
 */
import "./azure";
import "./aws";
import "./softlayer";
import "./ssh";
import "./local";

export { registerTarget, unregisterTarget, targetDefinition } from "./registry";
export type { TargetDefinition } from "./registry";
