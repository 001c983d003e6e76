package io.t2c.cli;

import io.t2c.graph.Graph;
import io.t2c.io.bundle.ModelBundle;
import io.t2c.io.onnx.OnnxImporter;
import io.t2c.io.tensorfile.Npy;
import io.t2c.io.tensorfile.PthReader;
import io.t2c.io.tensorfile.SafeTensors;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Opens a model file of any supported kind as a Graph. */
final class ModelFiles {
    private ModelFiles() {}

    static Graph load(Path path) {
        if (Files.exists(path) && ModelBundle.isBundle(path)) {
            return ModelBundle.read(path);
        }
        requireFile(path);
        if (isWeights(path)) {
            throw new T2cException(path + " holds weights only (a state dict), not a graph; export the model to ONNX"
                    + " (torch.onnx.export) to run it");
        }
        return OnnxImporter.load(path);
    }

    /** True for files that hold named tensors but no graph: .pth/.pt state dicts, safetensors, .npz. */
    static boolean isWeights(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".pth") || name.endsWith(".pt") || name.endsWith(".safetensors") || name.endsWith(".npz");
    }

    /** Reads the named tensors of a weights file (a checkpoint's state dict for .pth). */
    static Map<String, Tensor> loadWeights(Path path) {
        requireFile(path);
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".safetensors")) {
            return SafeTensors.read(path);
        }
        if (name.endsWith(".npz")) {
            return Npy.readNpz(path);
        }
        return PthReader.readStateDict(path);
    }

    private static void requireFile(Path path) {
        if (!Files.exists(path)) {
            throw new T2cException(path + ": no such file");
        }
        if (Files.isDirectory(path)) {
            throw new T2cException(path + " is a folder but not a model bundle (no graph.json); give an .onnx file,"
                    + " a bundle, or .pth/.safetensors weights");
        }
    }
}
