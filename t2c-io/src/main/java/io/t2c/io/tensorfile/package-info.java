/**
 * Tensor files: NumPy {@code .npy}/{@code .npz} ({@link io.t2c.io.tensorfile.Npy}), safetensors
 * ({@link io.t2c.io.tensorfile.SafeTensors}) and PyTorch {@code torch.save} state dicts
 * ({@link io.t2c.io.tensorfile.PthReader}, read only, through a pickle reader that executes nothing).
 * Each format validates a file completely before allocating tensors and reports problems as one
 * {@link io.t2c.tensor.T2cException} naming the file. Model graphs (ONNX) and datasets are elsewhere in t2c-io.
 */
package io.t2c.io.tensorfile;
