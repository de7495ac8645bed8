/**
 * The grammars a custom build's inputs must follow: package names for pip, CRAN and apt, and
 * project-relative paths. Each value ends up in a generated Dockerfile (apt names in a shell line),
 * so anything outside the installer's own grammar is refused, shell metacharacters included.
 */

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

/** The problem with one pip requirement, or undefined. */
export function pipRequirementProblem(spec: string): string | undefined {
  if (PIP_REQUIREMENT.test(spec)) return undefined;
  return `"${spec}" is not a pip requirement this workbench accepts; use a name with optional extras and version, e.g. "xgboost==2.1.1" or "transformers[torch]>=4.44" (no spaces, URLs, markers or shell characters)`;
}

/** The problem with one CRAN package name, or undefined. */
export function cranPackageProblem(name: string): string | undefined {
  if (CRAN_NAME.test(name)) return undefined;
  return `"${name}" is not a CRAN package name; use letters, digits and dots, starting with a letter, e.g. "data.table" (CRAN installs the current version; pin by the image)`;
}

/** The problem with one apt package, or undefined. */
export function aptPackageProblem(spec: string): string | undefined {
  if (APT_PACKAGE.test(spec)) return undefined;
  return `"${spec}" is not a Debian package name; use lowercase letters, digits, "+", "-" and ".", optionally "=<version>", e.g. "libgdal-dev" or "htop=3.0.5-7build2"`;
}

/**
 * The problem with a path that must stay inside the project directory, or undefined: relative,
 * `/`-separated, no `..` or `.` segment, no empty segment, only printable ASCII without quotes
 * or shell characters (it reaches a Dockerfile and a tar header).
 */
export function projectPathProblem(p: string): string | undefined {
  if (p.startsWith("/") || /^[A-Za-z]:/.test(p) || p.startsWith("\\")) {
    return `"${p}" is an absolute path; give a path inside the project, relative to Pulumi.yaml, e.g. "docker/Dockerfile"`;
  }
  if (p.includes("\\")) return `"${p}" uses "\\"; separate directories with "/"`;
  const segments = p.split("/");
  if (segments.some((s) => s === "..")) return `"${p}" leaves the project directory; give a path inside it, relative to Pulumi.yaml`;
  if (segments.some((s) => s === "" || s === ".")) return `"${p}" has an empty or "." segment; write it as "dir/file"`;
  if (!/^[A-Za-z0-9._+@=,-]+$/.test(segments.join(""))) {
    return `"${p}" has characters a build context does not take here; use letters, digits and . _ - + @ = , in names`;
  }
  return undefined;
}
