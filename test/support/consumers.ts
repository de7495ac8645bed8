/**
 * The real consumers of what the renderers write, each run once over a batch of artifacts: cloud-init's
 * own schema check and YAML loader (the code `cloud-init schema --config-file` runs), bash sourcing an
 * env file, `systemd-analyze verify` over unit files, `ssh -G -F` and `ssh-keygen -l` for ssh_config
 * and known_hosts, and `bash -n` for scripts. Each returns what the consumer read, so a test can
 * compare it with what was meant: no extra line, variable, directive or option.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** Writes `texts` into `dir` as numbered files with `suffix`; returns their paths. */
export function writeAll(dir: string, prefix: string, texts: string[], suffix = ""): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return texts.map((t, i) => {
    const f = path.join(dir, `${prefix}${i}${suffix}`);
    fs.writeFileSync(f, t);
    return f;
  });
}

/** cloud-init 22.4's `cloud-init schema --config-file` for each file, in one Python process, and the document its YAML loader reads. */
const CLOUD_INIT_BATCH = `
import contextlib, io, json, sys
from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_file
from cloudinit import safeyaml
from cloudinit.util import load_file
schema = get_schema()
out = []
for f in sys.argv[1:]:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            validate_cloudconfig_file(f, schema)
        out.append({"file": f, "valid": True, "doc": safeyaml.load(load_file(f, decode=False))})
    except SchemaValidationError as e:
        out.append({"file": f, "valid": False, "error": str(e)})
print(json.dumps(out))
`;

export interface CloudInitRead {
  file: string;
  valid: boolean;
  error?: string;
  doc?: Record<string, unknown>;
}

export function cloudInitRead(files: string[]): CloudInitRead[] {
  if (files.length === 0) return [];
  const r = spawnSync("/usr/bin/python3", ["-c", CLOUD_INIT_BATCH, ...files], { encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`cloud-init batch failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CloudInitRead[];
}

/**
 * What bash makes of each env file when it sources it (`set -a; . file`, as the steps do): every
 * variable it set or changed, with its exact value, and what it wrote to stderr (a command that ran).
 */
const ENV_BATCH = `
for f in "$@"; do
  (
    declare -A gw_before
    for gw_v in $(compgen -v); do gw_before[$gw_v]=\${!gw_v-}; done
    set -a
    . "$f" 2>"$f.err"
    set +a
    for gw_v in $(compgen -v); do
      case $gw_v in gw_before | gw_v | BASH_* | FUNCNAME | _ | LINENO | RANDOM | SRANDOM | SECONDS | EPOCH* | BASHPID | PIPESTATUS | OPTIND | OPTERR) continue ;; esac
      if [[ ! -v gw_before[$gw_v] || "\${gw_before[$gw_v]}" != "\${!gw_v-}" ]]; then printf '%s\\0%s\\0' "$gw_v" "\${!gw_v-}"; fi
    done >"$f.vars"
  )
done
`;

export interface EnvRead {
  vars: Record<string, string>;
  stderr: string;
}

export function bashSource(files: string[]): EnvRead[] {
  if (files.length === 0) return [];
  const r = spawnSync("/bin/bash", ["--norc", "--noprofile", "-c", ENV_BATCH, "gw-env", ...files], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin" },
  });
  if (r.status !== 0) throw new Error(`bash batch failed: ${r.stderr}`);
  return files.map((f) => {
    const parts = fs.readFileSync(`${f}.vars`, "utf8").split("\0").slice(0, -1);
    const vars: Record<string, string> = {};
    for (let i = 0; i < parts.length; i += 2) vars[parts[i]] = parts[i + 1];
    return { vars, stderr: fs.readFileSync(`${f}.err`, "utf8") };
  });
}

/** `bash -n` over each file in one bash process: the files with a syntax error, with bash's words. */
export function bashSyntax(files: string[]): string[] {
  if (files.length === 0) return [];
  const r = spawnSync("/bin/bash", ["-c", 'for f in "$@"; do bash -n "$f" 2>&1 || echo "FAILED $f"; done', "gw-syntax", ...files], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean);
}

/** `systemd-analyze verify` over every unit at once: its complaints, one a line. */
export function systemdVerify(units: string[]): string[] {
  if (units.length === 0) return [];
  const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...units], { encoding: "utf8", maxBuffer: 1 << 26 });
  return `${r.stdout}${r.stderr}`.split("\n").filter(Boolean);
}

/** A unit file as systemd reads it: each directive as [section, key, value], comments and blank lines dropped; lines that are neither. */
export function unitDirectives(text: string): { directives: [string, string, string][]; strays: string[] } {
  const directives: [string, string, string][] = [];
  const strays: string[] = [];
  let section = "";
  // systemd splits lines on "\n" only and joins a line ending in "\" with the next.
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const l = line.trim();
    if (l === "" || l.startsWith("#") || l.startsWith(";")) continue;
    const s = /^\[([^\]]+)\]$/.exec(l);
    if (s) section = s[1];
    else if (/^[A-Za-z0-9]+=/.test(l)) directives.push([section, l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]);
    else strays.push(line);
  }
  return { directives, strays };
}

/** `ssh -G -F <file> <alias>` for each file (one bash process): the options ssh would use, as a map. */
export function sshG(files: string[], alias: string, home: string): Record<string, string[]>[] {
  if (files.length === 0) return [];
  const r = spawnSync("/bin/bash", ["-c", `for f in "$@"; do ssh -G -F "$f" ${alias} >"$f.G" 2>&1; echo $? >"$f.rc"; done`, "gw-ssh", ...files], {
    encoding: "utf8",
    env: { PATH: "/usr/bin:/bin", HOME: home },
  });
  if (r.status !== 0) throw new Error(`ssh batch failed: ${r.stderr}`);
  return files.map((f) => {
    const options: Record<string, string[]> = { rc: [fs.readFileSync(`${f}.rc`, "utf8").trim()] };
    for (const line of fs.readFileSync(`${f}.G`, "utf8").split("\n").filter(Boolean)) {
      const [k, ...v] = line.split(" ");
      (options[k] ??= []).push(v.join(" "));
    }
    return options;
  });
}

/** `ssh-keygen -l -f <file>` for each known_hosts file (one bash process): the keys it lists. */
export function knownHostsKeys(files: string[]): string[][] {
  if (files.length === 0) return [];
  const r = spawnSync("/bin/bash", ["-c", 'for f in "$@"; do ssh-keygen -l -f "$f" >"$f.l" 2>&1; done', "gw-kh", ...files], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ssh-keygen batch failed: ${r.stderr}`);
  return files.map((f) => fs.readFileSync(`${f}.l`, "utf8").split("\n").filter(Boolean));
}
