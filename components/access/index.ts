export * from "./openssh";
export * from "./keys";
