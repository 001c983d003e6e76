package io.t2c.graph;

import java.util.List;

/**
 * One operation: a unique name, the registered op type (ONNX spelling), input and output value names and the
 * attributes. An empty input name marks an omitted optional input, as in ONNX.
 */
public record Node(String name, String opType, List<String> inputs, List<String> outputs, Attributes attributes) {
    public Node {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = attributes == null ? Attributes.EMPTY : attributes;
    }

    /** Input name at {@code i}, or "" when the optional input is absent. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public String output(int i) {
        return outputs.get(i);
    }

    public Node withInputs(List<String> newInputs) {
        return new Node(name, opType, newInputs, outputs, attributes);
    }

    public Node withAttributes(Attributes newAttributes) {
        return new Node(name, opType, inputs, outputs, newAttributes);
    }

    /** "conv3 (Conv)": how errors name a node. */
    public String label() {
        return name + " (" + opType + ")";
    }
}
