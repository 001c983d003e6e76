package io.t2c.io.bundle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.t2c.graph.Attributes;
import io.t2c.graph.Graph;
import io.t2c.graph.Node;
import io.t2c.graph.Value;
import io.t2c.io.tensorfile.SafeTensors;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes and reads model bundles. A bundle is a folder {@code NAME/} with {@code graph.json} and
 * {@code tensors.safetensors}, or the same two files in a zip ({@code NAME.zip}). Writing is atomic: the folder is
 * written under a temporary name beside the target and renamed, so a reader never sees half a bundle.
 *
 * <p>{@code graph.json}: {@code {"format": 1, "name", "metadata": {..}, "inputs": [{name, dtype, shape}],
 * "outputs": [..], "nodes": [{name, op, inputs, outputs, attributes: {name: {type, value}}}],
 * "initializers": [names]}}. Attribute types: int, ints, float, floats, string, strings, tensor (a tensor attribute's
 * value names its entry in the safetensors file). Shapes use -1 for dynamic dimensions.
 */
public final class ModelBundle {
    public static final int FORMAT = 1;
    static final String GRAPH_JSON = "graph.json";
    static final String TENSORS = "tensors.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ModelBundle() {}

    /** True when {@code path} looks like a bundle (a folder with graph.json, or a .zip). */
    public static boolean isBundle(Path path) {
        return Files.isDirectory(path) ? Files.exists(path.resolve(GRAPH_JSON))
                : path.getFileName().toString().endsWith(".zip");
    }

    /** Writes {@code g} as a bundle folder at {@code dir} (replacing an existing bundle there), atomically. */
    public static void write(Graph g, Path dir) {
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            deleteRecursively(tmp);
            Files.createDirectories(tmp);
            Map<String, Tensor> tensors = new LinkedHashMap<>(g.initializers());
            Files.writeString(tmp.resolve(GRAPH_JSON), JSON.writeValueAsString(toJson(g, tensors)));
            SafeTensors.write(tmp.resolve(TENSORS), tensors, Map.of("format", Integer.toString(FORMAT)));
            if (Files.exists(target)) {
                if (!isBundle(target)) {
                    throw new T2cException(target + " exists and is not a model bundle; choose another --out");
                }
                deleteRecursively(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new T2cException("cannot write bundle " + target + ": " + e.getMessage(), e);
        } finally {
            try {
                deleteRecursively(tmp);
            } catch (IOException ignored) {
                // best effort: a leftover temp folder is harmless
            }
        }
    }

    /** Writes {@code g} as a zip bundle, atomically. */
    public static void writeZip(Graph g, Path zip) {
        Path folder = zip.toAbsolutePath().resolveSibling(zip.getFileName() + ".folder-" + ProcessHandle.current().pid());
        Path tmp = zip.toAbsolutePath().resolveSibling(zip.getFileName() + ".tmp");
        try {
            write(g, folder);
            Files.deleteIfExists(tmp);
            try (OutputStream os = Files.newOutputStream(tmp);
                 java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(os)) {
                for (String name : List.of(GRAPH_JSON, TENSORS)) {
                    z.putNextEntry(new java.util.zip.ZipEntry(name));
                    Files.copy(folder.resolve(name), z);
                    z.closeEntry();
                }
            }
            Files.move(tmp, zip, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            deleteRecursively(folder);
        } catch (IOException e) {
            throw new T2cException("cannot write bundle " + zip + ": " + e.getMessage(), e);
        }
    }

    /** Reads a bundle folder or zip. */
    public static Graph read(Path path) {
        if (!Files.exists(path)) {
            throw new T2cException(path + ": no such bundle");
        }
        if (Files.isDirectory(path)) {
            return readFolder(path);
        }
        try (FileSystem zip = FileSystems.newFileSystem(path)) {
            Path root = zip.getPath("/");
            Path dir = Files.createTempDirectory("t2c-bundle");
            try {
                for (String name : List.of(GRAPH_JSON, TENSORS)) {
                    Path entry = root.resolve(name);
                    if (!Files.exists(entry)) {
                        throw new T2cException(path + " is not a model bundle: it has no " + name);
                    }
                    Files.copy(entry, dir.resolve(name));
                }
                return readFolder(dir, path.toString());
            } finally {
                deleteRecursively(dir);
            }
        } catch (IOException | java.nio.file.ProviderNotFoundException | java.util.zip.ZipError e) {
            throw new T2cException(path + " is not a readable model bundle (" + e.getMessage() + ")");
        }
    }

    private static Graph readFolder(Path dir) {
        return readFolder(dir, dir.toString());
    }

    private static Graph readFolder(Path dir, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(dir.resolve(GRAPH_JSON).toFile());
        } catch (IOException e) {
            throw new T2cException(source + ": graph.json is not valid JSON (" + e.getMessage() + ")");
        }
        int format = root.path("format").asInt(-1);
        if (format != FORMAT) {
            throw new T2cException(source + ": bundle format " + format + " is not supported (this t2c reads format "
                    + FORMAT + ")");
        }
        Map<String, Tensor> tensors = SafeTensors.read(dir.resolve(TENSORS));
        try {
            return fromJson(root, tensors, source);
        } catch (RuntimeException e) {
            if (e instanceof T2cException) {
                throw e;
            }
            throw new T2cException(source + ": graph.json is malformed (" + e + ")");
        }
    }

    private static ObjectNode toJson(Graph g, Map<String, Tensor> tensors) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("name", g.name());
        ObjectNode meta = root.putObject("metadata");
        g.metadata().forEach(meta::put);
        ArrayNode inputs = root.putArray("inputs");
        g.inputs().forEach(v -> inputs.add(valueJson(v)));
        ArrayNode outputs = root.putArray("outputs");
        g.outputs().forEach(v -> outputs.add(valueJson(v)));
        ArrayNode nodes = root.putArray("nodes");
        for (Node n : g.nodes()) {
            ObjectNode o = nodes.addObject();
            o.put("name", n.name());
            o.put("op", n.opType());
            ArrayNode ins = o.putArray("inputs");
            n.inputs().forEach(ins::add);
            ArrayNode outs = o.putArray("outputs");
            n.outputs().forEach(outs::add);
            ObjectNode attrs = o.putObject("attributes");
            for (Map.Entry<String, Object> a : n.attributes().asMap().entrySet()) {
                attrs.set(a.getKey(), attributeJson(n.name(), a.getKey(), a.getValue(), tensors));
            }
        }
        ArrayNode inits = root.putArray("initializers");
        g.initializers().keySet().forEach(inits::add);
        return root;
    }

    private static ObjectNode valueJson(Value v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", v.name());
        if (v.dtype() != null) {
            o.put("dtype", v.dtype().name());
        }
        if (v.shape() != null) {
            ArrayNode s = o.putArray("shape");
            for (int d : v.shape()) {
                s.add(d);
            }
        }
        return o;
    }

    private static ObjectNode attributeJson(String node, String name, Object v, Map<String, Tensor> tensors) {
        ObjectNode o = JSON.createObjectNode();
        switch (v) {
            case Long l -> o.put("type", "int").put("value", l);
            case Double d -> o.put("type", "float").put("value", d);
            case String s -> o.put("type", "string").put("value", s);
            case long[] ls -> {
                o.put("type", "ints");
                ArrayNode a = o.putArray("value");
                for (long l : ls) {
                    a.add(l);
                }
            }
            case double[] ds -> {
                o.put("type", "floats");
                ArrayNode a = o.putArray("value");
                for (double d : ds) {
                    a.add(d);
                }
            }
            case String[] ss -> {
                o.put("type", "strings");
                ArrayNode a = o.putArray("value");
                for (String s : ss) {
                    a.add(s);
                }
            }
            case Tensor t -> {
                String key = "__attr__/" + node + "/" + name;
                tensors.put(key, t);
                o.put("type", "tensor").put("value", key);
            }
            default -> throw new IllegalStateException("attribute " + name + " of unknown type " + v.getClass());
        }
        return o;
    }

    private static Graph fromJson(JsonNode root, Map<String, Tensor> tensors, String source) {
        List<Value> inputs = values(root.path("inputs"));
        List<Value> outputs = values(root.path("outputs"));
        List<Node> nodes = new ArrayList<>();
        for (JsonNode n : root.path("nodes")) {
            Map<String, Object> attrs = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = n.path("attributes").fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> a = it.next();
                attrs.put(a.getKey(), attributeValue(a.getValue(), tensors, source));
            }
            nodes.add(new Node(n.path("name").asText(), n.path("op").asText(), strings(n.path("inputs")),
                    strings(n.path("outputs")), Attributes.of(attrs)));
        }
        Map<String, Tensor> inits = new LinkedHashMap<>();
        for (String name : strings(root.path("initializers"))) {
            Tensor t = tensors.get(name);
            if (t == null) {
                throw new T2cException(source + ": initializer '" + name + "' is missing from " + TENSORS);
            }
            inits.put(name, t);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        root.path("metadata").fields().forEachRemaining(e -> meta.put(e.getKey(), e.getValue().asText()));
        return new Graph(root.path("name").asText("model"), inputs, outputs, nodes, inits, meta);
    }

    private static Object attributeValue(JsonNode a, Map<String, Tensor> tensors, String source) {
        JsonNode v = a.path("value");
        return switch (a.path("type").asText()) {
            case "int" -> v.asLong();
            case "float" -> v.asDouble();
            case "string" -> v.asText();
            case "ints" -> {
                long[] l = new long[v.size()];
                for (int i = 0; i < l.length; i++) {
                    l[i] = v.get(i).asLong();
                }
                yield l;
            }
            case "floats" -> {
                double[] d = new double[v.size()];
                for (int i = 0; i < d.length; i++) {
                    d[i] = v.get(i).asDouble();
                }
                yield d;
            }
            case "strings" -> strings(v).toArray(String[]::new);
            case "tensor" -> {
                Tensor t = tensors.get(v.asText());
                if (t == null) {
                    throw new T2cException(source + ": tensor attribute '" + v.asText() + "' is missing");
                }
                yield t;
            }
            default -> throw new T2cException(source + ": unknown attribute type '" + a.path("type").asText() + "'");
        };
    }

    private static List<Value> values(JsonNode array) {
        List<Value> out = new ArrayList<>();
        for (JsonNode v : array) {
            int[] shape = null;
            if (v.has("shape")) {
                shape = new int[v.get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = v.get("shape").get(i).asInt();
                }
            }
            DType dt = v.has("dtype") ? DType.valueOf(v.get("dtype").asText()) : null;
            out.add(new Value(v.path("name").asText(), dt, shape));
        }
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(s -> out.add(s.asText()));
        return out;
    }

    /** Deletes a file or folder tree; nothing when absent. */
    public static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
