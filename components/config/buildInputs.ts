/**
 * The grammars a custom build's inputs must follow: package names for pip, CRAN and apt, and
 * project-relative paths. Each value ends up in a generated Dockerfile (apt names in a shell line),
 * so anything outside the installer's own grammar is refused, shell metacharacters included.
 */
import { q } from "./grammar";

/**
 * A pip requirement without URLs, markers or spaces: a PEP 508 name, optional extras, optional
 * PEP 440 version clauses (`torch==2.4.1`, `xgboost[scikit-learn]>=2,<3`).
 */
const PIP_NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
const PIP_CLAUSE = "(?:===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!_-]+";
const PIP_REQUIREMENT = new RegExp(`^${PIP_NAME}(?:\\[${PIP_NAME}(?:,${PIP_NAME})*\\])?(?:${PIP_CLAUSE}(?:,${PIP_CLAUSE})*)?$`);

/** A CRAN package name (Writing R Extensions 1.1.1): letters, digits and dots, a letter first, no dot last. */
const CRAN_NAME = /^[A-Za-z][A-Za-z0-9.]*[A-Za-z0-9]$/;

/**
 * A Debian package name (Policy 5.6.1: lowercase letters, digits, `+`, `-`, `.`; two characters or
 * more, alphanumeric first), optionally `=<version>` (Policy 5.6.12: `[epoch:]upstream[-revision]`).
 */
const APT_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(?:=(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*)?$/;

/** apt-get reads a trailing "-" as "remove" and "+" as "install" after the name: never a name's end. */
const APT_ACTION_SUFFIX = /^[^=]*[-+]$/;

/** The problem with one pip requirement, or undefined. */
export function pipRequirementProblem(spec: string): string | undefined {
  if (PIP_REQUIREMENT.test(spec)) return undefined;
  return `${q(spec)} is not a pip requirement this workbench accepts; use a name with optional extras and version, e.g. "xgboost==2.1.1" or "transformers[torch]>=4.44" (no spaces, URLs, markers or shell characters)`;
}

/** The problem with one CRAN package name, or undefined. */
export function cranPackageProblem(name: string): string | undefined {
  if (CRAN_NAME.test(name)) return undefined;
  return `${q(name)} is not a CRAN package name; use letters, digits and dots, starting with a letter, e.g. "data.table" (CRAN installs the current version; pin by the image)`;
}

/** The problem with one apt package, or undefined. */
export function aptPackageProblem(spec: string): string | undefined {
  if (APT_PACKAGE.test(spec) && APT_ACTION_SUFFIX.test(spec)) {
    return `${q(spec)} ends in "${spec.slice(-1)}", which apt-get reads as "${spec.endsWith("-") ? "remove" : "install"} this package"; give the package name alone, e.g. "libgdal-dev"`;
  }
  if (APT_PACKAGE.test(spec)) return undefined;
  return `${q(spec)} is not a Debian package name; use lowercase letters, digits, "+", "-" and ".", optionally "=<version>", e.g. "libgdal-dev" or "htop=3.0.5-7build2"`;
}

/**
 * The problem with a path that must stay inside the project directory, or undefined: relative,
 * `/`-separated, no `..` or `.` segment, no empty segment, only printable ASCII without quotes
 * or shell characters (it reaches a Dockerfile and a tar header).
 */
export function projectPathProblem(p: string): string | undefined {
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p) || p.startsWith("\\")) {
    return `${q(p)} is an absolute path; give a path inside the project, relative to Pulumi.yaml, e.g. "docker/Dockerfile"`;
  }
  if (p.includes("\\")) return `${q(p)} uses "\\"; separate directories with "/"`;
  const segments = p.split("/");
  if (segments.some((s) => s === "..")) return `${q(p)} leaves the project directory; give a path inside it, relative to Pulumi.yaml`;
  if (segments.some((s) => s === "" || s === ".")) return `${q(p)} has an empty or "." segment; write it as "dir/file"`;
  if (!/^[A-Za-z0-9._+@=,-]+$/.test(segments.join(""))) {
    return `${q(p)} has characters a build context does not take here; use letters, digits and . _ - + @ = , in names`;
  }
  // What a build must never send to a host: VCS data, installed packages, the stack files (which
  // hold the team's config and encrypted secrets) and hidden files (.env, keys).
  const hidden = segments.find((s) => s.startsWith("."));
  if (hidden) return `${q(p)} is inside or is a hidden file or directory (${hidden}: .git, .env, keys); keep build inputs in plain project directories`;
  if (segments.includes("node_modules")) return `${q(p)} is inside node_modules; keep build inputs in the project's own directories`;
  if (segments.some((s) => /^Pulumi(\..+)?\.ya?ml$/.test(s)) || segments[0] === "stacks") {
    return `${q(p)} is a Pulumi project or stack file (it holds the team's config and encrypted secrets); keep build inputs apart from them`;
  }
  return undefined;
}
