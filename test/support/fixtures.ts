/** Test fixtures: fake but well-formed public keys and a valid raw config for each target. */
export const DANIEL_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM5QR5F+DttOF50KU5EsNxHyI4xJYIjWL8jaJzzOtbYC daniel@laptop";
export const MINJI_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPn5OoqlQYV2QCxx1m8mNcY7ZfBLVlMHY45q2m0KDesW minji@desk";

export function rawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    target: "azure",
    size: "Standard_NC4as_T4_v3",
    allowedCidrs: ["203.0.113.7/32"],
    users: [
      { name: "daniel", sshPublicKey: DANIEL_KEY, admin: true },
      { name: "minji", sshPublicKey: MINJI_KEY },
    ],
    apps: [{ kind: "jupyter-pytorch" }, { kind: "rstudio" }],
    ...overrides,
  };
}

/**
 * An address a deployment accepts (RFC 6598 shared space, as a VPN's egress range might be): the
 * fixtures' 203.0.113.7/32 is a documentation address, which only a preview or the plan accepts.
 */
export const DEPLOYABLE_CIDR = "100.64.0.7/32";

/** rawConfig as a deployment (`pulumi up`, not a preview) takes it: allowedCidrs a reachable address. */
export function deployableConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return rawConfig({ allowedCidrs: [DEPLOYABLE_CIDR], ...overrides });
}
