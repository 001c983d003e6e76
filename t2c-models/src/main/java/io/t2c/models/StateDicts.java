package io.t2c.models;

import io.t2c.graph.Graph;
import io.t2c.tensor.DType;
import io.t2c.tensor.T2cException;
import io.t2c.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * State dicts of zoo graphs, with {@code torch.nn.Module.load_state_dict} semantics.
 *
 * <p>A zoo graph's state dict is its initializers whose names contain no {@code '/'} (see {@link ModelBuilder}):
 * parameters and buffers under their torch names, in module order. Buffers are BatchNorm running statistics
 * ({@code *.running_mean}, {@code *.running_var}); {@link #parameterCount} counts the rest, as
 * {@code sum(p.numel() for p in model.parameters())} does. Use these on graphs as the zoo builds them, before passes
 * such as BatchNorm folding rewrite the initializers.
 *
 * <p>Keys a checkpoint may hold that the zoo recomputes or has no use for are ignored on load: BatchNorm's
 * {@code num_batches_tracked}, and the buffers older timm / Hugging Face versions saved but derive from the
 * architecture ({@code relative_position_index}, {@code attn_mask}, {@code position_ids}, {@code token_type_ids}).
 */
public final class StateDicts {
    private StateDicts() {}

    /** Key suffixes ignored on load (a key ending in {@code "." + suffix}). */
    public static final List<String> IGNORED_SUFFIXES = List.of("num_batches_tracked", "relative_position_index",
            "attn_mask", "position_ids", "token_type_ids");

    /** What {@link #load} did: the graph with the loaded values, and the keys torch would report. */
    public record LoadResult(Graph graph, List<String> missingKeys, List<String> unexpectedKeys) {}

    /** True for internal constants (shapes, axes, index tables), which are not state-dict entries. */
    public static boolean isInternal(String initializerName) {
        return initializerName.indexOf('/') >= 0;
    }

    /** True for buffers: registered state that is not a learnable parameter (BatchNorm running statistics). */
    public static boolean isBuffer(String key) {
        return key.endsWith(".running_mean") || key.endsWith(".running_var") || key.endsWith(".num_batches_tracked");
    }

    /** The state dict of a zoo graph: parameters and buffers by torch name, in module order. */
    public static Map<String, Tensor> of(Graph g) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        g.initializers().forEach((k, v) -> {
            if (!isInternal(k)) {
                sd.put(k, v);
            }
        });
        return sd;
    }

    /** Learnable parameters (buffers excluded), as {@code sum(p.numel() for p in model.parameters())}. */
    public static long parameterCount(Graph g) {
        long n = 0;
        for (Map.Entry<String, Tensor> e : of(g).entrySet()) {
            if (!isBuffer(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    /**
     * Replaces the graph's parameters and buffers by the state dict's tensors. Shapes must match exactly and values
     * must be floating point (readers give float32; float16/bfloat16/float64 files are converted on read). With
     * {@code strict}, every graph key must be present and no other key may be (ignored keys aside); otherwise
     * missing keys keep their current values and unexpected keys are returned. Shape mismatches are errors either
     * way, as in torch. Errors list every problem at once.
     */
    public static LoadResult load(Graph g, Map<String, Tensor> stateDict, boolean strict) {
        Map<String, Tensor> current = of(g);
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        for (Map.Entry<String, Tensor> e : current.entrySet()) {
            Tensor t = stateDict.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape())) {
                mismatched.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Arrays.toString(t.shape()) + " from checkpoint, the shape in current model is "
                        + Arrays.toString(e.getValue().shape()));
            } else if (!t.dtype().isFloating()) {
                mismatched.add("type mismatch for " + e.getKey() + ": the checkpoint holds " + t.dtype()
                        + ", the model needs floating point");
            } else {
                inits.put(e.getKey(), t.cast(DType.FLOAT32));
            }
        }
        for (String k : stateDict.keySet()) {
            if (!current.containsKey(k) && !ignored(k)) {
                unexpected.add(k);
            }
        }
        if (!mismatched.isEmpty() || strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            throw new T2cException(errorMessage(g, strict ? missing : List.of(), strict ? unexpected : List.of(),
                    mismatched, stateDict));
        }
        return new LoadResult(g.withNodes(g.nodes(), inits), List.copyOf(missing), List.copyOf(unexpected));
    }

    static boolean ignored(String key) {
        for (String s : IGNORED_SUFFIXES) {
            if (key.equals(s) || key.endsWith("." + s)) {
                return true;
            }
        }
        return false;
    }

    private static String errorMessage(Graph g, List<String> missing, List<String> unexpected, List<String> mismatched,
                                       Map<String, Tensor> stateDict) {
        StringBuilder sb = new StringBuilder("Error(s) in loading state_dict for " + g.name() + ": ");
        List<String> parts = new ArrayList<>();
        if (!missing.isEmpty()) {
            parts.add("Missing key(s) in state_dict: " + list(missing) + ".");
        }
        if (!unexpected.isEmpty()) {
            parts.add("Unexpected key(s) in state_dict: " + list(unexpected) + ".");
        }
        parts.addAll(limit(mismatched, 10));
        sb.append(String.join(" ", parts));
        String prefix = commonPrefix(stateDict);
        if (prefix != null) {
            sb.append(" Every checkpoint key starts with '").append(prefix)
                    .append("' (a wrapped model, e.g. DataParallel's 'module.'): strip it before loading.");
        }
        return sb.toString();
    }

    private static String list(List<String> keys) {
        List<String> quoted = new ArrayList<>();
        for (String k : keys) {
            quoted.add('"' + k + '"');
        }
        return String.join(", ", limit(quoted, 20));
    }

    private static List<String> limit(List<String> items, int max) {
        if (items.size() <= max) {
            return items;
        }
        List<String> out = new ArrayList<>(items.subList(0, max));
        out.add("… (" + items.size() + " in all)");
        return out;
    }

    /** The first dotted component shared by every key, when there is one and it is a typical wrapper name. */
    private static String commonPrefix(Map<String, Tensor> stateDict) {
        String prefix = null;
        for (String k : stateDict.keySet()) {
            int dot = k.indexOf('.');
            String p = dot < 0 ? k : k.substring(0, dot + 1);
            if (prefix == null) {
                prefix = p;
            } else if (!prefix.equals(p)) {
                return null;
            }
        }
        return prefix != null && List.of("module.", "model.", "_orig_mod.", "state_dict.").contains(prefix) ? prefix : null;
    }

    private static final Pattern LEGACY_DOWNSAMPLE = Pattern.compile("^layers\\.(\\d+)\\.downsample\\.");

    /**
     * Renames a Swin checkpoint of timm &lt; 0.9 or Microsoft's release to timm ≥ 0.9 names, as timm's
     * {@code checkpoint_filter_fn} does: {@code layers.i.downsample} → {@code layers.(i+1).downsample} and
     * {@code head.*} → {@code head.fc.*}; unwraps a {@code model.} prefix. Checkpoints already in the new layout
     * (they have {@code head.fc.weight}) come back unchanged.
     */
    public static Map<String, Tensor> swinLegacyToTimm(Map<String, Tensor> stateDict) {
        if (stateDict.containsKey("head.fc.weight")) {
            return stateDict;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            String k = e.getKey().startsWith("model.") ? e.getKey().substring(6) : e.getKey();
            Matcher m = LEGACY_DOWNSAMPLE.matcher(k);
            if (m.find()) {
                k = "layers." + (Integer.parseInt(m.group(1)) + 1) + ".downsample." + k.substring(m.end());
            } else if (k.startsWith("head.")) {
                k = "head.fc." + k.substring(5);
            }
            out.put(k, e.getValue());
        }
        return out;
    }
}
