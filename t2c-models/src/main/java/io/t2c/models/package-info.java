/**
 * The model zoo: graph builders for standard architectures whose parameters carry the reference implementation's
 * names (torchvision, timm, Hugging Face), so their state dicts load as they are ({@link io.t2c.models.ModelZoo},
 * {@link io.t2c.models.StateDicts}). One short builder class per family, on the shared layer helpers of
 * {@link io.t2c.models.ModelBuilder}, which also serves tests and users who build graphs in code.
 *
 * <p>Reading weight files is in {@code io.t2c.io.tensorfile}; running graphs, in {@code io.t2c.graph}.
 */
package io.t2c.models;
