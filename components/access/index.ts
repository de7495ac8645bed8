export * from "./ssh";
