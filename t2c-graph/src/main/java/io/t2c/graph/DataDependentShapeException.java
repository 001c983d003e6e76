package io.t2c.graph;

import io.t2c.tensor.T2cException;

/**
 * Thrown by shape inference when an output shape depends on input data (e.g. a Reshape whose target shape is a graph
 * input). Not an error of the model: inference records the outputs as unknown and the executor computes them.
 */
public final class DataDependentShapeException extends T2cException {
    public DataDependentShapeException(String message) {
        super(message);
    }
}
