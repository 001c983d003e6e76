package io.t2c.quant;

import io.t2c.graph.Attributes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.Map;

/**
 * One quantizer position at run time, as the graph holds it: the node's name, its spec with the current scale and
 * zero point, the extra parameters by name, its attributes (quantizer options such as QDrop's {@code drop_prob}),
 * whether a training step is running, and the seed of this step's random choices.
 */
public record QuantContext(String node, Role role, QuantSpec spec, Map<String, Tensor> extras, Attributes attributes,
                           boolean training, long seed) {
    public Tensor extra(String name) {
        Tensor t = extras.get(name);
        if (t == null) {
            throw new T2cException("quantizer node " + node + " lacks its parameter '" + name + "'");
        }
        return t;
    }
}
