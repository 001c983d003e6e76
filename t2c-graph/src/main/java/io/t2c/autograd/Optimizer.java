package io.t2c.autograd;

import io.t2c.tensor.Tensor;
import java.util.Map;

/**
 * Updates parameters from their gradients. Call order per mini-batch: compute gradients ({@link Backprop}), optionally
 * {@link #setLearningRate} from a {@link LearningRateSchedule}, then {@link #step}. The optimizer keeps its state
 * (momentum buffers, moment estimates) per parameter name and updates the parameters' float arrays in place: the
 * trainer owns those tensors, and graphs holding them see the new values without being rebuilt.
 * Semantics follow {@code torch.optim} (tested against its trajectories).
 */
public interface Optimizer {
    void step(Map<String, Tensor> params, Map<String, Tensor> grads);

    double learningRate();

    void setLearningRate(double lr);
}
