/**
 * The target registry: one TargetDefinition per target, registered by its folder
 * (components/targets/<name>/index.ts). The Workbench component looks its target up here; the
 * config core sees only the rules (components/config/targetRules.ts). A target defined outside this
 * package registers the same way (test/component/fake-target.test.ts does).
 */
import type * as pulumi from "@pulumi/pulumi";
import { findTargetRules, registerTargetRules, TargetRules, unregisterTargetRules } from "../config/targetRules";
import type { TargetHostOutputs, WorkbenchArgs } from "../workbench/args";
import type { PreparedWorkbench } from "../workbench/prepare";

export interface TargetDefinition {
  /** What the config core knows of the target: keys, sizes, location, limits, validate hook. */
  rules: TargetRules;
  /**
   * The component type this target's workbench had before the single Workbench (e.g.
   * `gpu-workbench:index:AzureWorkbench`): an alias, so that an upgrade replaces nothing.
   */
  legacyType?: string | undefined;
  /**
   * Creates the host (and its storage) as children of `parent`, then the shared pipeline (ready ->
   * apps -> outputs). Called after the config was validated, so it raises nothing for the config.
   */
  deploy(parent: pulumi.ComponentResource, name: string, prepared: PreparedWorkbench, args: WorkbenchArgs): TargetHostOutputs;
}

const definitions = new Map<string, TargetDefinition>();

/** Registers a target: its rules for the config core, its definition for the Workbench. */
export function registerTarget(definition: TargetDefinition): void {
  if (definitions.get(definition.rules.name) === definition) return;
  registerTargetRules(definition.rules);
  definitions.set(definition.rules.name, definition);
}

/** Removes a target registered with registerTarget (for tests that register their own). */
export function unregisterTarget(name: string): void {
  definitions.delete(name);
  unregisterTargetRules(name);
}

/** The definition of a registered target (the parser accepts only registered names). */
export function targetDefinition(name: string): TargetDefinition {
  const definition = definitions.get(name);
  if (!definition || !findTargetRules(name)) throw new Error(`target ${JSON.stringify(name)} is not registered`);
  return definition;
}
