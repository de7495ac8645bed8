export * from "./ssh";
export * from "./keys";
