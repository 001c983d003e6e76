package io.t2c.cli;

import io.t2c.graph.Graph;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.tensor.T2cException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model file of any supported kind as a Graph. */
final class ModelFiles {
    private ModelFiles() {}

    static Graph load(Path path) {
        if (!Files.exists(path)) {
            throw new T2cException(path + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new T2cException(path + " is a folder; give an .onnx model file");
        }
        String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".safetensors")) {
            throw new T2cException(path + " holds weights only (a state dict), not a graph; export the model to ONNX"
                    + " (torch.onnx.export) to run or inspect it");
        }
        return OnnxImporter.load(path);
    }
}
