/**
 * The model bundle, our own file format: a folder (or a zip of it) with {@code graph.json} (graph structure,
 * attributes, metadata; human-readable and diff-able, {@code "format": 1}) and {@code tensors.safetensors}
 * (initializers and tensor-valued attributes). Run folders and quantization specs build on it in later modules.
 */
package io.t2c.io.bundle;
