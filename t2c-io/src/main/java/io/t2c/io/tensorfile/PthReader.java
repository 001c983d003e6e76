package io.t2c.io.tensorfile;

import io.t2c.tensor.Shapes;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch {@code torch.save} files in the zip format (torch 1.6 and later) without executing any code: the
 * pickle inside is run by our own {@link Unpickler}, which knows only an allow-list of globals: the tensor rebuild
 * functions ({@code torch._utils._rebuild_tensor_v2}, {@code _rebuild_tensor}, {@code _rebuild_parameter}), the typed
 * storages ({@code torch.FloatStorage}, {@code HalfStorage}, {@code BFloat16Storage}, {@code DoubleStorage},
 * {@code LongStorage}, {@code IntStorage}, {@code ShortStorage}, {@code CharStorage}, {@code ByteStorage},
 * {@code BoolStorage}), {@code collections.OrderedDict} and {@code torch.Size}. Any other global (a pickled
 * {@code nn.Module}, {@code os.system}, {@code torch.storage._load_from_bytes}, ...) is refused with a
 * {@link T2cException}, as are legacy (non-zip) torch files.
 *
 * <p>Tensors come out dense and row-major whatever their strides and storage offsets in the file: a view (a slice,
 * a transpose, an expand) is copied out of its storage, while a tensor that is its whole storage in order wraps the
 * decoded storage without a copy (two such tensors of one storage share that array, as they did in torch). float16, bfloat16 and float64 are converted to FLOAT32; int64, int32, int16, int8, uint8
 * and bool keep their type. Every size, stride and offset is checked against the storage, and every storage against
 * its entry in the archive, and every entry's CRC-32, before or while it is read; the tensors of one file may take at
 * most 4 times the file size (at least 1 GiB) in memory, which stops a tiny file from expanding one element into
 * gigabytes.
 *
 * <p>Three views of a file: {@link #read} returns every tensor, with nested dicts and lists flattened into dotted
 * keys ({@code {"state_dict": {"fc.weight": t}, "epoch": 3}} → {@code "state_dict.fc.weight"}; non-tensor leaves
 * are dropped); {@link #readStateDict} finds the state dict inside a training checkpoint; {@link #readObject} returns
 * the whole unpickled structure. Maps keep the file's key order.
 */
public final class PthReader {
    private static final int MAX_DEPTH = 64;
    private static final List<String> STATE_DICT_KEYS =
            List.of("state_dict", "model_state_dict", "model", "module", "net", "network");
    private static final Map<String, ElementType> STORAGES = Map.of(
            "FloatStorage", ElementType.F32, "HalfStorage", ElementType.F16, "BFloat16Storage", ElementType.BF16,
            "DoubleStorage", ElementType.F64, "LongStorage", ElementType.I64, "IntStorage", ElementType.I32,
            "ShortStorage", ElementType.I16, "CharStorage", ElementType.I8, "ByteStorage", ElementType.U8,
            "BoolStorage", ElementType.BOOL);

    private PthReader() {}

    /** Every tensor in the file, in file order; tensors inside nested dicts and lists get dotted keys. */
    public static Map<String, Tensor> read(Path file) {
        Object root = readObject(file);
        try {
            return flatten(root);
        } catch (T2cException e) {
            throw new T2cException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The state dict of the file: the top-level dict itself when it holds tensors (a plain
     * {@code torch.save(model.state_dict())}); otherwise the dict under the first of the keys {@code state_dict,
     * model_state_dict, model, module, net, network} that holds tensors; otherwise the only nested dict that holds
     * tensors directly. Keys are returned as saved (a {@code module.} prefix from DataParallel is kept).
     */
    public static Map<String, Tensor> readStateDict(Path file) {
        Object root = readObject(file);
        try {
            if (!(root instanceof Map<?, ?> top)) {
                throw new T2cException("holds a " + describe(root) + ", not a dict of tensors");
            }
            if (top.values().stream().anyMatch(v -> v instanceof Tensor)) {
                return flatten(top);
            }
            for (String k : STATE_DICT_KEYS) {
                if (top.get(k) instanceof Map<?, ?> m && !flatten(m).isEmpty()) {
                    return flatten(m);
                }
            }
            List<?> holders = top.values().stream()
                    .filter(v -> v instanceof Map<?, ?> m && m.values().stream().anyMatch(x -> x instanceof Tensor))
                    .toList();
            if (holders.size() == 1) {
                return flatten(holders.getFirst());
            }
            throw new T2cException("cannot tell which entry holds the state dict (top-level keys: " + top.keySet()
                    + "); PthReader.read returns every tensor under dotted keys");
        } catch (T2cException e) {
            throw new T2cException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The unpickled object: Tensor for tensors, LinkedHashMap for dicts, List for tuples and lists, and Long, Double,
     * String, Boolean, byte[] or null for scalars (see {@link Unpickler}).
     */
    public static Object readObject(Path file) {
        try {
            checkMagic(file);
            try (ZipFile zip = new ZipFile(file.toFile())) {
                return new Archive(zip, Files.size(file)).load();
            }
        } catch (ZipException e) {
            throw new T2cException(file + ": not a readable zip archive (truncated or corrupt?): " + e.getMessage(), e);
        } catch (EOFException e) {
            throw new T2cException(file + ": truncated or corrupt archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new T2cException(file + ": cannot read: " + e, e);
        } catch (T2cException e) {
            throw new T2cException(file + ": " + e.getMessage(), e);
        }
    }

    /** Tells a legacy torch file or a foreign file from a zip before ZipFile reports something vaguer. */
    private static void checkMagic(Path file) throws IOException {
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(4);
        }
        if (head.length == 4 && head[0] == 'P' && head[1] == 'K') {
            return;
        }
        if (head.length > 0 && (head[0] & 0xFF) == 0x80) {
            throw new T2cException("this is a legacy (non-zip) torch file, written by torch < 1.6 or with"
                    + " _use_new_zipfile_serialization=False; it is not supported: re-save it with a newer torch,"
                    + " e.g. torch.save(torch.load(f), 'new.pth')");
        }
        throw new T2cException(head.length == 0 ? "the file is empty"
                : "not a PyTorch file: expected a zip archive written by torch.save (torch >= 1.6)");
    }

    // ---- flattening ----

    private static Map<String, Tensor> flatten(Object root) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        flatten(root, "", out, Collections.newSetFromMap(new IdentityHashMap<>()), 0);
        return Collections.unmodifiableMap(out);
    }

    private static void flatten(Object o, String prefix, Map<String, Tensor> out, Set<Object> path, int depth) {
        if (o instanceof Tensor t) {
            if (out.put(prefix, t) != null) {
                throw new T2cException("two tensors have the key '" + prefix + "' after flattening");
            }
            return;
        }
        if (!(o instanceof Map || o instanceof List)) {
            return; // epochs, hyper-parameters, strings: not tensors
        }
        if (depth > MAX_DEPTH || !path.add(o)) {
            throw new T2cException("the object nests deeper than " + MAX_DEPTH + " levels or contains itself");
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                flatten(e.getValue(), prefix.isEmpty() ? k : prefix + "." + k, out, path, depth + 1);
            }
        } else {
            List<?> l = (List<?>) o;
            for (int i = 0; i < l.size(); i++) {
                flatten(l.get(i), prefix.isEmpty() ? "" + i : prefix + "." + i, out, path, depth + 1);
            }
        }
        path.remove(o);
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    // ---- the archive ----

    /** A storage type named by the pickle, e.g. torch.FloatStorage. */
    private record StorageType(String name, ElementType type) {}

    /** A storage in the archive: {@code <prefix>/data/<key>}, {@code numel} elements of {@code type}. */
    private record StorageRef(String key, ElementType type, long numel) {}

    /** One open archive: finds the pickle, resolves globals and storages, and rebuilds tensors. */
    private static final class Archive {
        private final ZipFile zip;
        private final long fileSize;
        private String prefix;
        private ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        private final Map<String, StorageRef> storages = new HashMap<>();
        private final Map<String, Object> decoded = new HashMap<>();
        /**
         * Bytes the tensors may take in memory. Storages are bounded by the archive, but a view can be far larger
         * than its storage (expand() saves stride 0), so a tiny hostile file could ask for gigabytes.
         */
        private final long budget;
        private long used;

        Archive(ZipFile zip, long fileSize) {
            this.zip = zip;
            this.fileSize = fileSize;
            this.budget = Math.max(1L << 30, 4 * fileSize);
        }

        private void charge(long bytes, String what) {
            used += bytes;
            if (used > budget) {
                throw new T2cException(what + " would bring the tensors to " + used + " bytes in memory, more than "
                        + budget + " (4 times the file size, at least 1 GiB); a view seems to expand a small"
                        + " storage, refusing");
            }
        }

        Object load() throws IOException {
            ZipEntry pkl = null;
            for (ZipEntry e : Collections.list(zip.entries())) {
                String n = e.getName();
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    pkl = e;
                    break;
                }
            }
            if (pkl == null) {
                throw new T2cException("no <name>/data.pkl in the zip archive; is this a file written by torch.save?");
            }
            prefix = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            ZipEntry bo = zip.getEntry(prefix + "byteorder"); // written by torch >= 2.1
            if (bo != null) {
                String s = new String(entryBytes(bo, 16), StandardCharsets.US_ASCII).strip();
                if (s.equals("big")) {
                    order = ByteOrder.BIG_ENDIAN;
                } else if (!s.equals("little")) {
                    throw new T2cException("unknown byteorder '" + s + "'");
                }
            }
            return new Unpickler(entryBytes(pkl, Integer.MAX_VALUE - 8), this::global, this::storage).load();
        }

        private byte[] entryBytes(ZipEntry e, long limit) throws IOException {
            long size = Zips.checkedSize(e, fileSize);
            if (size > limit) {
                throw new T2cException("zip entry " + e.getName() + " is implausibly large (" + size + " bytes)");
            }
            byte[] b = Zips.read(zip, e, in -> in.readNBytes((int) size));
            if (b.length != size) {
                throw new EOFException("zip entry " + e.getName() + " ends after " + b.length + " of " + size
                        + " bytes");
            }
            return b;
        }

        /** The allow-list: everything a state dict needs, nothing that can run code. */
        private Object global(String module, String name) {
            String full = module + "." + name;
            switch (full) {
                case "collections.OrderedDict":
                    return (Unpickler.Callable) args -> {
                        if (!args.isEmpty()) {
                            throw new T2cException("OrderedDict built from arguments is not supported");
                        }
                        return new LinkedHashMap<>();
                    };
                case "torch._utils._rebuild_tensor":
                case "torch._utils._rebuild_tensor_v2":
                    return (Unpickler.Callable) this::rebuildTensor;
                case "torch._utils._rebuild_parameter":
                    return (Unpickler.Callable) args -> {
                        if (args.isEmpty() || !(args.getFirst() instanceof Tensor t)) {
                            throw new T2cException("_rebuild_parameter without a tensor");
                        }
                        return t;
                    };
                case "torch.Size":
                    return (Unpickler.Callable) args -> args.size() == 1 && args.getFirst() instanceof List<?> l
                            ? Unpickler.tuple(l.toArray())
                            : Unpickler.tuple(args.toArray());
                default:
                    break;
            }
            if (module.equals("torch") && STORAGES.containsKey(name)) {
                return new StorageType(full, STORAGES.get(name));
            }
            if (module.equals("torch") && name.endsWith("Storage")) {
                throw new T2cException("storage type '" + full + "' is not supported (supported: "
                        + STORAGES.keySet().stream().sorted().toList() + ")");
            }
            throw new T2cException("refuses to load: the pickle references global '" + full + "', which is not a"
                    + " tensor, storage or OrderedDict; only state dicts are supported (save with"
                    + " torch.save(model.state_dict()))");
        }

        /** The persistent id {@code ('storage', storage_type, key, location, numel)}: checked against the zip. */
        private Object storage(Object pid) {
            if (!(pid instanceof List<?> t) || t.size() != 5 || !"storage".equals(t.get(0))
                    || !(t.get(1) instanceof StorageType st) || !(t.get(2) instanceof String key)
                    || !(t.get(4) instanceof Long numel)) {
                throw new T2cException("unexpected persistent id " + describe(pid)
                        + "; expected ('storage', type, key, location, numel)");
            }
            StorageRef known = storages.get(key);
            if (known != null) {
                if (known.type() != st.type() || known.numel() != numel) {
                    throw new T2cException("storage " + key + " is described in two different ways");
                }
                return known;
            }
            ZipEntry e = zip.getEntry(prefix + "data/" + key);
            if (e == null) {
                throw new T2cException("storage " + key + " is missing from the archive (no " + prefix + "data/"
                        + key + ")");
            }
            long size = Zips.checkedSize(e, fileSize);
            if (numel < 0 || numel > Shapes.MAX_ELEMENTS || st.type().bytesFor(numel) > size) {
                throw new T2cException("storage " + key + " claims " + numel + " elements of " + st.name() + " but its"
                        + " entry holds " + size + " bytes");
            }
            StorageRef ref = new StorageRef(key, st.type(), numel);
            storages.put(key, ref);
            return ref;
        }

        /** {@code _rebuild_tensor(_v2)(storage, storage_offset, size, stride, ...)}: validates, then copies out. */
        private Object rebuildTensor(List<Object> args) {
            if (args.size() < 4 || !(args.get(0) instanceof StorageRef s) || !(args.get(1) instanceof Long offset)
                    || !(args.get(2) instanceof List<?> sizeList) || !(args.get(3) instanceof List<?> strideList)) {
                throw new T2cException("unexpected arguments to _rebuild_tensor: expected (storage, offset, size,"
                        + " stride, ...)");
            }
            long[] dims = longs(sizeList, "size");
            long[] stride = longs(strideList, "stride");
            int[] shape = ElementType.toShape(dims);
            String what = "tensor of shape " + Arrays.toString(shape) + " in storage " + s.key();
            if (stride.length != dims.length) {
                throw new T2cException(what + " has " + stride.length + " strides for " + dims.length + " dimensions");
            }
            int numel = Shapes.numel(shape);
            if (numel > 0) {
                long last = offset; // index of the view's last element; all others lie between offset and it
                try {
                    for (int i = 0; i < dims.length; i++) {
                        if (stride[i] < 0) {
                            throw new T2cException(what + " has a negative stride " + stride[i]);
                        }
                        last = Math.addExact(last, Math.multiplyExact(dims[i] - 1, stride[i]));
                    }
                } catch (ArithmeticException overflow) {
                    last = Long.MAX_VALUE;
                }
                if (offset < 0 || last >= s.numel()) {
                    throw new T2cException(what + " (offset " + offset + ", stride " + Arrays.toString(stride)
                            + ") reaches element " + last + " but the storage holds " + s.numel());
                }
            }
            Object data = decode(s);
            if (offset == 0 && numel == s.numel() && isRowMajor(shape, stride)) {
                return Tensor.wrap(s.type().dtype, data, shape); // the whole storage in order: no copy
            }
            charge((long) numel * s.type().dtype.byteSize(), what);
            return Tensor.wrap(s.type().dtype, ElementType.gather(s.type().dtype, data, shape, stride, offset), shape);
        }

        /** Reads a storage once, however many tensors view it. */
        private Object decode(StorageRef s) {
            Object data = decoded.get(s.key());
            if (data != null) {
                return data;
            }
            ZipEntry e = zip.getEntry(prefix + "data/" + s.key());
            charge(s.numel() * s.type().dtype.byteSize(), "storage " + s.key());
            try {
                data = Zips.read(zip, e, in -> s.type().read(Channels.newChannel(in), order, (int) s.numel()));
            } catch (IOException ex) {
                throw new T2cException("cannot read storage " + s.key() + " (truncated or corrupt archive?): "
                        + ex.getMessage(), ex);
            }
            decoded.put(s.key(), data);
            return data;
        }

        private static long[] longs(List<?> l, String what) {
            long[] out = new long[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Long v)) {
                    throw new T2cException("tensor " + what + " must hold integers, found a " + describe(l.get(i)));
                }
                out[i] = v;
            }
            return out;
        }
    }

    /** True when the strides are the row-major ones for the shape (a dimension of size 1 may have any stride). */
    private static boolean isRowMajor(int[] shape, long[] stride) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }
}
