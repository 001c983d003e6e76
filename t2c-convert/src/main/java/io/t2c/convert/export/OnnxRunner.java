package io.t2c.convert.export;

import io.t2c.tensor.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Runs an ONNX model, so an export can be checked against ONNX Runtime. The toolkit does not ship ONNX Runtime (it
 * is a test dependency only); an implementation is found through {@link ServiceLoader} when one is on the class path,
 * as the test suites register one.
 */
public interface OnnxRunner {
    /** Runs {@code model} on one float input and returns the named outputs as tensors of their own element type. */
    Map<String, Tensor> run(byte[] model, String inputName, Tensor input, List<String> outputs);

    /** The first runner on the class path, if any. */
    static Optional<OnnxRunner> find() {
        return ServiceLoader.load(OnnxRunner.class).findFirst();
    }
}
