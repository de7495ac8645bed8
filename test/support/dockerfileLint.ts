/**
 * A Dockerfile linter for the tests, since hadolint is in neither Debian's nor npm's registry:
 *
 * 1. `dockerfile-utils` (the validator of VS Code's Dockerfile language server): instruction
 *    syntax, flags, JSON (exec) forms, ports, escapes; any diagnostic is a problem.
 * 2. ShellCheck on every shell-form RUN, with the shell the Dockerfile's SHELL sets (sh by
 *    default) and the ARG/ENV names it declares as assigned variables (hadolint does the same).
 * 3. hadolint's rules that apply to what this package writes, by their hadolint codes:
 *    DL3004 no sudo; DL3007 no `latest` base; DL3009 apt lists removed in the RUN that updates
 *    them; DL3014 `apt-get install -y`; DL3015 `--no-install-recommends`; DL3020 COPY, not ADD;
 *    DL3025 CMD and ENTRYPOINT in JSON form; DL3027 apt-get, not apt; DL3042 `pip install
 *    --no-cache-dir`; DL4001 curl or wget, not both; DL4006 `-o pipefail` in SHELL before a RUN
 *    with a pipe; and curl with `-f` (a failed download must fail the build).
 *    Not enforced, on purpose: DL3008 (apt versions pinned: the base image's Ubuntu archive moves
 *    under any pin, so the config pins what matters with `name=version`) and DL3002 (last USER not
 *    root: RStudio Server's rserver must start as root to run each user's session as that user).
 */
import { spawnSync } from "child_process";
import { validate } from "dockerfile-utils";

export interface Instruction {
  /** 1-based line of the instruction's first line. */
  line: number;
  keyword: string;
  /** Arguments with continuation lines joined as Docker joins them (backslash-newline removed). */
  args: string;
}

/** The instructions of a Dockerfile, comments and blank lines left out. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i];
    if (/^\s*(#|$)/.test(first)) continue;
    const start = i;
    let joined = first;
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      i += 1;
      if (/^\s*#/.test(lines[i])) continue; // comment lines inside a continuation are dropped by Docker
      joined = `${joined.replace(/\\\s*$/, "")}${lines[i]}`;
    }
    const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(joined)!;
    out.push({ line: start + 1, keyword: m[1].toUpperCase(), args: m[2].trim() });
  }
  return out;
}

function isJsonForm(args: string): boolean {
  try {
    const v = JSON.parse(args);
    return Array.isArray(v) && v.every((x) => typeof x === "string");
  } catch {
    return false;
  }
}

/** Every problem the three checks find, as `line N: [CODE] message`; empty when the file is clean. */
export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  for (const d of validate(text, {})) problems.push(`line ${d.range.start.line + 1}: [dockerfile-utils] ${d.message}`);

  const declared: string[] = [];
  let shell = "sh";
  let pipefail = false;
  let usesCurl = false;
  let usesWget = false;
  for (const ins of instructions(text)) {
    const at = `line ${ins.line}:`;
    switch (ins.keyword) {
      case "ARG":
      case "ENV": {
        const name = /^([A-Za-z_][A-Za-z0-9_]*)/.exec(ins.args)?.[1];
        if (name) declared.push(name);
        break;
      }
      case "FROM":
        if (/:latest(\s|$)/.test(ins.args) || (!/[:@]/.test(ins.args.split(/\s+/)[0]) && !ins.args.startsWith("${"))) {
          problems.push(`${at} [DL3007] FROM ${ins.args}: pin the base image's tag`);
        }
        break;
      case "SHELL": {
        const argv = isJsonForm(ins.args) ? (JSON.parse(ins.args) as string[]) : [];
        if (argv.length === 0) problems.push(`${at} [SHELL] not in JSON form`);
        shell = argv[0]?.split("/").pop() ?? "sh";
        pipefail = argv.join(" ").includes("-o pipefail");
        break;
      }
      case "ADD":
        problems.push(`${at} [DL3020] use COPY for files (ADD fetches URLs and unpacks archives)`);
        break;
      case "CMD":
      case "ENTRYPOINT":
        if (!isJsonForm(ins.args)) problems.push(`${at} [DL3025] ${ins.keyword} in JSON form, so signals reach the process`);
        break;
      case "RUN": {
        if (isJsonForm(ins.args)) {
          const argv = JSON.parse(ins.args) as string[];
          if (argv.includes("pip") && argv.includes("install") && !argv.includes("--no-cache-dir")) {
            problems.push(`${at} [DL3042] pip install without --no-cache-dir`);
          }
          break;
        }
        const body = ins.args;
        if (/(^|[;&|(\s])sudo\s/.test(body)) problems.push(`${at} [DL3004] no sudo in a build`);
        if (/(^|[;&|(\s])apt\s/.test(body)) problems.push(`${at} [DL3027] use apt-get, not apt`);
        if (/apt-get\s+update/.test(body) && !/rm -rf \/var\/lib\/apt\/lists\/\*/.test(body)) {
          problems.push(`${at} [DL3009] remove /var/lib/apt/lists/* in the RUN that runs apt-get update`);
        }
        for (const m of body.matchAll(/apt-get\s+install([^&;|]*)/g)) {
          if (!/(^|\s)-y(\s|$)|--yes|--assume-yes/.test(m[1])) problems.push(`${at} [DL3014] apt-get install without -y`);
          if (!m[1].includes("--no-install-recommends")) problems.push(`${at} [DL3015] apt-get install without --no-install-recommends`);
        }
        if (/pip3?\s+install/.test(body) && !body.includes("--no-cache-dir")) problems.push(`${at} [DL3042] pip install without --no-cache-dir`);
        for (const m of body.matchAll(/(^|&&|\|\||[;|(]|\bthen|\bdo)\s*curl\s+([^&;|]*)/g)) {
          usesCurl = true;
          if (!/(^|\s)-[A-Za-z]*f|--fail/.test(m[2])) problems.push(`${at} [curl] curl without -f: a failed download must fail the build`);
        }
        if (/(^|[;&|(\s])wget\s/.test(body)) usesWget = true;
        if (/[^|]\|[^|]/.test(body.replace(/\|\|/g, "")) && !pipefail)
          problems.push(`${at} [DL4006] a pipe without SHELL ["/bin/bash", "-o", "pipefail", "-c"]`);
        problems.push(...shellcheck(body, shell, declared).map((p) => `${at} [ShellCheck] ${p}`));
        break;
      }
    }
  }
  if (usesCurl && usesWget) problems.push("[DL4001] both curl and wget: use one");
  return problems;
}

/** ShellCheck's findings on one RUN body, run as `shell` with the declared ARG/ENV names set. */
function shellcheck(body: string, shell: string, declared: string[]): string[] {
  const dialect = shell === "bash" ? "bash" : "sh";
  const script = [`#!/bin/${dialect}`, ...declared.map((n) => `${n}="\${${n}:-}"; export ${n}`), body, ""].join("\n");
  // SC1091: /etc/os-release and the like exist in the image, not here.
  const r = spawnSync("shellcheck", ["--format=gcc", "--exclude=SC1091", "-"], { input: script, encoding: "utf8" });
  if (r.error) throw new Error(`shellcheck did not run: ${r.error.message}`);
  return r.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => l.replace(/^-:/, "script line "));
}
