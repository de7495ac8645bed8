/**
 * blobfuse2's documented configuration keys, restated from the project's own reference,
 * Azure/azure-storage-fuse setup/baseConfig.yaml (commit 0bf5427a72fb844aff70a1d7935c275cac59c5ce),
 * with the rules its "MUST READ" notes state. blobfuse2 cannot be installed here (no Microsoft
 * repository); this is what the generated config.yaml is checked against instead.
 */

type Kind = "bool" | "uint" | "string" | "list" | readonly string[];

/** Key path -> what the reference says it takes. */
export const BLOBFUSE2_DOCUMENTED: Record<string, Kind> = {
  foreground: "bool",
  "read-only": "bool",
  "allow-other": "bool",
  nonempty: "bool",
  "dynamic-profile": "bool",
  "profiler-port": "uint",
  "profiler-ip": "string",
  "logging.type": ["syslog", "silent", "base"],
  "logging.level": ["log_off", "log_crit", "log_err", "log_warning", "log_info", "log_trace", "log_debug"],
  "logging.file-path": "string",
  "logging.max-file-size-mb": "uint",
  "logging.file-count": "uint",
  "logging.track-time": "bool",
  components: "list",
  "libfuse.default-permission": "uint",
  "libfuse.attribute-expiration-sec": "uint",
  "libfuse.entry-expiration-sec": "uint",
  "libfuse.negative-entry-expiration-sec": "uint",
  "libfuse.fuse-trace": "bool",
  "libfuse.extension": "string",
  "libfuse.disable-writeback-cache": "bool",
  "libfuse.ignore-open-flags": "bool",
  "libfuse.max-fuse-threads": "uint",
  "libfuse.direct-io": "bool",
  "stream.block-size-mb": "uint",
  "stream.max-buffers": "uint",
  "stream.buffer-size-mb": "uint",
  "stream.file-caching": "bool",
  "block_cache.block-size-mb": "uint",
  "block_cache.mem-size-mb": "uint",
  "block_cache.path": "string",
  "block_cache.disk-size-mb": "uint",
  "block_cache.disk-timeout-sec": "uint",
  "block_cache.prefetch": "uint",
  "block_cache.parallelism": "uint",
  "block_cache.prefetch-on-open": "bool",
  "file_cache.path": "string",
  "file_cache.policy": ["lru", "lfu"],
  "file_cache.timeout-sec": "uint",
  "file_cache.max-eviction": "uint",
  "file_cache.max-size-mb": "uint",
  "file_cache.high-threshold": "uint",
  "file_cache.low-threshold": "uint",
  "file_cache.create-empty-file": "bool",
  "file_cache.allow-non-empty-temp": "bool",
  "file_cache.cleanup-on-start": "bool",
  "file_cache.policy-trace": "bool",
  "file_cache.offload-io": "bool",
  "file_cache.sync-to-flush": "bool",
  "file_cache.refresh-sec": "uint",
  "file_cache.ignore-sync": "bool",
  "file_cache.hard-limit": "bool",
  "attr_cache.timeout-sec": "uint",
  "attr_cache.no-cache-on-list": "bool",
  "attr_cache.no-symlinks": "bool",
  "attr_cache.max-files": "uint",
  "loopbackfs.path": "string",
  "azstorage.type": ["block", "adls"],
  "azstorage.account-name": "string",
  "azstorage.container": "string",
  "azstorage.endpoint": "string",
  "azstorage.mode": ["key", "sas", "spn", "msi", "azcli"],
  "azstorage.account-key": "string",
  "azstorage.sas": "string",
  "azstorage.appid": "string",
  "azstorage.resid": "string",
  "azstorage.objid": "string",
  "azstorage.tenantid": "string",
  "azstorage.clientid": "string",
  "azstorage.clientsecret": "string",
  "azstorage.oauth-token-path": "string",
  "azstorage.use-http": "bool",
  "azstorage.aadendpoint": "string",
  "azstorage.subdirectory": "string",
  "azstorage.block-size-mb": "uint",
  "azstorage.max-concurrency": "uint",
  "azstorage.tier": ["hot", "cool", "cold", "premium", "archive", "none"],
  "azstorage.block-list-on-mount-sec": "uint",
  "azstorage.max-retries": "uint",
  "azstorage.max-retry-timeout-sec": "uint",
  "azstorage.retry-backoff-sec": "uint",
  "azstorage.max-retry-delay-sec": "uint",
  "azstorage.http-proxy": "string",
  "azstorage.https-proxy": "string",
  "azstorage.fail-unsupported-op": "bool",
  "azstorage.auth-resource": "string",
  "azstorage.update-md5": "bool",
  "azstorage.validate-md5": "bool",
  "azstorage.virtual-directory": "bool",
  "azstorage.disable-compression": "bool",
  "azstorage.max-results-for-list": "uint",
  "azstorage.telemetry": "string",
  "azstorage.honour-acl": "bool",
  "azstorage.cpk-enabled": "bool",
  "azstorage.cpk-encryption-key": "string",
  "azstorage.cpk-encryption-key-sha256": "string",
  "mountall.container-allowlist": "list",
  "mountall.container-denylist": "list",
  "health_monitor.enable-monitoring": "bool",
  "health_monitor.stats-poll-interval-sec": "uint",
  "health_monitor.process-monitor-interval-sec": "uint",
  "health_monitor.output-path": "string",
  "health_monitor.monitor-disable-list": "list",
};

/** The pipeline components in the priority order the reference requires. */
export const BLOBFUSE2_COMPONENT_ORDER = ["libfuse", "stream", "block_cache", "file_cache", "attr_cache", "azstorage", "loopbackfs"];

/** Every way `config` strays from the reference; empty when it keeps to it. */
export function blobfuse2ConfigProblems(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const walk = (v: unknown, prefix: string) => {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined) continue;
      const key = prefix ? `${prefix}.${k}` : k;
      const kind = BLOBFUSE2_DOCUMENTED[key];
      if (kind === undefined) {
        if (x !== null && typeof x === "object" && !Array.isArray(x) && !prefix) walk(x, key);
        else problems.push(`${key}: not a documented blobfuse2 key`);
        continue;
      }
      if (Array.isArray(kind)) {
        if (!kind.includes(x as string)) problems.push(`${key}: ${JSON.stringify(x)} is not one of ${kind.join(", ")}`);
      } else if (kind === "bool" && typeof x !== "boolean") problems.push(`${key}: expected true or false`);
      else if (kind === "uint" && !(Number.isInteger(x) && (x as number) >= 0)) problems.push(`${key}: expected a whole number >= 0`);
      else if (kind === "string" && (typeof x !== "string" || x === "")) problems.push(`${key}: expected a non-empty string`);
      else if (kind === "list" && !Array.isArray(x)) problems.push(`${key}: expected a list`);
    }
  };
  walk(config, "");

  const section = (name: string) => (config[name] ?? {}) as Record<string, unknown>;
  for (const k of ["type", "account-name", "container", "mode"]) {
    if (section("azstorage")[k] === undefined) problems.push(`azstorage.${k}: required`);
  }
  const components = Array.isArray(config.components) ? (config.components as string[]) : [];
  if (components.length === 0) problems.push("components: required");
  for (const c of components) if (!BLOBFUSE2_COMPONENT_ORDER.includes(c)) problems.push(`components: "${c}" is not a blobfuse2 component`);
  for (let i = 1; i < components.length; i++) {
    const [a, b] = [BLOBFUSE2_COMPONENT_ORDER.indexOf(components[i - 1]), BLOBFUSE2_COMPONENT_ORDER.indexOf(components[i])];
    if (a >= 0 && b >= 0 && a > b) {
      problems.push(`components: ${components[i]} must come before ${components[i - 1]} (blobfuse2's pipeline order: ${BLOBFUSE2_COMPONENT_ORDER.join(", ")})`);
    }
  }
  const caches = components.filter((c) => ["stream", "block_cache", "file_cache"].includes(c));
  if (caches.length > 1) problems.push(`components: ${caches.join(" and ")} cannot be used together; pick one`);
  if (components.includes("file_cache") && section("file_cache").path === undefined) problems.push("file_cache.path: required with the file_cache component");
  for (const s of ["stream", "block_cache", "file_cache", "attr_cache", "loopbackfs"]) {
    if (config[s] !== undefined && !components.includes(s)) problems.push(`${s}: configured but not in components`);
  }
  const az = section("azstorage");
  if (az.mode === "msi") {
    for (const k of ["account-key", "sas", "clientsecret"])
      if (az[k] !== undefined) problems.push(`azstorage.${k}: not used with mode msi (a secret in the file for nothing)`);
    if (["appid", "resid", "objid"].filter((k) => az[k] !== undefined).length > 1) problems.push("azstorage: appid, resid and objid are mutually exclusive");
  }
  return problems;
}
