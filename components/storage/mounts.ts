/**
 * Pure builders for the storage mounts on the host: where each mount lives, the group that may
 * open it, the systemd unit that keeps it mounted, blobfuse2's config.yaml and s3fs's options,
 * what the app containers bind, and the per-mount outputs. No Pulumi here: the bootstrap's
 * storage step writes these files, and the tests check them against the real tools.
 *
 * Layout of one mount (name "lake", filesystem or bucket "raw", mountPath /mnt/lake):
 *
 *   /mnt/lake        the gate: root:gw-mnt-lake, 0770 (0750 read-only). Only members pass it, so the
 *                    kernel refuses everyone else whatever the FUSE client presents (blobfuse2
 *                    has no per-user permission checks once allow-other is on).
 *   /mnt/lake/raw    the FUSE mount (blobfuse2 or s3fs, allow_other).
 *
 * The containers bind the gate (rslave), not the FUSE mount: a remount after the client restarts
 * happens inside the bound directory, so it propagates into running containers. They join the
 * mount's group by number (`--group-add`), as their users are not the host's.
 */
import { stringify } from "yaml";
import type { StorageSpec, WorkbenchSpec } from "../config/spec";

/** The mount groups' GIDs: 70000 + the mount's index, above useradd's range and below the subgid ranges (100000+). */
export const STORAGE_GID_BASE = 70000;
/** Root-only caches (blobfuse2's file cache, s3fs's temporary files): on the data disk, never the OS disk. */
export const STORAGE_CACHE_ROOT = "/data/.cache/gpu-workbench/storage";
/** Where blobfuse2's config files go (one per mount). */
export const BLOBFUSE2_CONFIG_DIR = "/etc/blobfuse2";
/** Where s3fs's credential files go on ssh/local hosts (one per mount, root-only). */
export const S3FS_PASSWD_DIR = "/etc/gpu-workbench/storage";

/** Built-in Azure role definition ids (the same GUID in every subscription). */
export const STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
export const STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

/** Where and as whom one mount lives on the host. */
export interface MountLayout {
  name: string;
  kind: StorageSpec["kind"];
  /** The gate directory users and containers open (`mountPath`). */
  mountPath: string;
  /** The FUSE mount point inside the gate: the data. */
  dataPath: string;
  /** `gw-mnt-<name>`: the users allowed in. */
  group: string;
  gid: number;
  /** The gate's mode: 0770, or 0750 read-only. */
  gateMode: string;
  readOnly: boolean;
  users: string[];
  /** `gpu-workbench-storage-<name>.service`. */
  unit: string;
  /** Root-only cache directory on the data disk. */
  cacheDir: string;
  /** adls2: /etc/blobfuse2/<name>.yaml; s3: undefined. */
  configPath: string | undefined;
  /** s3 on ssh/local: the s3fs credentials file; otherwise undefined. */
  passwdPath: string | undefined;
  /** For people: abfss://raw@acme.dfs.core.windows.net/ or s3://raw (or the endpoint's URL). */
  source: string;
}

export function mountLayout(s: StorageSpec, index: number): MountLayout {
  const leaf = s.kind === "adls2" ? s.container! : s.bucket!;
  return {
    name: s.name,
    kind: s.kind,
    mountPath: s.mountPath,
    dataPath: `${s.mountPath}/${leaf}`,
    group: `gw-mnt-${s.name}`,
    gid: STORAGE_GID_BASE + index,
    gateMode: s.readOnly ? "0750" : "0770",
    readOnly: s.readOnly,
    users: [...s.users],
    unit: `gpu-workbench-storage-${s.name}.service`,
    cacheDir: `${STORAGE_CACHE_ROOT}/${s.name}`,
    configPath: s.kind === "adls2" ? `${BLOBFUSE2_CONFIG_DIR}/${s.name}.yaml` : undefined,
    passwdPath: s.kind === "s3" && s.endpoint !== undefined ? `${S3FS_PASSWD_DIR}/${s.name}.passwd` : undefined,
    source:
      s.kind === "adls2"
        ? `abfss://${s.container}@${s.account}.dfs.core.windows.net/`
        : s.endpoint !== undefined
          ? `${s.endpoint}/${s.bucket}`
          : `s3://${s.bucket}`,
  };
}

export function mountLayouts(spec: WorkbenchSpec): MountLayout[] {
  return spec.storage.map(mountLayout);
}

/** The dfs endpoint of an ADLS Gen2 account (Azure's public cloud). */
export function dfsEndpoint(account: string): string {
  return `https://${account}.dfs.core.windows.net`;
}

/**
 * blobfuse2's config.yaml for an adls2 mount: the VM's system-assigned managed identity (msi, no
 * id: blobfuse2 then asks IMDS for the system identity's token), the dfs endpoint, a file cache on
 * the data disk capped at cacheGb, allow-other (the gate decides who gets in). Keys as documented
 * in Azure/azure-storage-fuse setup/baseConfig.yaml.
 */
export function blobfuse2Config(s: StorageSpec, layout: MountLayout): string {
  if (s.kind !== "adls2" || !s.account || !s.container || s.cacheGb === undefined) {
    throw new Error(`blobfuse2Config: storage "${s.name}" is not a parsed adls2 mount`);
  }
  const doc = {
    "allow-other": true,
    ...(s.readOnly ? { "read-only": true } : {}),
    logging: { type: "syslog", level: "log_warning" },
    // The pipeline, in blobfuse2's priority order: FUSE, the disk cache, attribute cache, storage.
    components: ["libfuse", "file_cache", "attr_cache", "azstorage"],
    libfuse: { "attribute-expiration-sec": 120, "entry-expiration-sec": 120, "negative-entry-expiration-sec": 240 },
    file_cache: { path: layout.cacheDir, "timeout-sec": 120, "max-size-mb": s.cacheGb * 1024 },
    attr_cache: { "timeout-sec": 7200 },
    azstorage: { type: "adls", "account-name": s.account, container: s.container, endpoint: dfsEndpoint(s.account), mode: "msi" },
  };
  return `# gpu-workbench storage mount "${s.name}" (generated): ${layout.source} at ${layout.dataPath}\n` + stringify(doc);
}

/**
 * s3fs's -o options for an s3 mount: the instance role's credentials on aws (`iam_role=auto`,
 * IMDSv2), or a root-only credentials file and path-style requests for an S3-compatible endpoint;
 * temporary files on the data disk; allow_other with nothing masked (the gate decides who gets in).
 */
export function s3fsOptions(s: StorageSpec, layout: MountLayout): string[] {
  if (s.kind !== "s3" || !s.bucket || !s.region) throw new Error(`s3fsOptions: storage "${s.name}" is not a parsed s3 mount`);
  const access =
    s.endpoint === undefined
      ? ["iam_role=auto", `url=https://s3.${s.region}.amazonaws.com`, `endpoint=${s.region}`]
      : [`passwd_file=${layout.passwdPath}`, `url=${s.endpoint}`, `endpoint=${s.region}`, "use_path_request_style"];
  return ["allow_other", "umask=0000", "mp_umask=0000", ...(s.readOnly ? ["ro"] : []), ...access, `tmpdir=${layout.cacheDir}`];
}

/** The FUSE client's command line (absolute paths, for ExecStart). */
export function mountCommand(s: StorageSpec, layout: MountLayout): string {
  if (s.kind === "adls2") return `/usr/bin/blobfuse2 mount ${layout.dataPath} --config-file=${layout.configPath} --foreground`;
  return `/usr/bin/s3fs ${s.bucket} ${layout.dataPath} -f -o ${s3fsOptions(s, layout).join(",")}`;
}

/**
 * The systemd unit that keeps one mount up: after the network is online, the gate and the cache
 * re-made on every start (Azure's /mnt is an ephemeral disk), a dead FUSE mount cleared first, and
 * restarted on failure for ever (a network blip or a spot eviction must not leave it down).
 */
export function mountUnit(s: StorageSpec, layout: MountLayout): string {
  return [
    `# gpu-workbench storage mount "${s.name}" (generated): ${layout.source}`,
    "[Unit]",
    `Description=gpu-workbench storage mount ${s.name} at ${layout.dataPath}`,
    "Wants=network-online.target",
    "After=network-online.target",
    `RequiresMountsFor=${layout.mountPath} ${layout.cacheDir}`,
    "StartLimitIntervalSec=0",
    "",
    "[Service]",
    "Type=simple",
    `ExecStartPre=-/bin/umount -l ${layout.dataPath}`,
    `ExecStartPre=/usr/bin/install -d -o root -g ${layout.group} -m ${layout.gateMode} ${layout.mountPath}`,
    `ExecStartPre=/usr/bin/install -d -m 0755 ${layout.dataPath}`,
    `ExecStartPre=/usr/bin/install -d -o root -g root -m 0700 ${layout.cacheDir}`,
    `ExecStart=${mountCommand(s, layout)}`,
    `ExecStopPost=-/bin/umount -l ${layout.dataPath}`,
    "Restart=on-failure",
    "RestartSec=10",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** What every app container binds for one mount: the gate, at the same path, rslave, and its group. */
export interface ContainerStorageMount {
  /** The gate on the host (and the same path in the container). */
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
  /** The mount group's GID, for `--group-add`. */
  gid: number;
}

export function containerStorageMounts(spec: WorkbenchSpec): ContainerStorageMount[] {
  return mountLayouts(spec).map((l) => ({ hostPath: l.mountPath, containerPath: l.mountPath, readOnly: l.readOnly, gid: l.gid }));
}

/** One mount as the workbench's `storage` output shows it: where it is and who may use it. */
export interface StorageMountInfo {
  /** adls2 | s3. */
  kind: string;
  /** Where the data is, on the host and in every app container. */
  path: string;
  /** The account's filesystem or the bucket, as a URL. */
  source: string;
  readOnly: boolean;
  /** The team users who may open it on the host (the apps' containers always can). */
  users: string[];
  /** The host group that holds them. */
  group: string;
}

export function storageMountInfo(spec: WorkbenchSpec): Record<string, StorageMountInfo> {
  return Object.fromEntries(
    mountLayouts(spec).map((l) => [l.name, { kind: l.kind, path: l.dataPath, source: l.source, readOnly: l.readOnly, users: l.users, group: l.group }]),
  );
}
