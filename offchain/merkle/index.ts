/** Merkle distribution: leaf encoding, canonical order, tree, distribution and its published file. */
export * from "./errors";
export * from "./leaf";
export * from "./canonical";
export * from "./tree";
export * from "./multiproof";
export * from "./distribution";
export * from "./distribution-file";
export * from "./distribution-reader";
export * from "./parallel-tree";
